"""A Strava webhook event, read strictly from the JSON Strava posts."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from skill.strava.errors import BadEventError

OBJECT_TYPES = frozenset({"activity", "athlete"})
ASPECT_TYPES = frozenset({"create", "update", "delete"})
# A real event is a couple of hundred bytes; anything near this is not from Strava.
MAX_EVENT_BYTES = 4 * 1024
_INTEGER_FIELDS = ("object_id", "owner_id", "subscription_id", "event_time")


@dataclass(frozen=True)
class WebhookEvent:
    """What Strava says happened: an activity created, updated or deleted; an athlete leaving."""

    object_type: str
    object_id: int
    aspect_type: str
    owner_id: int
    subscription_id: int
    event_time: int
    updates: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.object_type not in OBJECT_TYPES:
            raise BadEventError(f"object_type: {self.object_type!r} is not activity or athlete")
        if self.aspect_type not in ASPECT_TYPES:
            raise BadEventError(
                f"aspect_type: {self.aspect_type!r} is not create, update or delete"
            )
        for name in _INTEGER_FIELDS:
            if getattr(self, name) < 0:
                raise BadEventError(f"{name}: must not be negative")

    @property
    def deauthorized(self) -> bool:
        """Tell whether the athlete revoked this application's access."""
        return self.object_type == "athlete" and self.updates.get("authorized") == "false"


def parse_event(body: bytes) -> WebhookEvent:
    """Return the event a webhook body holds; raise BadEventError naming what is wrong."""
    if len(body) > MAX_EVENT_BYTES:
        raise BadEventError(f"the body is larger than {MAX_EVENT_BYTES} bytes")
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise BadEventError("the body is not valid JSON") from None
    if not isinstance(document, dict):
        raise BadEventError("the body must be a JSON object")
    return event_from(document)


def event_from(document: Mapping[str, Any]) -> WebhookEvent:
    """Return the event a decoded JSON object describes."""
    values: dict[str, Any] = {}
    for name in ("object_type", "aspect_type"):
        value = document.get(name)
        if not isinstance(value, str):
            raise BadEventError(f"{name}: missing or not a string")
        values[name] = value
    for name in _INTEGER_FIELDS:
        value = document.get(name)
        # bool is an int in Python; true is not an ID.
        if not isinstance(value, int) or isinstance(value, bool):
            raise BadEventError(f"{name}: missing or not a whole number")
        values[name] = value
    updates = document.get("updates", {})
    if not isinstance(updates, dict):
        raise BadEventError("updates: must be a JSON object")
    for key, value in updates.items():
        if not isinstance(value, str | int | float | bool):
            raise BadEventError(f"updates.{key}: must be a plain value")
    # Strava sends update values as strings ("false", "Run"); keep them so whatever came.
    values["updates"] = {str(key): _text(value) for key, value in updates.items()}
    return WebhookEvent(**values)


def _text(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
