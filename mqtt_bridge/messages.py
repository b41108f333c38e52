"""The MQTT messages the bridge's pure core asks the edge to publish, and how payloads are read."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

# Anyone on the broker can publish anything: a payload is read only within these bounds.
MAX_JSON_BYTES = 256 * 1024
MAX_JSON_DEPTH = 32
# Longer integers are refused: they cost quadratic time to convert and overflow float maths.
MAX_INT_DIGITS = 20


@dataclass(frozen=True)
class Message:
    """One MQTT publish: topic, text payload, QoS, retain flag and MQTT 5 request properties."""

    topic: str
    payload: str
    retain: bool = False
    qos: int = 1
    # MQTT 5 only (dropped over 3.1.1): where the answer should go, and what it must carry back.
    response_topic: str | None = None
    correlation: bytes | None = None

    def __post_init__(self) -> None:
        for topic in (self.topic, self.response_topic):
            if topic is not None and (not topic or "+" in topic or "#" in topic):
                raise ValueError(f"cannot publish to {topic!r}")
        if self.qos not in (0, 1, 2):
            raise ValueError(f"bad QoS {self.qos}")

    @classmethod
    def json(cls, topic: str, document: Any, *, retain: bool = False) -> Message:
        """Build a message with a compact JSON payload."""
        return cls(topic, json.dumps(document, separators=(",", ":")), retain=retain)


class JsonError(ValueError):
    """A payload that is not usable JSON; the message completes 'the payload ...'."""


class NotJson(JsonError):
    """A payload that does not parse as JSON at all."""


def decode_json(payload: bytes | str, *, max_bytes: int = MAX_JSON_BYTES) -> Any:
    """Decode a JSON payload within the size, depth and number bounds, or raise JsonError."""
    if len(payload) > max_bytes:
        raise JsonError(f"is larger than {max_bytes} bytes")
    try:
        document = json.loads(payload, parse_int=_int, parse_constant=_no_constant)
    except RecursionError:
        raise JsonError(f"is nested deeper than {MAX_JSON_DEPTH} levels") from None
    except _NumberTooLong:
        raise JsonError(f"has a number longer than {MAX_INT_DIGITS} digits") from None
    except (ValueError, UnicodeDecodeError):
        raise NotJson("is not JSON") from None
    if _depth(document) > MAX_JSON_DEPTH:
        raise JsonError(f"is nested deeper than {MAX_JSON_DEPTH} levels")
    return document


def parse_json(payload: bytes | str, *, max_bytes: int = MAX_JSON_BYTES) -> Any:
    """Decode a JSON payload, returning None for anything that is not usable JSON."""
    try:
        return decode_json(payload, max_bytes=max_bytes)
    except JsonError:
        return None


def text(payload: bytes | str) -> str:
    """Decode a payload as stripped text."""
    if isinstance(payload, bytes):
        return payload.decode("utf-8", errors="replace").strip()
    return payload.strip()


class _NumberTooLong(ValueError):
    pass


def _int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise _NumberTooLong(digits[:MAX_INT_DIGITS])
    return int(digits)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _depth(document: Any) -> int:
    """Return how deeply containers nest, without recursing (the input is hostile)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_JSON_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest
