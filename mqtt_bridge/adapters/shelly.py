"""Shelly Gen2+ switches over MQTT RPC, with toggle_after as the device-side auto-off."""

from __future__ import annotations

import itertools
import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from mqtt_bridge.adapters.base import Observation, never_raises, unusable, word_to_bool
from mqtt_bridge.errors import ConfigError
from mqtt_bridge.messages import Message, parse_json, text

DEVICE_ID = re.compile(r"^[^/#+\s]+$")
MAX_ERROR_CHARS = 200
_request_ids = itertools.count(1)


def new_source() -> str:
    """Return an RPC `src` of our own: devices reply on `<src>/rpc`, so no two users share one."""
    return f"recovery-coach-{secrets.token_hex(4)}"


@dataclass(frozen=True)
class ShellySwitch:
    """Switch `switch:<id>` of a Shelly whose MQTT topic prefix is `device_id`."""

    device_id: str
    switch_id: int = 0
    # The configuration sets the bridge's MQTT client id; random when built without one.
    source: str = field(default_factory=new_source)
    auto_off: bool = True
    _component: str = field(init=False, default="")

    def __post_init__(self) -> None:
        if not DEVICE_ID.match(self.device_id):
            raise ConfigError(f"adapter.device_id: {self.device_id!r} is not a Shelly topic prefix")
        if not 0 <= self.switch_id <= 15:
            raise ConfigError("adapter.switch: must be 0 to 15")
        if not DEVICE_ID.match(self.source):
            raise ConfigError(f"adapter.source: {self.source!r} is not a topic level")
        object.__setattr__(self, "_component", f"switch:{self.switch_id}")

    def subscriptions(self) -> list[str]:
        """Watch status updates, RPC notifications, replies to us, and the online flag."""
        d = self.device_id
        return [
            f"{d}/status/{self._component}",
            f"{d}/events/rpc",
            f"{d}/online",
            f"{self.source}/rpc",
        ]

    def _rpc(self, method: str, params: dict[str, Any]) -> Message:
        request = {"id": next(_request_ids), "src": self.source, "method": method, "params": params}
        return Message(f"{self.device_id}/rpc", json.dumps(request, separators=(",", ":")))

    def turn_on(self, auto_off_s: int) -> list[Message]:
        """Switch.Set on, flipping back by itself after `auto_off_s`."""
        return [
            self._rpc("Switch.Set", {"id": self.switch_id, "on": True, "toggle_after": auto_off_s})
        ]

    def turn_off(self) -> list[Message]:
        """Switch.Set off."""
        return [self._rpc("Switch.Set", {"id": self.switch_id, "on": False})]

    def query(self) -> list[Message]:
        """Switch.GetStatus; the answer comes to `<source>/rpc`."""
        return [self._rpc("Switch.GetStatus", {"id": self.switch_id})]

    @never_raises
    def parse(self, topic: str, payload: bytes) -> Observation | None:
        """Read status, NotifyStatus, our RPC replies (results and errors) and the online flag."""
        if topic == f"{self.device_id}/online":
            online = word_to_bool(text(payload))
            return Observation(online=online) if online is not None else None
        document = parse_json(payload)
        if not isinstance(document, dict):
            unusable(topic, payload, "is not a JSON object")
            return None
        if topic.endswith(f"/status/{self._component}"):
            status: Any = document
        elif topic == f"{self.device_id}/events/rpc":
            if document.get("method") != "NotifyStatus":
                return None
            params = document.get("params")
            status = params.get(self._component) if isinstance(params, dict) else None
        else:  # a reply to one of our requests, possibly for another device
            if document.get("src") != self.device_id:
                return None
            if "error" in document:
                return Observation(online=True, error=rpc_error(document["error"]))
            status = document.get("result")
        if not isinstance(status, dict) or not isinstance(status.get("output"), bool):
            return None
        return Observation(on=status["output"], online=True)


def rpc_error(failure: Any) -> str:
    """Describe an RPC error frame's {"code", "message"} in the device's own words."""
    if not isinstance(failure, dict):
        return "an error without a description"
    message = failure.get("message")
    words = str(message)[:MAX_ERROR_CHARS] if message else "an error without a description"
    code = failure.get("code")
    if isinstance(code, int) and not isinstance(code, bool):
        return f"{words} (code {code})"
    return words
