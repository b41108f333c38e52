"""The MQTT messages the bridge's pure core asks the edge to publish."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Message:
    """One MQTT publish: topic, text payload, QoS and retain flag."""

    topic: str
    payload: str
    retain: bool = False
    qos: int = 1

    def __post_init__(self) -> None:
        if not self.topic or "+" in self.topic or "#" in self.topic:
            raise ValueError(f"cannot publish to {self.topic!r}")
        if self.qos not in (0, 1, 2):
            raise ValueError(f"bad QoS {self.qos}")

    @classmethod
    def json(cls, topic: str, document: Any, *, retain: bool = False) -> Message:
        """Build a message with a compact JSON payload."""
        return cls(topic, json.dumps(document, separators=(",", ":")), retain=retain)


def parse_json(payload: bytes | str) -> Any:
    """Decode a JSON payload, returning None for anything that is not JSON."""
    try:
        return json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return None


def text(payload: bytes | str) -> str:
    """Decode a payload as stripped text."""
    if isinstance(payload, bytes):
        return payload.decode("utf-8", errors="replace").strip()
    return payload.strip()
