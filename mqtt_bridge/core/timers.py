"""Session deadlines for heat and water: OFF at the deadline, and again until confirmed."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from mqtt_bridge.config import Role
from mqtt_bridge.core.house import BATH, KIND_ROLES, ROLE_KINDS, ROLE_NAMES, Bath, House
from mqtt_bridge.core.state import State
from mqtt_bridge.reply_types import bath_status
from mqtt_bridge.store import Timer

# An OFF that is not confirmed is sent again this often until the device says it is off.
RETRY_OFF = timedelta(seconds=10)
# After a device with its own auto-off stops answering, OFF is retried until that auto-off has
# surely fired (its deadline plus this), then the bridge stops asking.
AUTO_OFF_GRACE_S = 30.0

log = logging.getLogger(__name__)


class SessionTimers:
    """Keep every session's deadline, in memory and in the store, and act when one passes."""

    def __init__(self, house: House, state: State) -> None:
        self._house = house
        self._state = state

    def restore(self, stored: list[Timer], now: datetime) -> None:
        """Take back the timers stored before a restart: a deadline already passed means OFF."""
        house = self._house
        for timer in stored:
            role = KIND_ROLES.get(timer.kind)
            if role is None or house.switch(role) is None:
                house.record(house.store.delete, timer.device)
                continue
            timer = self._within_limit(role, timer, now)
            house.timers[role] = timer
            if timer.kind == BATH:
                detail = timer.detail
                status = bath_status(detail.get("status"), "filling")
                house.bath = Bath(status, detail.get("target_c"), bool(detail.get("epsom")))
            if timer.deadline <= now and not timer.detail.get("expired"):
                log.warning("%s's deadline passed while the bridge was down: off now", timer.device)
                self.expired(role, timer, now)
            elif timer.deadline <= now:
                house.switch_off(role)

    def reassert(self, now: datetime) -> None:
        """After (re)connecting: OFF again for every deadline already passed."""
        house = self._house
        for role, timer in house.timers.items():
            if timer.deadline <= now:
                house.switch_off(role)

    def shutdown(self, now: datetime) -> None:
        """Switch heat and water off as the bridge goes away; stored deadlines become now."""
        house = self._house
        for role in (Role.HEATING_PAD, Role.BATH_VALVE):
            switch = house.switch(role)
            if switch is None:
                continue
            if role in house.timers or house.devices[role].on:
                house.out += switch.turn_off()
            if role in house.timers:
                # Kept, already expired: the next start sends OFF again until it is confirmed.
                timer = house.timers[role]
                house.record(
                    house.store.put,
                    Timer(timer.device, timer.kind, timer.started, now, timer.detail),
                )

    def _within_limit(self, role: Role, timer: Timer, now: datetime) -> Timer:
        """Cut a stored deadline that is further off than any session may last."""
        safety = self._house.config.safety
        longest = timedelta(
            minutes=safety.heat_max_minutes if role is Role.HEATING_PAD else safety.fill_max_minutes
        )
        if timer.deadline <= now + longest:
            return timer
        # Only a clock stepped back since it was stored (or a tampered file) gets here.
        log.warning("%s's stored deadline is too far off: cutting it to the limit", timer.device)
        cut = Timer(timer.device, timer.kind, min(timer.started, now), now + longest, timer.detail)
        self._house.record(self._house.store.put, cut)
        return cut

    def expire_due(self, now: datetime) -> None:
        """Act on every timer that ran out."""
        for role, timer in list(self._house.timers.items()):
            if timer.deadline <= now:
                self.expired(role, timer, now)

    def deadlines(self) -> list[datetime]:
        """Return when each timer runs out."""
        return [timer.deadline for timer in self._house.timers.values()]

    def expired(self, role: Role, timer: Timer, now: datetime) -> None:
        """A deadline passed: OFF now, and again until confirmed or the device's own auto-off."""
        house = self._house
        if not timer.detail.get("expired"):
            if role is Role.BATH_VALVE and house.bath.status == "filling":
                house.bath.status = "closing"
            self.stop_until_off(role, now, "deadline")
            self._state.publish(now)
            return
        give_up = timer.detail.get("give_up_at")
        if isinstance(give_up, int | float) and now.timestamp() >= give_up:
            log.warning(
                "%s never confirmed it is off; its own auto-off has switched it off by now",
                ROLE_NAMES[role],
            )
            house.drop_timer(role)
            self._state.publish(now)
            return
        self.stop_until_off(role, now, "deadline")  # once more; the retry keeps its reasons

    def stop_until_off(self, role: Role, now: datetime, why: str) -> None:
        """Send OFF now, and again every RETRY_OFF until the device says it is off."""
        house = self._house
        switch = house.switch(role)
        if switch is None:
            return
        house.out += switch.turn_off()
        timer = house.timers.get(role)
        detail: dict[str, Any] = dict(timer.detail) if timer is not None else {}
        if timer is not None and switch.auto_off and "give_up_at" not in detail:
            # The device was given this deadline as its own auto-off.
            detail["give_up_at"] = (timer.deadline + house.real(AUTO_OFF_GRACE_S)).timestamp()
        detail.setdefault("why", why)
        detail["expired"] = True
        if role is Role.BATH_VALVE:
            detail["status"] = house.bath.status
        retry = Timer(
            house.name(role),
            ROLE_KINDS[role],
            timer.started if timer is not None else now,
            now + RETRY_OFF,
            detail,
        )
        house.timers[role] = retry
        house.record(house.store.put, retry)
