"""Helpers for the Strava tests: settings pointed at the fake, connected athletes, events."""

from __future__ import annotations

import time
from typing import Any

from strava_fake import CLIENT_ID, CLIENT_SECRET, FakeStrava

from skill.strava.config import StravaSettings
from skill.strava.store import ConnectionStore, StravaConnection

VERIFY_TOKEN = "verify-me-5d1e"
SUBSCRIPTION = 120475
USER = "amzn1.ask.account.RUNNER-A"


def strava_settings(fake: FakeStrava, **changes: Any) -> StravaSettings:
    values: dict[str, Any] = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "verify_token": VERIFY_TOKEN,
        "api_base": fake.url,
        "subscription_id": SUBSCRIPTION,
    }
    values.update(changes)
    return StravaSettings(**values)


def connect(
    fake: FakeStrava,
    store: ConnectionStore,
    athlete_id: int,
    user: str = USER,
    expires_at: float | None = None,
) -> StravaConnection:
    """Connect an athlete as `strava connect` would have: tokens on the fake, stored here."""
    access, refresh, expiry = fake.grant(athlete_id, expires_at)
    connection = StravaConnection(
        athlete_id, user, access, refresh, expiry, "read,activity:read_all", "Ada Runner"
    )
    store.save(connection)
    return connection


def event(
    aspect: str,
    object_id: int,
    owner: int,
    *,
    object_type: str = "activity",
    updates: dict[str, str] | None = None,
    subscription: int = SUBSCRIPTION,
) -> dict[str, Any]:
    """Return a webhook event body as Strava posts it."""
    return {
        "aspect_type": aspect,
        "event_time": int(time.time()),
        "object_id": object_id,
        "object_type": object_type,
        "owner_id": owner,
        "subscription_id": subscription,
        "updates": updates or {},
    }
