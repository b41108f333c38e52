"""A requests session that sends stravalib's requests to the configured Strava base URL.

stravalib builds every URL as https://www.strava.com/... (ApiV3.server, with the scheme fixed
to https in resolve_url and the token calls), so it cannot be pointed at another host by itself.
Its Client takes a requests session, though: this one rewrites that prefix to `base` (a local
fake in tests; Strava itself otherwise, where it changes nothing).
"""

from __future__ import annotations

from typing import Any

import requests

STRAVALIB_BASE = "https://www.strava.com"
# Strava must answer a webhook's fetch well within the worker's patience; never wait forever.
TIMEOUT_S = 15.0


def rebase(url: str, base: str) -> str:
    """Return `url` with stravalib's fixed Strava prefix replaced by `base`."""
    if url == STRAVALIB_BASE or url.startswith(STRAVALIB_BASE + "/"):
        return base.rstrip("/") + url[len(STRAVALIB_BASE) :]
    return url


class RebasedSession(requests.Session):
    """Send requests meant for www.strava.com to `base`, each with a timeout."""

    def __init__(self, base: str, timeout_s: float = TIMEOUT_S) -> None:
        super().__init__()
        self.base = base
        self.timeout_s = timeout_s

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        """Send the request to the rebased URL."""
        if isinstance(url, bytes):
            url = url.decode()
        kwargs.setdefault("timeout", self.timeout_s)
        return super().request(method, rebase(url, self.base), *args, **kwargs)
