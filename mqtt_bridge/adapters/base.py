"""What every device adapter offers: topics to watch, commands to send, readings to parse."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from mqtt_bridge.logbounds import excerpt
from mqtt_bridge.messages import Message

log = logging.getLogger(__name__)
S = TypeVar("S")
R = TypeVar("R")


@dataclass(frozen=True)
class Observation:
    """What one incoming message told us about a device; None means 'not said'."""

    on: bool | None = None
    online: bool | None = None
    temperature_c: float | None = None
    wet: bool | None = None
    # The device's own auto-off as it reports it now holds, in seconds (0: none).
    auto_off_s: float | None = None
    # The device answered a command with an error, in its own words.
    error: str | None = None


class Adapter(Protocol):
    """Translate between a device's own MQTT conventions and observations."""

    #: Whether the device can switch itself off after a delay (device-side failsafe).
    auto_off: bool

    def subscriptions(self) -> list[str]:
        """Return the topics to subscribe to for this device."""
        ...

    def parse(self, topic: str, payload: bytes) -> Observation | None:
        """Read a message on one of our topics; None when it says nothing we use."""
        ...

    def query(self) -> list[Message]:
        """Return messages that make the device report its current state."""
        ...


class Switch(Adapter, Protocol):
    """A device that switches power or water on and off."""

    def turn_on(self, auto_off_s: int) -> list[Message]:
        """Return messages that switch on, with a device-side auto-off where supported."""
        ...

    def turn_off(self) -> list[Message]:
        """Return messages that switch off."""
        ...


ON_WORDS = {"on": True, "off": False, "true": True, "false": False, "1": True, "0": False}


def word_to_bool(value: object) -> bool | None:
    """Read ON/OFF, true/false and 1/0 style values."""
    if isinstance(value, bool):
        return value
    return ON_WORDS.get(str(value).strip().lower())


def to_float(value: object) -> float | None:
    """Read a number from a JSON value, or None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def never_raises(read: Callable[[S, str, bytes], R | None]) -> Callable[[S, str, bytes], R | None]:
    """Make a payload reader turn anything it chokes on into 'nothing said' and one log line."""

    @functools.wraps(read)
    def safe(self: S, topic: str, payload: bytes) -> R | None:
        try:
            return read(self, topic, payload)
        except Exception as exc:  # anyone on the broker can publish on a device's topics
            log.warning(
                "%s could not read a report on %s (%s: %s): %s",
                type(self).__name__,
                topic,
                type(exc).__name__,
                excerpt(str(exc), 80),
                excerpt(payload),
            )
            return None

    return safe


def unusable(topic: str, payload: bytes, why: str) -> None:
    """Log, briefly, a report on a device topic that is not what that device sends."""
    log.warning("ignoring a report on %s that %s: %s", topic, why, excerpt(payload))
