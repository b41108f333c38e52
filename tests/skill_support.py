"""A runner talking to the skill over HTTP (Flask's test client), every response checked."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from ssml import check_response

from mqtt_bridge.reply_types import HomeState
from skill.conversation import Conversation, plain_text
from skill.nlu import Recognizer


class Session:
    """A runner talking to the skill over HTTP, with every response checked for SSML limits."""

    def __init__(self, client: FlaskClient, locale: str = "en-US", user: str = "runner-1") -> None:
        self.client = client
        self.conversation = Conversation(
            Recognizer.load(locale), self.send, locale=locale, user_id=user
        )
        self.last: dict[str, Any] = {}

    def send(self, payload: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post("/alexa", json=payload)
        assert response.status_code == 200, response.get_data(as_text=True)
        body: dict[str, Any] = response.json
        check_response(body)
        self.last = body
        return body

    def say(self, phrase: str) -> str:
        body = self.conversation.say(phrase)
        speech = body["response"].get("outputSpeech", {})
        return plain_text(speech.get("ssml", ""))

    @property
    def card(self) -> dict[str, Any]:
        card: dict[str, Any] = self.last["response"].get("card") or {}
        return card

    @property
    def ends(self) -> bool:
        return bool(self.last["response"].get("shouldEndSession"))


def home_state(**parts: Any) -> HomeState:
    """Build a bridge state from the parts a test cares about; the rest idle."""
    document: dict[str, Any] = {
        "home": "flat",
        "devices": {},
        "heat": {"running": False},
        "bath": {"status": "idle"},
        "updated_at": "2026-07-01T19:00:00+00:00",
        "expires_at": "2026-07-01T19:01:15+00:00",
        **parts,
    }
    return HomeState.model_validate(document)
