"""Speakers: Rhasspy/Hermes satellites (which confirm), or a plain text topic (which cannot)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

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


# Home Assistant services that make a speaker talk, and the entity domain each one targets.
# tts.speak is in 2024.1 (make test-ha proves it); notify entities and Assist satellites came later.
HA_SERVICES = {
    "tts.speak": "media_player",
    "notify.send_message": "notify",
    "assist_satellite.announce": "assist_satellite",
}
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ENTITY_ID = re.compile(r"^[a-z0-9_]+\.[a-z0-9_]+$")


@dataclass(frozen=True)
class HomeAssistantSpeaker:
    """A speaker Home Assistant drives, asked over its REST API; not MQTT at all."""

    url: str
    token_env: str
    media_player: str
    tts_entity: str | None = None
    service: str = "tts.speak"
    timeout_s: float = 10.0
    # Read from the environment variable named by token_env when the config is loaded.
    token: str | None = field(default=None, repr=False)
    confirms: bool = True

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"adapter.url: {self.url!r} must be http(s)://host:port")
        if parts.username is not None or parts.query or parts.fragment:
            raise ConfigError(
                "adapter.url: give only scheme, host, port and path (the token goes in token_env)"
            )
        if not ENV_NAME.match(self.token_env):
            raise ConfigError(
                f"adapter.token_env: {self.token_env!r} is not an environment variable name"
            )
        if self.service not in HA_SERVICES:
            raise ConfigError(f"adapter.service: must be one of {', '.join(HA_SERVICES)}")
        domain = HA_SERVICES[self.service]
        if not ENTITY_ID.match(self.media_player) or not self.media_player.startswith(f"{domain}."):
            raise ConfigError(
                f"adapter.media_player: {self.media_player!r} must be a {domain}.* entity "
                f"for {self.service}"
            )
        if self.service == "tts.speak":
            if self.tts_entity is None:
                raise ConfigError(
                    "adapter.tts_entity: is required for tts.speak (such as tts.piper)"
                )
            if not ENTITY_ID.match(self.tts_entity) or not self.tts_entity.startswith("tts."):
                raise ConfigError(f"adapter.tts_entity: {self.tts_entity!r} must be a tts.* entity")
        elif self.tts_entity is not None:
            raise ConfigError(f"adapter.tts_entity: only tts.speak uses it, not {self.service}")
        if not 0.5 <= self.timeout_s <= 120:
            raise ConfigError("adapter.timeout_s: must be 0.5 to 120 seconds")

    def subscriptions(self) -> list[str]:
        """Nothing to listen to: Home Assistant answers the HTTP call itself."""
        return []

    def say(self, words: str, say_id: str) -> list[Message]:
        """Publish nothing: the bridge's speech worker makes the HTTP call (see call())."""
        return []

    def finished(self, topic: str, payload: bytes) -> str | None:
        """Home Assistant never reports on MQTT."""
        return None

    def entities(self) -> list[str]:
        """Return the entities the service call needs to exist and be available."""
        return [e for e in (self.tts_entity, self.media_player) if e is not None]

    def call(self, words: str) -> tuple[str, dict[str, str]]:
        """Return the service URL and the JSON body that make Home Assistant say the words."""
        domain, service = self.service.split(".")
        body = {"entity_id": self.media_player, "message": words}
        if self.service == "tts.speak":
            assert self.tts_entity is not None
            body = {
                "entity_id": self.tts_entity,
                "media_player_entity_id": self.media_player,
                "message": words,
            }
        return f"{self.url.rstrip('/')}/api/services/{domain}/{service}", body


@dataclass(frozen=True)
class Utterance:
    """Words the bridge asks a non-MQTT speaker to say, under the id its reply will carry."""

    say_id: str
    words: str


Speaker = HermesSpeaker | TopicSpeaker | HomeAssistantSpeaker
