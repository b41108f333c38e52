"""What every device adapter offers: topics to watch, commands to send, readings to parse."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from mqtt_bridge.messages import Message


@dataclass(frozen=True)
class Observation:
    """What one incoming message told us about a device; None means 'not said'."""

    on: bool | None = None
    online: bool | None = None
    temperature_c: float | None = None
    wet: bool | None = None


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
