"""Stopping heat or water on request: OFF whatever the device says, until it confirms."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from mqtt_bridge.config import Role
from mqtt_bridge.core.confirmations import Confirmations
from mqtt_bridge.core.house import ROLE_NAMES, House
from mqtt_bridge.core.replies import Replies
from mqtt_bridge.core.state import State
from mqtt_bridge.core.timers import SessionTimers
from mqtt_bridge.core.verbs import Body, Call
from mqtt_bridge.errors import DeviceError
from mqtt_bridge.protocol import NOT_CONFIGURED, OFFLINE
from mqtt_bridge.reply_types import ReplyData


class Stopping:
    """Carry out heat/stop and bath/stop."""

    def __init__(
        self,
        house: House,
        timers: SessionTimers,
        confirmations: Confirmations,
        replies: Replies,
        state: State,
    ) -> None:
        self._house = house
        self._timers = timers
        self._confirmations = confirmations
        self._replies = replies
        self._state = state

    def check(self, role: Role) -> None:
        """Refuse a stop for a role no switch plays."""
        if self._house.switch(role) is None:
            raise DeviceError(NOT_CONFIGURED, f"no {ROLE_NAMES[role][4:]} is set up")

    def stop(
        self, role: Role, call: Call[Body], now: datetime, stopped: Callable[[bool], ReplyData]
    ) -> None:
        """Send OFF whatever the device's availability says, and keep sending it until confirmed."""
        house = self._house
        self.check(role)
        state = house.devices[role]
        if role not in house.timers and state.on is False and state.online is not False:
            self._replies.ok(call.verb, call.transaction, stopped(False))
            return
        if role is Role.BATH_VALVE and house.bath.status == "filling":
            house.bath.status = "stopping"
        self._timers.stop_until_off(role, now, "stop")
        self._state.publish(now)
        if state.online is False:
            raise DeviceError(
                OFFLINE,
                f"{ROLE_NAMES[role]} is offline: I've sent it the off command "
                "and will keep sending it until it confirms",
            )
        self._confirmations.expect(role, False, call, now, lambda at: stopped(True))
