"""The heating pad: sessions that start within the safety limits and end on time."""

from __future__ import annotations

from datetime import datetime, timedelta

from mqtt_bridge.adapters import Switch
from mqtt_bridge.config import Role
from mqtt_bridge.core.house import HEAT, whole_second
from mqtt_bridge.core.sessions import SessionControl
from mqtt_bridge.core.verbs import Call, HeatStart, HeatStop
from mqtt_bridge.reply_types import HeatStarted, HeatStopped
from mqtt_bridge.store import Timer
from routines.gate import HeatRequest

LAST_HEAT_END = "last_heat_end"
# A device switching itself off this close to the deadline is its own auto-off doing its job.
DEADLINE_TOLERANCE_S = 5.0


class Heat(SessionControl):
    """Start and stop the heating pad, and tell the runner when a session is over."""

    def start(self, call: Call[HeatStart], now: datetime) -> None:
        """Handle heat/start: a new session, or more time in the one running."""
        house = self._house
        safety = house.config.safety
        switch = house.usable(Role.HEATING_PAD)
        body = call.body
        runner = self._health.admit(body.runner)
        self._health.check(HeatRequest(), runner)
        minutes, limited = safety.heat_minutes(body.minutes)
        longest = timedelta(minutes=safety.heat_max_minutes)
        running = house.timers.get(Role.HEATING_PAD)
        if running is not None and running.started + longest <= now:
            running = None  # that session's time is up: this one is new
        if running is None:
            last_end = house.store.get_time(LAST_HEAT_END)
            safety.check_heat_start(
                house.local(now),
                house.local(last_end) if last_end else None,
                body.confirm_quiet_hours,
            )
            started = now
        else:
            # Renewed, or on again after an early OFF: still the same session.
            started = running.started
        # A session never runs past its limit from when it first started, however often renewed.
        wanted = min(now + timedelta(minutes=minutes), started + longest)
        # The device's own auto-off counts whole seconds and must never run past the deadline.
        seconds = max(1, int((wanted - now).total_seconds()))
        deadline = whole_second(now + timedelta(seconds=seconds))
        limited = limited or wanted < now + timedelta(minutes=minutes)
        detail = {"runner": runner} if runner else {}
        timer = Timer(house.name(Role.HEATING_PAD), HEAT, started, deadline, detail)
        house.store.put(timer)  # before the ON: a crash from here on still has a deadline
        house.timers[Role.HEATING_PAD] = timer
        house.out += switch.turn_on(seconds)

        def confirmed_on(at: datetime) -> HeatStarted:
            return HeatStarted(
                device=timer.device,
                minutes=max(1, round(seconds / 60)),  # what was granted, said aloud
                ends_at=timer.deadline,
                limited=limited,
                max_minutes=safety.heat_max_minutes,
                device_auto_off=switch.auto_off,
            )

        def failed(at: datetime) -> None:
            self._timers.stop_until_off(Role.HEATING_PAD, at, "failed")
            self._routines.condition("heat_done", at, ok=False)

        self._confirmations.expect(
            Role.HEATING_PAD, True, call, now, confirmed_on, failed, auto_off(switch, seconds)
        )

    def stop(self, call: Call[HeatStop], now: datetime) -> None:
        """Handle heat/stop."""
        self._stopping.stop(Role.HEATING_PAD, call, now, lambda was_on: HeatStopped(was_on=was_on))

    def ended(self, timer: Timer, now: datetime) -> None:
        """The pad is confirmed off: the session is over for the runner."""
        house = self._house
        house.record(house.store.put_time, LAST_HEAT_END, now)
        why = timer.detail.get("why")
        on_time = why == "deadline" or (
            why is None and timer.deadline <= now + house.real(DEADLINE_TOLERANCE_S)
        )
        if on_time:
            self._speech.say("Your heating pad session is over.", now)
        self._routines.condition("heat_done", now)


def auto_off(switch: Switch, seconds: int) -> float | None:
    """Return the auto-off a start must hear the device confirm, if it confirms one."""
    return float(seconds) if getattr(switch, "confirms_auto_off", False) else None
