"""A local Strava: the documented OAuth and activity endpoints the skill calls, on 127.0.0.1.

Implements POST /oauth/token (authorization_code and refresh_token grants, checking the client
and the code), POST /oauth/deauthorize, GET /api/v3/activities/{id} and
GET /api/v3/activities/{id}/streams, with switches for expired tokens (401 until refreshed),
rate limiting (429 with X-RateLimit-* headers for the next N calls) and deleted activities (404).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.serving import make_server

CLIENT_ID = 4242
CLIENT_SECRET = "fake-client-secret-7f3a9c"
LIMITS = "200,2000"
SIX_HOURS = 6 * 60 * 60


@dataclass
class Athlete:
    id: int
    firstname: str
    lastname: str


@dataclass
class FakeStrava:
    """The fake's state, switches and record of what was asked."""

    url: str = ""
    codes: dict[str, Athlete] = field(default_factory=dict)
    access: dict[str, tuple[int, float]] = field(default_factory=dict)
    refresh: dict[str, int] = field(default_factory=dict)
    activities: dict[int, tuple[int, dict[str, Any], dict[str, Any]]] = field(default_factory=dict)
    deleted: set[int] = field(default_factory=set)
    rate_limited_calls: int = 0
    daily_usage: int = 0
    calls: list[tuple[str, str]] = field(default_factory=list)
    deauthorized: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_code(self, athlete: Athlete) -> str:
        """Return a one-time authorization code the athlete's approval would give."""
        code = secrets.token_hex(8)
        self.codes[code] = athlete
        return code

    def grant(self, athlete_id: int, expires_at: float | None = None) -> tuple[str, str, int]:
        """Issue tokens for an athlete as a code exchange would; return them."""
        access, refresh = secrets.token_hex(12), secrets.token_hex(12)
        expiry = int(expires_at if expires_at is not None else time.time() + SIX_HOURS)
        self.access[access] = (athlete_id, expiry)
        self.refresh[refresh] = athlete_id
        return access, refresh, expiry

    def expire_access_tokens(self) -> None:
        """Make every access token issued so far answer 401, as if revoked or expired early."""
        self.access.clear()

    def rate_limit(self, calls: int, *, daily: bool = False) -> None:
        """Answer the next `calls` API calls with 429 (the daily limit used up if `daily`)."""
        self.rate_limited_calls = calls
        self.daily_usage = 2000 if daily else 0

    def add_activity(
        self, owner: int, activity: dict[str, Any], streams: dict[str, list[Any]] | None = None
    ) -> None:
        self.activities[int(activity["id"])] = (
            owner,
            activity,
            {
                key: {"type": key, "data": data, "series_type": "distance", "resolution": "high"}
                for key, data in (streams or {}).items()
            },
        )

    def api_calls(self) -> list[str]:
        return [path for method, path in self.calls if path.startswith("/api/")]


def run_activity(activity_id: int, athlete_id: int, **changes: Any) -> dict[str, Any]:
    """Return a DetailedActivity document as Strava's API gives one for a run."""
    document: dict[str, Any] = {
        "id": activity_id,
        "resource_state": 3,
        "athlete": {"id": athlete_id, "resource_state": 1},
        "name": "Morning Run",
        "distance": 10234.5,
        "moving_time": 3120,
        "elapsed_time": 3300,
        "total_elevation_gain": 87.2,
        "type": "Run",
        "sport_type": "Run",
        "start_date": "2024-05-01T06:30:00Z",
        "start_date_local": "2024-05-01T08:30:00Z",
        "timezone": "(GMT+01:00) Europe/Paris",
        "has_heartrate": True,
        "average_heartrate": 151.3,
        "max_heartrate": 172.0,
        "average_cadence": 84.5,
        "manual": False,
        "private": False,
    }
    document.update(changes)
    return document


def run_streams(seconds: int = 3120, step: int = 10) -> dict[str, list[Any]]:
    """Return time, heart-rate, distance and cadence streams for a steady run."""
    times = list(range(0, seconds + 1, step))
    return {
        "time": times,
        "heartrate": [140 + (t * 20) // seconds for t in times],
        "distance": [round(t * 3.28, 1) for t in times],
        "cadence": [84 for _ in times],
    }


def _error(message: str, status: int, resource: str, field_name: str) -> tuple[Response, int]:
    body = {
        "message": message,
        "errors": [{"resource": resource, "field": field_name, "code": "invalid"}],
    }
    return jsonify(body), status


def fake_app(state: FakeStrava) -> Flask:
    app = Flask("fake_strava")

    @app.before_request
    def record() -> tuple[Response, int] | None:
        with state.lock:
            state.calls.append((request.method, request.path))
            if request.path.startswith("/api/") and state.rate_limited_calls > 0:
                state.rate_limited_calls -= 1
                response = jsonify(
                    {
                        "message": "Rate Limit Exceeded",
                        "errors": [
                            {"resource": "Application", "field": "rate limit", "code": "exceeded"}
                        ],
                    }
                )
                response.headers["X-RateLimit-Limit"] = LIMITS
                response.headers["X-RateLimit-Usage"] = f"201,{state.daily_usage or 900}"
                return response, 429
        return None

    @app.after_request
    def rate_headers(response: Response) -> Response:
        if request.path.startswith("/api/") and response.status_code != 429:
            response.headers.setdefault("X-RateLimit-Limit", LIMITS)
            response.headers.setdefault("X-RateLimit-Usage", "12,340")
        return response

    @app.post("/oauth/token")
    def token() -> tuple[Response, int]:
        form = request.form
        if form.get("client_id") != str(CLIENT_ID) or form.get("client_secret") != CLIENT_SECRET:
            return _error("Bad Request", 401, "Application", "client_id")
        grant_type = form.get("grant_type")
        with state.lock:
            if grant_type == "authorization_code":
                athlete = state.codes.pop(form.get("code", ""), None)
                if athlete is None:
                    return _error("Bad Request", 400, "AuthorizationCode", "code")
                access, refresh, expiry = state.grant(athlete.id)
                return jsonify(
                    {
                        "token_type": "Bearer",
                        "expires_at": expiry,
                        "expires_in": SIX_HOURS,
                        "refresh_token": refresh,
                        "access_token": access,
                        "athlete": {
                            "id": athlete.id,
                            "resource_state": 2,
                            "firstname": athlete.firstname,
                            "lastname": athlete.lastname,
                        },
                    }
                ), 200
            if grant_type == "refresh_token":
                owner = state.refresh.pop(form.get("refresh_token", ""), None)
                if owner is None:
                    return _error("Bad Request", 400, "RefreshToken", "refresh_token")
                # Strava may rotate the refresh token; this fake always does, so the old one dies.
                access, refresh, expiry = state.grant(owner)
                return jsonify(
                    {
                        "token_type": "Bearer",
                        "access_token": access,
                        "expires_at": expiry,
                        "expires_in": SIX_HOURS,
                        "refresh_token": refresh,
                    }
                ), 200
        return _error("Bad Request", 400, "Application", "grant_type")

    def _owner() -> int | None:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else None
        token = token or request.form.get("access_token")
        found = state.access.get(token or "")
        if found is None or found[1] < time.time():
            return None
        return found[0]

    @app.post("/oauth/deauthorize")
    def deauthorize() -> tuple[Response, int]:
        owner = _owner()
        if owner is None:
            return _error("Authorization Error", 401, "Athlete", "access_token")
        with state.lock:
            for token, (athlete, _) in list(state.access.items()):
                if athlete == owner:
                    del state.access[token]
            state.deauthorized.append(owner)
        return jsonify({"access_token": "revoked"}), 200

    def _activity(activity_id: int) -> tuple[dict[str, Any], dict[str, Any]] | tuple[Response, int]:
        owner = _owner()
        if owner is None:
            return _error("Authorization Error", 401, "Athlete", "access_token")
        found = state.activities.get(activity_id)
        if found is None or activity_id in state.deleted or found[0] != owner:
            return _error("Record Not Found", 404, "Activity", "id")
        return found[1], found[2]

    @app.get("/api/v3/activities/<int:activity_id>")
    def activity(activity_id: int) -> tuple[Response, int]:
        found = _activity(activity_id)
        if isinstance(found[0], Response):
            return found  # type: ignore[return-value]
        return jsonify(found[0]), 200

    @app.get("/api/v3/activities/<int:activity_id>/streams")
    def streams(activity_id: int) -> tuple[Response, int]:
        found = _activity(activity_id)
        if isinstance(found[0], Response):
            return found  # type: ignore[return-value]
        if request.args.get("key_by_type", "").lower() != "true":
            return _error("Bad Request", 400, "Stream", "key_by_type")
        keys = request.args.get("keys", "").split(",")
        available: dict[str, Any] = found[1]  # type: ignore[assignment]
        return jsonify({key: value for key, value in available.items() if key in keys}), 200

    return app


@contextmanager
def serve_fake() -> Iterator[FakeStrava]:
    """Serve a fresh fake Strava on a free 127.0.0.1 port until the block ends."""
    state = FakeStrava()
    server = make_server("127.0.0.1", 0, fake_app(state), threaded=True)
    state.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="fake-strava", daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()
