"""Hand-built Alexa request envelopes for tests that need exact control of every field."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

SKILL_ID = "amzn1.ask.skill.11111111-2222-3333-4444-555555555555"
USER_ID = "amzn1.ask.account.TESTUSER"


def envelope(
    request: dict[str, Any],
    *,
    timestamp: datetime,
    skill_id: str = SKILL_ID,
    user_id: str = USER_ID,
    attributes: dict[str, Any] | None = None,
    new: bool = True,
    locale: str = "en-US",
) -> dict[str, Any]:
    application = {"applicationId": skill_id}
    user = {"userId": user_id}
    return {
        "version": "1.0",
        "session": {
            "new": new,
            "sessionId": f"amzn1.echo-api.session.{uuid.uuid4()}",
            "application": application,
            "attributes": attributes or {},
            "user": user,
        },
        "context": {
            "System": {
                "application": application,
                "user": user,
                "device": {"deviceId": "device-1", "supportedInterfaces": {}},
                "apiEndpoint": "https://api.amazonalexa.com",
            }
        },
        "request": {
            "requestId": f"amzn1.echo-api.request.{uuid.uuid4()}",
            "timestamp": timestamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "locale": locale,
            **request,
        },
    }


def intent(
    name: str, timestamp: datetime, slots: dict[str, Any] | None = None, **kw: Any
) -> dict[str, Any]:
    return envelope(
        {
            "type": "IntentRequest",
            "intent": {"name": name, "confirmationStatus": "NONE", "slots": slots or {}},
        },
        timestamp=timestamp,
        **kw,
    )


def resolved_slot(name: str, value: str, value_id: str | None) -> dict[str, Any]:
    """A custom slot as Alexa fills it, matched (with an id) or not."""
    authority = {
        "authority": f"amzn1.er-authority.echo-sdk.{SKILL_ID}.TYPE",
        "status": {"code": "ER_SUCCESS_MATCH" if value_id else "ER_SUCCESS_NO_MATCH"},
    }
    if value_id:
        authority["values"] = [{"value": {"name": value, "id": value_id}}]
    return {
        "name": name,
        "value": value,
        "confirmationStatus": "NONE",
        "resolutions": {"resolutionsPerAuthority": [authority]},
    }
