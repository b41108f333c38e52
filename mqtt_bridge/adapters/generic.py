"""Anything else: configurable command/state topics, payloads and JSON paths."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mqtt_bridge.adapters.base import Observation, never_raises, to_float, word_to_bool
from mqtt_bridge.errors import ConfigError
from mqtt_bridge.messages import Message, parse_json, text


def json_path(document: Any, path: str) -> Any:
    """Follow a dotted path ('a.b.0') into parsed JSON; None where it leads nowhere."""
    node = document
    for part in path.split("."):
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


@dataclass(frozen=True)
class GenericDevice:
    """A device described entirely by configuration; it has no device-side auto-off."""

    state_topic: str
    command_topic: str | None = None
    payload_on: str = "ON"
    payload_off: str = "OFF"
    state_on: str = "ON"
    state_off: str = "OFF"
    value_path: str | None = None
    temperature_path: str | None = None
    wet_path: str | None = None
    availability_topic: str | None = None
    payload_available: str = "online"
    payload_not_available: str = "offline"
    auto_off: bool = False

    def __post_init__(self) -> None:
        for key in ("state_topic", "command_topic", "availability_topic"):
            topic = getattr(self, key)
            if topic is not None and (not topic or "#" in topic or "+" in topic):
                raise ConfigError(f"adapter.{key}: {topic!r} is not a topic")

    def subscriptions(self) -> list[str]:
        """Watch the state topic and the availability topic."""
        return [self.state_topic] + ([self.availability_topic] if self.availability_topic else [])

    def turn_on(self, auto_off_s: int) -> list[Message]:
        """Publish the ON payload; the bridge's own timer is the only auto-off."""
        return [Message(self._command(), self.payload_on)]

    def turn_off(self) -> list[Message]:
        """Publish the OFF payload."""
        return [Message(self._command(), self.payload_off)]

    def query(self) -> list[Message]:
        """Generic devices have no standard query."""
        return []

    def _command(self) -> str:
        if self.command_topic is None:
            raise ConfigError("adapter.command_topic: a switch needs a command topic")
        return self.command_topic

    @never_raises
    def parse(self, topic: str, payload: bytes) -> Observation | None:
        """Read availability, or the state by payload or JSON path."""
        if topic == self.availability_topic:
            word = text(payload)
            if word == self.payload_available:
                return Observation(online=True)
            if word == self.payload_not_available:
                return Observation(online=False)
            return None
        if topic != self.state_topic:
            return None
        document = parse_json(payload)
        value = json_path(document, self.value_path) if self.value_path else text(payload)
        states = {self.state_on: True, self.state_off: False}
        on = states.get(str(value)) if value is not None else None
        temperature = (
            to_float(json_path(document, self.temperature_path)) if self.temperature_path else None
        )
        wet = word_to_bool(json_path(document, self.wet_path)) if self.wet_path else None
        observation = Observation(on=on, temperature_c=temperature, wet=wet)
        return None if observation == Observation() else observation
