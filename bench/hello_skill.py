"""Anchor: a bare ask-sdk-core "hello" skill, the least an Alexa skill can do.

One handler answers every LaunchRequest and IntentRequest with fixed speech, through the same
deserialize -> invoke -> serialize steps any ask-sdk web or Lambda adapter takes. Run as a
script it answers the one envelope on stdin (the cold-start anchor), so it imports nothing else.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_core.utils import is_request_type
from ask_sdk_model import RequestEnvelope, Response


class HelloHandler(AbstractRequestHandler):
    """Say hello to any launch or intent."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        """Take launches and intents."""
        return bool(
            is_request_type("LaunchRequest")(handler_input)
            or is_request_type("IntentRequest")(handler_input)
        )

    def handle(self, handler_input: HandlerInput) -> Response:
        """Answer with fixed speech."""
        return handler_input.response_builder.speak("Hello from the bare skill.").response


def build_hello() -> CustomSkill:
    """Build the hello skill."""
    builder = SkillBuilder()
    builder.add_request_handler(HelloHandler())
    return builder.create()


def dispatch(skill: CustomSkill, payload: dict[str, Any]) -> dict[str, Any]:
    """Answer one envelope, as ask-sdk's adapters do."""
    envelope = skill.serializer.deserialize(payload=json.dumps(payload), obj_type=RequestEnvelope)
    response = skill.invoke(request_envelope=envelope, context=None)
    answer: dict[str, Any] = skill.serializer.serialize(response)
    return answer


if __name__ == "__main__":
    print(json.dumps(dispatch(build_hello(), json.loads(sys.stdin.read()))), flush=True)
