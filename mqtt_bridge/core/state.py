"""The home's state as published, retained, on the state topic and answered to `status`."""

from __future__ import annotations

from datetime import datetime, timedelta

from mqtt_bridge.config import Role
from mqtt_bridge.core.house import House
from mqtt_bridge.messages import Message
from mqtt_bridge.protocol import STATE_REFRESH_S, STATE_VALID_S
from mqtt_bridge.reply_types import (
    BathState,
    DeviceReport,
    HeatState,
    HomeState,
    RoutineName,
    TimerState,
)
from mqtt_bridge.routine_control import RoutineControl

STATE_REFRESH = timedelta(seconds=STATE_REFRESH_S)
STATE_VALID = timedelta(seconds=STATE_VALID_S)


class State:
    """Describe the home and publish that description, refreshed before it expires."""

    def __init__(self, house: House, routines: RoutineControl) -> None:
        self._house = house
        self._routines = routines
        self.next_publish: datetime | None = None

    def snapshot(self, now: datetime, valid: timedelta = STATE_VALID) -> HomeState:
        """Describe devices, timers and the bath, as published on the state topic."""
        house = self._house
        heat = house.timers.get(Role.HEATING_PAD)
        # Only what the device confirmed counts as on: a pad still being asked is not on.
        heat_on = house.is_on(Role.HEATING_PAD)
        session = heat if heat is not None and not heat.detail.get("expired") else None
        bath_status = house.bath.status
        if bath_status == "filling" and not house.is_on(Role.BATH_VALVE):
            bath_status = "starting"
        bath_timer = house.timers.get(Role.BATH_VALVE) if bath_status == "filling" else None
        return HomeState(
            home=house.config.home,
            devices={
                device.name: DeviceReport(
                    role=device.role.value,
                    online=house.devices[device.role].online,
                    on=house.devices[device.role].on,
                    temperature_c=house.devices[device.role].temperature_c,
                    wet=house.devices[device.role].wet,
                )
                for device in house.config.devices
            },
            heat=HeatState(
                running=heat_on,
                # On, but asked to switch off and not yet confirmed.
                stopping=heat_on and session is None,
                ends_at=session.deadline if session and heat_on else None,
                remaining_min=session.remaining_minutes(now) if session and heat_on else 0,
            ),
            bath=BathState(
                status=bath_status,
                target_c=house.bath.target_c,
                epsom=house.bath.epsom,
                ends_at=bath_timer.deadline if bath_timer else None,
                remaining_min=bath_timer.remaining_minutes(now) if bath_timer else 0,
            ),
            timers=[
                TimerState(device=t.device, kind=t.kind, ends_at=t.deadline)
                for t in house.timers.values()
            ],
            routine=self._routines.snapshot(),
            routines=[
                RoutineName(name=routine.name, title=routine.title)
                for routine in house.config.routines.values()
            ],
            updated_at=now,
            # A bridge that dies stops refreshing this: past it, the state is unknown.
            expires_at=now + valid,
        )

    def publish(self, now: datetime) -> None:
        """Queue the state, retained, and plan its next refresh."""
        self._house.out.append(
            Message.json(self._house.topics.state, self.snapshot(now).wire(), retain=True)
        )
        self.next_publish = now + STATE_REFRESH

    def publish_final(self, now: datetime) -> None:
        """Queue a last state that says it no longer holds: nobody will refresh it."""
        snapshot = self.snapshot(now, valid=timedelta(0))
        self._house.out.append(Message.json(self._house.topics.state, snapshot.wire(), retain=True))
