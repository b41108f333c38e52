"""Zigbee2MQTT plugs, valves and sensors: `<base>/<name>/set`, state JSON, availability."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from mqtt_bridge.adapters.base import Observation, never_raises, to_float, unusable, word_to_bool
from mqtt_bridge.errors import ConfigError
from mqtt_bridge.messages import Message, parse_json, text

NAME = re.compile(r"^[^#+]+$")
AVAILABILITY = {"online": True, "offline": False}


@dataclass(frozen=True)
class Zigbee2MqttDevice:
    """A device known to Zigbee2MQTT by its friendly name."""

    friendly_name: str
    base_topic: str = "zigbee2mqtt"
    auto_off: bool = True  # on_time; some firmware ignores it, so the bridge keeps its own timer

    def __post_init__(self) -> None:
        if not NAME.match(self.friendly_name) or self.friendly_name.endswith(("/set", "/get")):
            raise ConfigError(f"adapter.friendly_name: {self.friendly_name!r} is not usable")
        if not NAME.match(self.base_topic):
            raise ConfigError(f"adapter.base_topic: {self.base_topic!r} is not a topic")

    @property
    def topic(self) -> str:
        return f"{self.base_topic}/{self.friendly_name}"

    def subscriptions(self) -> list[str]:
        """Watch the state JSON and the availability topic."""
        return [self.topic, f"{self.topic}/availability"]

    def turn_on(self, auto_off_s: int) -> list[Message]:
        """Switch on with `on_time`, the Zigbee on-with-timed-off."""
        payload = json.dumps({"state": "ON", "on_time": auto_off_s})
        return [Message(f"{self.topic}/set", payload)]

    def turn_off(self) -> list[Message]:
        """Switch off."""
        return [Message(f"{self.topic}/set", json.dumps({"state": "OFF"}))]

    def query(self) -> list[Message]:
        """Ask Zigbee2MQTT to read the state attribute."""
        return [Message(f"{self.topic}/get", json.dumps({"state": ""}))]

    @never_raises
    def parse(self, topic: str, payload: bytes) -> Observation | None:
        """Read availability (2.x JSON or plain text) or the device's state JSON."""
        if topic == f"{self.topic}/availability":
            document = parse_json(payload)
            word = document.get("state") if isinstance(document, dict) else text(payload)
            online = AVAILABILITY.get(str(word).lower())
            return Observation(online=online) if online is not None else None
        if topic != self.topic:
            return None
        document = parse_json(payload)
        if not isinstance(document, dict):
            unusable(topic, payload, "is not a JSON object")
            return None
        on = word_to_bool(document["state"]) if "state" in document else None
        leak = document.get("water_leak")
        observation = Observation(
            on=on,
            temperature_c=to_float(document.get("temperature")),
            wet=leak if isinstance(leak, bool) else None,
        )
        return None if observation == Observation() else observation
