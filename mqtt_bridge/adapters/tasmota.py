"""Tasmota plugs and relays: cmnd/stat/tele topics, PulseTime as the device-side auto-off."""

from __future__ import annotations

import re
from dataclasses import dataclass

from mqtt_bridge.adapters.base import Observation, never_raises, unusable, word_to_bool
from mqtt_bridge.errors import ConfigError
from mqtt_bridge.messages import Message, parse_json, text

TOPIC = re.compile(r"^[^/#+\s]+$")
# PulseTime: 1-111 are tenths of a second, 112-64900 are seconds + 100.
PULSE_TENTHS_MAX = 111
PULSE_MAX = 64900
LWT = {"online": True, "offline": False}
DEFAULT_FULL_TOPIC = "%prefix%/%topic%/"
FULL_TOPIC = re.compile(r"^[^#+\s]{1,100}$")
FULL_TOPIC_MAX = 100  # the firmware's own limit


def pulse_time(seconds: float) -> int:
    """Encode a duration as a Tasmota PulseTime value (20 minutes = 1300)."""
    if seconds <= 0:
        return 0
    if seconds * 10 <= PULSE_TENTHS_MAX:
        return max(1, round(seconds * 10))
    return min(PULSE_MAX, max(PULSE_TENTHS_MAX + 1, round(seconds) + 100))


def pulse_seconds(value: int) -> float:
    """Decode a PulseTime value back to seconds."""
    if value <= 0:
        return 0.0
    return value / 10 if value <= PULSE_TENTHS_MAX else float(value - 100)


@dataclass(frozen=True)
class TasmotaSwitch:
    """A Tasmota relay: `cmnd/<topic>/…`, replies on `stat/<topic>/…`, or as its FullTopic says."""

    topic: str
    relay: int | None = None
    full_topic: str = DEFAULT_FULL_TOPIC
    auto_off: bool = True
    #: PulseTime answers on its own: the bridge waits for that answer as well as for ON.
    confirms_auto_off: bool = True

    def __post_init__(self) -> None:
        if not TOPIC.match(self.topic):
            raise ConfigError(f"adapter.topic: {self.topic!r} is not a Tasmota topic")
        if self.relay is not None and not 1 <= self.relay <= 32:
            raise ConfigError("adapter.relay: must be 1 to 32")
        tokens = set(re.findall(r"%[^%/]*%", self.full_topic)) - {"%prefix%", "%topic%"}
        if not FULL_TOPIC.match(self.full_topic) or "%topic%" not in self.full_topic or tokens:
            raise ConfigError(
                f"adapter.full_topic: {self.full_topic!r} must hold %topic% (and may hold "
                f"%prefix%), at most {FULL_TOPIC_MAX} characters, no + # or spaces; write "
                "%hostname% or %id% out as the device resolves them"
            )

    def _topic(self, prefix: str, command: str) -> str:
        """Build a topic from the FullTopic as the firmware does (its GetTopic_P)."""
        template = self.full_topic
        if prefix == "cmnd" and "%prefix%" not in template:
            template += "/%prefix%"  # the firmware adds it so commands never loop
        built = template.replace("%prefix%", prefix).replace("%topic%", self.topic)
        built = built.replace("//", "/")
        return built + command if built.endswith("/") else f"{built}/{command}"

    @property
    def power(self) -> str:
        return f"POWER{self.relay}" if self.relay else "POWER"

    @property
    def power_names(self) -> tuple[str, ...]:
        """The names the relay answers to: relay 1 is POWER, or POWER1 with SetOption26 1."""
        return ("POWER", "POWER1") if self.relay in (None, 1) else (self.power,)

    def subscriptions(self) -> list[str]:
        """Watch results, power state, telemetry and the LWT."""
        stat = [self._topic("stat", name) for name in ("RESULT", *self.power_names)]
        return list(
            dict.fromkeys([*stat, self._topic("tele", "STATE"), self._topic("tele", "LWT")])
        )

    def turn_on(self, auto_off_s: int) -> list[Message]:
        """Set PulseTime, then switch on (a Power ON (re)starts the pulse), in one Backlog0."""
        n = self.relay or 1
        return [self._backlog(f"PulseTime{n} {pulse_time(auto_off_s)}; Power{n} ON")]

    def turn_off(self) -> list[Message]:
        """Switch off, then clear PulseTime so manual use of the plug is not cut short."""
        n = self.relay or 1
        return [self._backlog(f"Power{n} OFF; PulseTime{n} 0")]

    def _backlog(self, commands: str) -> Message:
        # MQTT keeps order only within one topic: one Backlog0 runs its commands in this order,
        # and every switching command shares that topic, so a stop's PulseTime 0 can't overtake
        # the next start. Backlog0 runs them without Backlog's 200 ms gaps (SetOption34).
        return Message(self._topic("cmnd", "Backlog0"), commands)

    def query(self) -> list[Message]:
        """An empty POWER command asks for the state."""
        return [Message(self._topic("cmnd", self.power), "")]

    @never_raises
    def parse(self, topic: str, payload: bytes) -> Observation | None:
        """Read RESULT/STATE JSON, the plain POWER state, or the LWT."""
        kind = topic.rsplit("/", 1)[-1]
        if kind == "LWT":
            online = LWT.get(text(payload).lower())
            return Observation(online=online) if online is not None else None
        if kind in self.power_names:
            on = word_to_bool(text(payload))
            return Observation(on=on, online=True) if on is not None else None
        document = parse_json(payload)
        if not isinstance(document, dict):
            unusable(topic, payload, "is not a JSON object")
            return None
        value = next((document[n] for n in self.power_names if n in document), None)
        on = word_to_bool(value) if value is not None else None
        auto_off_s = self._pulse_reply(document)
        if on is None and auto_off_s is None:
            return None
        return Observation(on=on, online=True, auto_off_s=auto_off_s)

    def _pulse_reply(self, document: dict[str, object]) -> float | None:
        """Read `{"PulseTime1":{"Set":1300,"Remaining":1300}}` as the auto-off it now holds."""
        reply = document.get(f"PulseTime{self.relay or 1}")
        setting = reply.get("Set") if isinstance(reply, dict) else None
        if isinstance(setting, bool) or not isinstance(setting, int) or setting < 0:
            return None
        return pulse_seconds(setting)
