"""Helpers for bridge tests: a standard home configuration and a fake-clock core harness."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mqtt_bridge.config import BridgeConfig, parse_config
from mqtt_bridge.core import BridgeCore
from mqtt_bridge.messages import Message
from mqtt_bridge.store import TimerStore

# The standard home's Tasmota plug takes every switching command as one Backlog0.
PAD_COMMANDS = "cmnd/heatpad/Backlog0"
PAD_OFF = (PAD_COMMANDS, "Power1 OFF; PulseTime1 0")


def pad_on(pulse: int) -> tuple[str, str]:
    """Return the command that sets the plug's PulseTime and switches it on."""
    return (PAD_COMMANDS, f"PulseTime1 {pulse}; Power1 ON")


def pad_switch(message: Message) -> str | None:
    """Return "ON" or "OFF" for a command that switches the plug, else None."""
    if message.topic != PAD_COMMANDS:
        return None
    return "ON" if message.payload.endswith("Power1 ON") else "OFF"


HOME: dict[str, Any] = {
    "home": "test_home",
    "timezone": "UTC",
    "devices": {
        "heating_pad": {"role": "heating_pad", "adapter": {"type": "tasmota", "topic": "heatpad"}},
        "bath_valve": {
            "role": "bath_valve",
            "adapter": {"type": "shelly", "device_id": "shellyplus1-bath"},
        },
        "bath_thermometer": {
            "role": "bath_temperature",
            "adapter": {"type": "zigbee2mqtt", "friendly_name": "bath_temp"},
        },
        "floor_leak": {
            "role": "leak_sensor",
            "adapter": {"type": "zigbee2mqtt", "friendly_name": "bath_leak"},
        },
        "speaker": {"role": "speaker", "adapter": {"type": "hermes", "site_id": "bathroom"}},
    },
}


def home_document(**changes: Any) -> dict[str, Any]:
    """Return the standard home, with top-level keys replaced."""
    document = copy.deepcopy(HOME)
    document.update(changes)
    return document


def home_config(tmp_path: Path, **changes: Any) -> BridgeConfig:
    document = home_document(**changes)
    document.setdefault("timer_database", str(tmp_path / "bridge.sqlite3"))
    return parse_config(document, env={})


class CoreHarness:
    """Drive a BridgeCore with a fake clock and record what it publishes."""

    def __init__(self, tmp_path: Path, start: datetime | None = None, **changes: Any) -> None:
        self.config = home_config(tmp_path, **changes)
        self.store = TimerStore(self.config.database)
        self.now = start or datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
        self.core = BridgeCore(self.config, self.store)
        self.sent: list[Message] = []
        self._record(self.core.start(self.now))
        self._record(self.core.connected(self.now))

    def _record(self, messages: list[Message]) -> list[Message]:
        self.sent += messages
        return messages

    def request(self, verb: str, **params: Any) -> list[Message]:
        payload = json.dumps(params).encode()
        return self.raw(f"recovery/test_home/request/{verb}", payload)

    def raw(self, topic: str, payload: bytes | str) -> list[Message]:
        data = payload.encode() if isinstance(payload, str) else payload
        return self._record(self.core.message(topic, data, self.now))

    def advance(self, seconds: float) -> list[Message]:
        self.now += timedelta(seconds=seconds)
        return self._record(self.core.tick(self.now))

    def replies(self, verb: str) -> list[dict[str, Any]]:
        topic = f"recovery/test_home/response/{verb}"
        return [json.loads(m.payload) for m in self.sent if m.topic == topic]

    def to(self, prefix: str) -> list[Message]:
        return [m for m in self.sent if m.topic.startswith(prefix)]

    def clear(self) -> None:
        self.sent.clear()

    # Devices as their firmware would report.
    def pad(self, state: str) -> list[Message]:
        """Report the plug's state; an ON answering a Backlog0 first answers its PulseTime."""
        out: list[Message] = []
        pulse = self.pulse_asked() if state == "ON" else None
        if pulse:
            reply = {"PulseTime1": {"Set": pulse, "Remaining": pulse}}
            out += self.raw("stat/heatpad/RESULT", json.dumps(reply))
        return out + self.raw("stat/heatpad/POWER", state)

    def pulse_asked(self) -> int | None:
        """Return the PulseTime of the latest Backlog0 that switched the plug on, if any."""
        for message in reversed(self.sent):
            if message.topic == PAD_COMMANDS:
                commands = dict(c.strip().split(" ", 1) for c in message.payload.split(";"))
                if commands.get("Power1") == "ON":
                    return int(commands["PulseTime1"])
                return None
        return None

    def valve(self, on: bool) -> list[Message]:
        return self.raw("shellyplus1-bath/status/switch:0", json.dumps({"id": 0, "output": on}))

    def leak(self, wet: bool) -> list[Message]:
        return self.raw("zigbee2mqtt/bath_leak", json.dumps({"water_leak": wet, "battery": 90}))

    def temperature(self, celsius: float) -> list[Message]:
        return self.raw("zigbee2mqtt/bath_temp", json.dumps({"temperature": celsius}))

    def said(self) -> list[str]:
        return [json.loads(m.payload)["text"] for m in self.sent if m.topic == "hermes/tts/say"]
