"""Receive Strava's redirect after the runner approves, on a one-shot local HTTP server."""

from __future__ import annotations

import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import urlsplit

from skill.strava.errors import ConnectError
from skill.strava.oauth import Redirect, redirect_from

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
PAGE = (
    b"<!doctype html><title>Recovery Coach</title>"
    b"<p>Strava answered. You can close this tab and go back to the terminal.</p>"
)


def local_address(redirect_uri: str) -> tuple[int, str]:
    """Return the port and path a local redirect URI names; ConnectError if it is not local."""
    parts = urlsplit(redirect_uri)
    if parts.scheme != "http" or parts.hostname not in LOCAL_HOSTS:
        raise ConnectError(
            f"redirect_uri {redirect_uri} is not http://127.0.0.1 or http://localhost: "
            "paste the code with --code instead"
        )
    return parts.port or 80, parts.path or "/"


class _Server(HTTPServer):
    received: Redirect | None = None
    path: str = "/"


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != self.server.path:
            self._answer(404, b"not found")
            return
        self.server.received = redirect_from(parts.query)
        self._answer(200, PAGE, "text/html; charset=utf-8")

    def _answer(self, status: int, body: bytes, kind: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        # The request line holds the authorization code: never printed.
        pass


def receive_redirect(redirect_uri: str, timeout_s: float) -> Redirect:
    """Serve the redirect URI's path on 127.0.0.1 until Strava's redirect arrives."""
    port, path = local_address(redirect_uri)
    try:
        server = _Server(("127.0.0.1", port), _Handler)
    except OSError as exc:
        raise ConnectError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}") from exc
    server.path = path
    # Each handle_request waits at most this long, so the deadline is checked without spinning.
    server.timeout = 0.5
    deadline = time.monotonic() + timeout_s
    try:
        while server.received is None:
            if time.monotonic() > deadline:
                raise ConnectError(f"no redirect from Strava within {timeout_s:g} s")
            server.handle_request()
        return server.received
    finally:
        server.server_close()
