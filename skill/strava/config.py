"""The `strava:` settings: the API application, the webhook's verify token, where Strava is."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from skill.errors import SettingsError

ENV_CLIENT_SECRET = "RECOVERY_COACH_STRAVA_CLIENT_SECRET"
ENV_VERIFY_TOKEN = "RECOVERY_COACH_STRAVA_VERIFY_TOKEN"
STRAVA_BASE = "https://www.strava.com"
# `strava connect` listens here for Strava's redirect unless the config says otherwise;
# Strava allows localhost and 127.0.0.1 as callback domains for any application.
DEFAULT_REDIRECT_URI = "http://127.0.0.1:8721/strava/callback"
# Every activity, private ones included: a runner's "only me" runs still count as load.
DEFAULT_SCOPE = "activity:read_all"


@dataclass(frozen=True)
class StravaSettings:
    """A Strava API application as this skill uses it; secrets stay out of repr."""

    client_id: int
    client_secret: str = field(repr=False)
    verify_token: str = field(repr=False)
    redirect_uri: str = DEFAULT_REDIRECT_URI
    api_base: str = STRAVA_BASE
    subscription_id: int | None = None
    scope: str = DEFAULT_SCOPE

    def __post_init__(self) -> None:
        if self.client_id <= 0:
            raise SettingsError(f"strava.client_id: {self.client_id} is not a Strava client ID")
        if not self.client_secret:
            raise SettingsError(
                f"strava.client_secret: set {ENV_CLIENT_SECRET} (or client_secret in the file)"
            )
        if not self.verify_token:
            raise SettingsError(
                f"strava.verify_token: set {ENV_VERIFY_TOKEN} (or verify_token in the file)"
            )
        _check_url("strava.api_base", self.api_base, path_allowed=False)
        _check_url("strava.redirect_uri", self.redirect_uri, path_allowed=True)
        if self.subscription_id is not None and self.subscription_id <= 0:
            raise SettingsError(f"strava.subscription_id: {self.subscription_id} is not an ID")

    @property
    def base(self) -> str:
        """Return the API base without a trailing slash."""
        return self.api_base.rstrip("/")


def _check_url(key: str, url: str, *, path_allowed: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"{key}: {url!r} must be an http(s) URL with a host")
    if not path_allowed and parts.path.strip("/"):
        raise SettingsError(f"{key}: {url!r} must be scheme and host only (no path)")
    if parts.query or parts.fragment:
        raise SettingsError(f"{key}: {url!r} must not have a query or fragment")
    try:
        parts.port  # noqa: B018 - reading it validates it
    except ValueError as exc:
        raise SettingsError(f"{key}: {url!r} has a bad port") from exc
