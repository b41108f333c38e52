"""Zigbee2MQTT plugs, valves and sensors: `<base>/<name>/set`, state JSON, availability."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from mqtt_bridge.adapters.base import Observation, never_raises, to_float, unusable, word_to_bool
from mqtt_bridge.errors import ConfigError
from mqtt_bridge.messages import Message, parse_json, text

NAME = re.compile(r"^[^#+]+$")
AVAILABILITY = {"online": True, "offline": False}
# How a device is told to switch itself off. `on_time` is Zigbee2MQTT's On With Timed Off in
# seconds (sent to the device in tenths); `countdown` is the Tuya converter's toggle countdown in
# seconds, for plugs such as the TS011F that read onWithTimedOff that way; `none` sends neither.
AUTO_OFF_COMMANDS = ("on_time", "countdown", "none")
COUNTDOWN_MAX_S = 43200  # the Tuya converter refuses more (12 hours)


@dataclass(frozen=True)
class Zigbee2MqttDevice:
    """A device known to Zigbee2MQTT by its friendly name."""

    friendly_name: str
    base_topic: str = "zigbee2mqtt"
    # `none` unless the config says: a Tuya plug sent `on_time` stays off and toggles ten times
    # later (Koenkk/zigbee2mqtt#22182), so a device nobody described gets no device-side timer.
    # The bridge's own timer runs whatever this says.
    auto_off_command: str = "none"
    auto_off: bool = field(init=False)

    def __post_init__(self) -> None:
        if not NAME.match(self.friendly_name) or self.friendly_name.endswith(("/set", "/get")):
            raise ConfigError(f"adapter.friendly_name: {self.friendly_name!r} is not usable")
        if not NAME.match(self.base_topic):
            raise ConfigError(f"adapter.base_topic: {self.base_topic!r} is not a topic")
        if self.auto_off_command not in AUTO_OFF_COMMANDS:
            raise ConfigError(
                f"adapter.auto_off: must be on_time, countdown or none, "
                f"got {self.auto_off_command!r}"
            )
        object.__setattr__(self, "auto_off", self.auto_off_command != "none")

    @property
    def topic(self) -> str:
        return f"{self.base_topic}/{self.friendly_name}"

    def subscriptions(self) -> list[str]:
        """Watch the state JSON and the availability topic."""
        return [self.topic, f"{self.topic}/availability"]

    def turn_on(self, auto_off_s: int) -> list[Message]:
        """Switch on with the device-side auto-off this device understands, then read back."""
        command: dict[str, Any] = {"state": "ON"}
        if self.auto_off_command == "on_time":
            command["on_time"] = auto_off_s
        elif self.auto_off_command == "countdown":
            command["countdown"] = max(1, min(auto_off_s, COUNTDOWN_MAX_S))
        return [Message(f"{self.topic}/set", json.dumps(command)), *self.query()]

    def turn_off(self) -> list[Message]:
        """Switch off (which also cancels a Tuya countdown), then read back."""
        return [Message(f"{self.topic}/set", json.dumps({"state": "OFF"})), *self.query()]

    def query(self) -> list[Message]:
        """Ask Zigbee2MQTT to read the state attribute from the device."""
        # After an on_time command Zigbee2MQTT publishes no state, and after a plain one only its
        # own echo: the answer to this read is the device's word, and confirms the command.
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
