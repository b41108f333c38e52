"""The bath: filling within the limits, watched by its sensors, ready once the valve is closed."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from mqtt_bridge.config import Role
from mqtt_bridge.core.heat import auto_off
from mqtt_bridge.core.house import BATH, Bath, DeviceState, whole_second
from mqtt_bridge.core.sessions import SessionControl, SessionParts
from mqtt_bridge.core.state import State
from mqtt_bridge.core.verbs import BathFill, BathStop, Call
from mqtt_bridge.errors import DeviceError, RefusedError
from mqtt_bridge.protocol import BUSY, OFFLINE
from mqtt_bridge.reply_types import BathStarted, BathStatus, BathStopped, Epsom
from mqtt_bridge.store import Timer
from routines.gate import BathRequest

EPSOM = Epsom(grams=500, cups=2)

log = logging.getLogger(__name__)


class BathControl(SessionControl):
    """Fill and stop the bath, and stop it when a sensor says so."""

    def __init__(self, parts: SessionParts, state: State) -> None:
        super().__init__(parts)
        self._state = state

    def fill(self, call: Call[BathFill], now: datetime) -> None:
        """Handle bath/fill."""
        house = self._house
        valve = house.usable(Role.BATH_VALVE)
        body = call.body
        runner = self._health.admit(body.runner)
        self._health.check(BathRequest(), runner)
        epsom = body.epsom
        target = house.config.safety.bath_target(body.temperature_c)
        running = house.timers.get(Role.BATH_VALVE)
        if running is not None and not running.detail.get("off"):
            raise DeviceError(
                BUSY,
                "the bath valve is still closing"
                if running.detail.get("expired")
                else "the bath is already filling",
            )
        self._check_sensors(target)
        seconds = house.config.safety.fill_seconds
        deadline = whole_second(now + timedelta(seconds=seconds))
        timer = Timer(
            house.name(Role.BATH_VALVE),
            BATH,
            now,
            deadline,
            {"target_c": target, "epsom": epsom, **({"runner": runner} if runner else {})},
        )
        house.store.put(timer)
        house.timers[Role.BATH_VALVE] = timer
        house.bath = Bath("filling", target, epsom)
        house.out += valve.turn_on(seconds)

        def confirmed_open(at: datetime) -> BathStarted:
            return BathStarted(
                device=timer.device,
                target_c=target,
                fill_minutes=round(seconds / 60, 1),
                ends_at=timer.deadline,
                device_auto_off=valve.auto_off,
                epsom=EPSOM if epsom else None,
            )

        def failed(at: datetime) -> None:
            house.bath = Bath()
            self._timers.stop_until_off(Role.BATH_VALVE, at, "failed")
            self._routines.condition("bath_ready", at, ok=False)

        self._confirmations.expect(
            Role.BATH_VALVE, True, call, now, confirmed_open, failed, auto_off(valve, seconds)
        )

    def _check_sensors(self, target: float) -> None:
        devices = self._house.devices
        leak = devices.get(Role.LEAK_SENSOR)
        if leak is not None:
            if leak.online is False:
                raise DeviceError(OFFLINE, "the leak sensor is offline, so I won't run water")
            if leak.wet is None:
                raise DeviceError(
                    OFFLINE, "the leak sensor hasn't reported yet, so I won't run water"
                )
            if leak.wet:
                raise RefusedError("the leak sensor is wet, so I won't run water", "leak")
        level = devices.get(Role.BATH_LEVEL)
        if level is not None and level.wet:
            raise RefusedError("the bath already looks full", "full")
        thermometer = devices.get(Role.BATH_TEMPERATURE)
        if thermometer is not None:
            if thermometer.online is False:
                raise DeviceError(OFFLINE, "the bath thermometer is offline")
            reading = thermometer.temperature_c
            if reading is not None and self._house.config.safety.too_hot(reading, target):
                raise RefusedError(
                    f"the water already reads {reading:g} degrees, which is too hot", "too_hot"
                )

    def stop(self, call: Call[BathStop], now: datetime) -> None:
        """Handle bath/stop."""
        self._stopping.stop(
            Role.BATH_VALVE, call, now, lambda was_on: BathStopped(was_filling=was_on)
        )

    def sensed(self, role: Role, state: DeviceState, now: datetime) -> None:
        """React to what the thermometer, leak sensor or level sensor now says."""
        safety = self._house.config.safety
        if role is Role.BATH_TEMPERATURE and state.temperature_c is not None:
            target = self._house.bath.target_c or safety.bath_default_c
            if safety.too_hot(state.temperature_c, target):
                self._stop_for(
                    "too_hot",
                    f"The bath water reached {state.temperature_c:g} degrees, which is too hot, "
                    "so I've stopped filling it.",
                    now,
                )
        if role is Role.LEAK_SENSOR and state.wet:
            self._stop_for("leak", "The leak sensor is wet, so I've turned off the bath.", now)
        if role is Role.BATH_LEVEL and state.wet:
            self._full("the level sensor says it is full", now)

    def _stop_for(self, status: BathStatus, announcement: str, now: datetime) -> None:
        house = self._house
        if house.switch(Role.BATH_VALVE) is None or house.bath.status not in ("filling", "closing"):
            return
        log.warning("closing the bath valve: %s", status)
        house.bath.status = status
        self._timers.stop_until_off(Role.BATH_VALVE, now, status)
        self._speech.say(announcement, now)
        self._routines.condition("bath_ready", now, ok=False)
        self._state.publish(now)

    def valve_closed(self, now: datetime) -> None:
        """The valve confirmed it is closed: only now is a full bath ready, a stop done."""
        bath = self._house.bath
        if bath.status in ("filling", "closing"):
            self._ready(now)
        elif bath.status == "stopping":
            bath.status = "stopped"
            self._state.publish(now)

    def _full(self, reason: str, now: datetime) -> None:
        house = self._house
        if house.bath.status != "filling":
            return
        log.info("bath full: %s; closing the valve", reason)
        house.bath.status = "closing"
        self._timers.stop_until_off(Role.BATH_VALVE, now, "full")
        self._state.publish(now)

    def _ready(self, now: datetime) -> None:
        house = self._house
        house.bath.status = "ready"
        reading = house.devices.get(Role.BATH_TEMPERATURE)
        temperature = reading.temperature_c if reading else None
        words = "Your bath is ready"
        words += f", at {temperature:.1f} degrees." if temperature is not None else "."
        if house.bath.epsom:
            words += " Add about two cups of Epsom salt and stir."
        self._speech.say(words, now)
        self._routines.condition("bath_ready", now)
        self._state.publish(now)
