"""One home as the bridge knows it: devices, session timers, the bath, and messages to send."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from mqtt_bridge.adapters import Observation, Speaker, Switch
from mqtt_bridge.config import BridgeConfig, Role
from mqtt_bridge.errors import DeviceError, StoreError
from mqtt_bridge.messages import Message
from mqtt_bridge.protocol import NOT_CONFIGURED, OFFLINE, Topics
from mqtt_bridge.reply_types import BathStatus
from mqtt_bridge.store import Timer, TimerStore

HEAT = "heat"
BATH = "bath"
KIND_ROLES = {HEAT: Role.HEATING_PAD, BATH: Role.BATH_VALVE}
ROLE_KINDS = {role: kind for kind, role in KIND_ROLES.items()}

ROLE_NAMES: dict[Role, str] = {
    Role.HEATING_PAD: "the heating pad",
    Role.BATH_VALVE: "the bath valve",
    Role.BATH_TEMPERATURE: "the bath thermometer",
    Role.BATH_LEVEL: "the bath level sensor",
    Role.LEAK_SENSOR: "the leak sensor",
    Role.SPEAKER: "the speaker",
}

log = logging.getLogger(__name__)


@dataclass
class DeviceState:
    """What we last heard from a device."""

    online: bool | None = None
    on: bool | None = None
    temperature_c: float | None = None
    wet: bool | None = None

    def update(self, observation: Observation) -> None:
        """Overlay what a message said."""
        for name in ("online", "on", "temperature_c", "wet"):
            value = getattr(observation, name)
            if value is not None:
                setattr(self, name, value)
        if observation.on is not None:
            self.online = True

    def as_tuple(self) -> tuple[bool | None, bool | None, float | None, bool | None]:
        """Return every field, to tell whether an observation changed anything."""
        return (self.online, self.on, self.temperature_c, self.wet)


@dataclass
class Bath:
    """Where the bath is at."""

    # closing: full, the valve not yet confirmed closed; stopping: asked to stop, not yet confirmed.
    status: BathStatus = "idle"
    target_c: float | None = None
    epsom: bool = False


@dataclass
class House:
    """Hold what every part of the core shares: config, store, states and the outbox."""

    config: BridgeConfig
    store: TimerStore
    # Clock seconds per real second: waits for devices and speech are real-time allowances.
    time_scale: float = 1.0
    # The wall-clock time of a clock time: callers' deadlines are in wall-clock time.
    wall: Callable[[datetime], datetime] = field(default=lambda moment: moment)
    topics: Topics = field(init=False)
    devices: dict[Role, DeviceState] = field(init=False)
    timers: dict[Role, Timer] = field(init=False, default_factory=dict)
    bath: Bath = field(init=False, default_factory=Bath)
    out: list[Message] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.topics = Topics(self.config.home)
        self.devices = {device.role: DeviceState() for device in self.config.devices}

    def switch(self, role: Role) -> Switch | None:
        """Return the switch playing a role, if one is set up."""
        return self.config.switch(role)

    def usable(self, role: Role) -> Switch:
        """Return the switch for a role, refusing one that is missing or offline."""
        switch = self.switch(role)
        if switch is None:
            raise DeviceError(NOT_CONFIGURED, f"no {ROLE_NAMES[role][4:]} is set up")
        if self.devices[role].online is False:
            raise DeviceError(OFFLINE, f"{ROLE_NAMES[role]} is offline")
        return switch

    def speaker(self) -> Speaker | None:
        """Return the speaker, if one is set up."""
        device = self.config.device(Role.SPEAKER)
        return device.adapter if device is not None else None  # type: ignore[return-value]

    def name(self, role: Role) -> str:
        """Return the configured name of the device playing a role."""
        device = self.config.device(role)
        assert device is not None
        return device.name

    def is_on(self, role: Role) -> bool:
        """Whether the device confirmed it is on."""
        state = self.devices.get(role)
        return state is not None and state.on is True

    def real(self, seconds: float) -> timedelta:
        """Return real seconds as clock time."""
        return timedelta(seconds=seconds * self.time_scale)

    def local(self, moment: datetime) -> datetime:
        """Return a moment in the home's time zone."""
        return moment.astimezone(self.config.timezone)

    def switch_off(self, role: Role) -> None:
        """Queue OFF for a role's switch, once."""
        switch = self.switch(role)
        if switch is not None:
            self.out += switch.turn_off()

    def record(self, write: Callable[..., None], *args: Any) -> None:
        """Write to the timer database; if that fails, carry on from memory: no OFF ever waits."""
        try:
            write(*args)
        except StoreError as exc:
            log.error("%s; carrying on from memory", exc)

    def drop_timer(self, role: Role) -> None:
        """Forget a role's timer, in memory and in the store."""
        timer = self.timers.pop(role, None)
        if timer is not None:
            self.record(self.store.delete, timer.device)

    def flush(self) -> list[Message]:
        """Hand over the queued messages."""
        out, self.out = self.out, []
        return out


def whole_second(moment: datetime) -> datetime:
    """Round up to the second: the promised end time is said and shown to the second."""
    whole = moment.replace(microsecond=0)
    return whole if whole == moment else whole + timedelta(seconds=1)


def iso(moment: datetime) -> str:
    """Format a moment as the protocol shows it."""
    return moment.isoformat(timespec="seconds")
