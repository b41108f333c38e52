"""Dispatch Alexa request envelopes through the skill: the I/O-free core of every edge."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import CustomSkillBuilder
from ask_sdk_model import RequestEnvelope

from skill.errors import BadRequestError
from skill.handlers import CatchAllExceptionHandler, request_handlers
from skill.home import HomeAccess

SUPPORTED_REQUEST_TYPES = frozenset(
    {
        "LaunchRequest",
        "IntentRequest",
        "SessionEndedRequest",
        "CanFulfillIntentRequest",
        "System.ExceptionEncountered",
    }
)
MAX_BODY_BYTES = 128 * 1024


def build_skill(
    persistence: AbstractPersistenceAdapter, access: HomeAccess | None = None
) -> CustomSkill:
    """Assemble the ask-sdk skill from our handlers; `access` reaches runners' homes."""
    builder = CustomSkillBuilder(persistence_adapter=persistence)
    for handler in request_handlers(access):
        builder.add_request_handler(handler)
    builder.add_exception_handler(CatchAllExceptionHandler())
    skill: CustomSkill = builder.create()
    return skill


def parse_body(body: bytes) -> dict[str, Any]:
    """Decode a request body as a JSON object, or raise BadRequestError."""
    if len(body) > MAX_BODY_BYTES:
        raise BadRequestError("request body is too large")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequestError("request body is not valid JSON") from exc
    if not isinstance(payload, dict):
        raise BadRequestError("request body must be a JSON object")
    return payload


class SkillService:
    """Check request envelopes and dispatch them through the skill."""

    def __init__(self, skill: CustomSkill, skill_ids: frozenset[str] = frozenset()) -> None:
        self._skill = skill
        self._skill_ids = skill_ids

    def dispatch(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Answer one request envelope with a response envelope as JSON-ready data."""
        request_type = self.check(payload)
        try:
            envelope = self._skill.serializer.deserialize(
                payload=json.dumps(payload), obj_type=RequestEnvelope
            )
        except Exception as exc:  # ask-sdk raises its own and stdlib errors for bad shapes
            raise BadRequestError(f"malformed {request_type}: {exc}") from exc
        if envelope.request is None or envelope.context is None:
            raise BadRequestError(f"malformed {request_type}")
        response = self._skill.invoke(request_envelope=envelope, context=None)
        serialized = self._skill.serializer.serialize(response)
        if not isinstance(serialized, dict):
            raise TypeError("the skill produced a response that is not a JSON object")
        return serialized

    def check(self, payload: Mapping[str, Any]) -> str:
        """Check the envelope's shape, request type and skill ID; return the request type."""
        request = payload.get("request")
        if not isinstance(request, Mapping) or not isinstance(request.get("type"), str):
            raise BadRequestError("envelope has no request type")
        if not isinstance(payload.get("context"), Mapping):
            raise BadRequestError("envelope has no context")
        request_type = str(request["type"])
        if request_type not in SUPPORTED_REQUEST_TYPES:
            raise BadRequestError(f"unsupported request type {request_type!r}")
        if self._skill_ids and application_id(payload) not in self._skill_ids:
            raise BadRequestError("request is for a different skill ID")
        return request_type


def application_id(payload: Mapping[str, Any]) -> str | None:
    """Return the skill ID an envelope is addressed to."""
    for path in (("context", "System", "application"), ("session", "application")):
        node: Any = payload
        for key in path:
            node = node.get(key) if isinstance(node, Mapping) else None
        if isinstance(node, Mapping) and isinstance(node.get("applicationId"), str):
            return str(node["applicationId"])
    return None
