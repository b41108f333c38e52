"""Speakers: Rhasspy/Hermes satellites (which confirm), or a plain text topic (which cannot)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from mqtt_bridge.adapters.base import never_raises
from mqtt_bridge.errors import ConfigError
from mqtt_bridge.messages import Message, parse_json

SAY = "hermes/tts/say"
SAY_FINISHED = "hermes/tts/sayFinished"
# Rhasspy's TTS error: {"error", "context", "siteId", "sessionId"}, and no sayFinished after it.
SAY_FAILED = "hermes/error/tts"
MAX_ERROR_CHARS = 200


@dataclass(frozen=True)
class HermesSpeaker:
    """A Hermes TTS satellite, addressed by site id."""

    site_id: str = "default"
    lang: str | None = None
    confirms: bool = True

    def __post_init__(self) -> None:
        if not self.site_id:
            raise ConfigError("adapter.site_id: must not be empty")

    def subscriptions(self) -> list[str]:
        """Listen for the satellite's 'finished speaking' notice and its errors."""
        return [SAY_FINISHED, SAY_FAILED]

    def say(self, words: str, say_id: str) -> list[Message]:
        """Ask the satellite to speak."""
        request = {"text": words, "siteId": self.site_id, "id": say_id, "sessionId": say_id}
        if self.lang:
            request["lang"] = self.lang
        return [Message(SAY, json.dumps(request))]

    @never_raises
    def finished(self, topic: str, payload: bytes) -> str | None:
        """Return the id of an announcement this satellite finished, if this says so."""
        if topic != SAY_FINISHED:
            return None
        document = parse_json(payload)
        if not isinstance(document, dict):
            return None
        if document.get("siteId", self.site_id) != self.site_id:
            return None
        say_id = document.get("id") or document.get("sessionId")
        return say_id if isinstance(say_id, str) and say_id else None

    @never_raises
    def failed(self, topic: str, payload: bytes) -> tuple[str, str] | None:
        """Return (announcement id, the speaker's words) if this says speaking it failed."""
        if topic != SAY_FAILED:
            return None
        document = parse_json(payload)
        if not isinstance(document, dict):
            return None
        if document.get("siteId", "default") != self.site_id:
            return None
        # The error carries no id: our session id (one per announcement) says which it was.
        say_id = document.get("sessionId") or document.get("context")
        if not isinstance(say_id, str) or not say_id:
            return None
        error = document.get("error")
        words = str(error)[:MAX_ERROR_CHARS] if error else "an error without a description"
        return say_id, words


@dataclass(frozen=True)
class TopicSpeaker:
    """Any text-to-speech that reads plain text from a topic; it cannot confirm."""

    topic: str
    confirms: bool = False

    def __post_init__(self) -> None:
        if not self.topic or "#" in self.topic or "+" in self.topic:
            raise ConfigError(f"adapter.topic: {self.topic!r} is not a topic")

    def subscriptions(self) -> list[str]:
        """Nothing to listen to."""
        return []

    def say(self, words: str, say_id: str) -> list[Message]:
        """Publish the words."""
        return [Message(self.topic, words)]

    def finished(self, topic: str, payload: bytes) -> str | None:
        """Plain topics never report back."""
        return None

    def failed(self, topic: str, payload: bytes) -> tuple[str, str] | None:
        """Nor report errors."""
        return None


Speaker = HermesSpeaker | TopicSpeaker
