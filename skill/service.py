"""Dispatch Alexa request envelopes through the skill: the I/O-free core of every edge."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import tzinfo
from typing import Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import CustomSkillBuilder

from skill.edge import MAX_BODY_BYTES, MAX_JSON_DEPTH
from skill.errors import BadRequestError, BodyTooLargeError
from skill.handlers import CatchAllExceptionHandler, request_handlers
from skill.home import HomeAccess
from skill.serializer import EnvelopeSerializer

SUPPORTED_REQUEST_TYPES = frozenset(
    {
        "LaunchRequest",
        "IntentRequest",
        "SessionEndedRequest",
        "CanFulfillIntentRequest",
        "System.ExceptionEncountered",
    }
)
# Alexa sends a session with every standard request (only AudioPlayer, PlaybackController and
# the like come without one, and System.ExceptionEncountered answers those); the handlers of
# these keep the conversation in it.
SESSION_REQUEST_TYPES = frozenset({"LaunchRequest", "IntentRequest", "SessionEndedRequest"})
INTENT_REQUEST_TYPES = frozenset({"IntentRequest", "CanFulfillIntentRequest"})


def build_skill(
    persistence: AbstractPersistenceAdapter,
    access: HomeAccess | None = None,
    timezone: tzinfo | None = None,
) -> CustomSkill:
    """Assemble the ask-sdk skill; `access` reaches runners' homes, `timezone` is theirs."""
    builder = CustomSkillBuilder(persistence_adapter=persistence)
    for handler in request_handlers(access, timezone):
        builder.add_request_handler(handler)
    builder.add_exception_handler(CatchAllExceptionHandler())
    skill: CustomSkill = builder.create()
    return skill


def parse_body(body: bytes) -> dict[str, Any]:
    """Decode a request body as a JSON object, or raise BadRequestError."""
    if len(body) > MAX_BODY_BYTES:
        raise BodyTooLargeError("request body is too large")
    try:
        payload = json.loads(body)
    except RecursionError as exc:  # the C parser stops near Python's recursion limit
        raise BadRequestError("request body is nested too deeply") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequestError("request body is not valid JSON") from exc
    if not isinstance(payload, dict):
        raise BadRequestError("request body must be a JSON object")
    problem = _shape_problem(payload)
    if problem is not None:
        raise BadRequestError(problem)
    return payload


def _shape_problem(document: Any) -> str | None:
    """Say what makes a document unsafe to hand to ask-sdk's deserializer, if anything."""
    # Iterative: the point is to measure documents too deep for recursive code.
    pending: list[tuple[Any, int]] = [(document, 1)]
    while pending:
        node, depth = pending.pop()
        if isinstance(node, dict):
            # The deserializer sets keys as attributes: "__dict__" would replace an object's own.
            if any(isinstance(key, str) and key.startswith("__") for key in node):
                return "request body has a key no Alexa request has"
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > MAX_JSON_DEPTH:
            return "request body is nested too deeply"
        pending.extend((child, depth + 1) for child in children)
    return None


class SkillService:
    """Check request envelopes and dispatch them through the skill."""

    def __init__(self, skill: CustomSkill, skill_ids: frozenset[str] = frozenset()) -> None:
        self._skill = skill
        self._skill_ids = skill_ids
        self._serializer = EnvelopeSerializer()

    def dispatch(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Answer one request envelope with a response envelope as JSON-ready data."""
        request_type = self.check(payload)
        try:
            envelope = self._serializer.envelope(dict(payload))
        except Exception as exc:  # ask-sdk raises its own and stdlib errors for bad shapes
            raise BadRequestError(f"malformed {request_type}: {exc}") from exc
        if envelope.request is None or envelope.context is None:
            raise BadRequestError(f"malformed {request_type}")
        response = self._skill.invoke(request_envelope=envelope, context=None)
        serialized = self._serializer.serialize(response)
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
        if request_type in SESSION_REQUEST_TYPES and not isinstance(
            payload.get("session"), Mapping
        ):
            raise BadRequestError(f"{request_type} has no session")
        if request_type in INTENT_REQUEST_TYPES and not isinstance(
            _at(payload, "request", "intent", "name"), str
        ):
            raise BadRequestError(f"malformed {request_type}: no intent name")
        if not isinstance(_at(payload, "context", "System", "user", "userId"), str):
            # Alexa always says who is asking; the skill keeps each runner's history by it.
            raise BadRequestError("envelope has no user id")
        if self._skill_ids and application_id(payload) not in self._skill_ids:
            raise BadRequestError("request is for a different skill ID")
        return request_type


def application_id(payload: Mapping[str, Any]) -> str | None:
    """Return the skill ID an envelope is addressed to."""
    for path in (("context", "System", "application"), ("session", "application")):
        found = _at(payload, *path, "applicationId")
        if isinstance(found, str):
            return found
    return None


def _at(document: Mapping[str, Any], *path: str) -> Any:
    node: Any = document
    for key in path:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node
