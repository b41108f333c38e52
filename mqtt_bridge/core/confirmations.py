"""Commands waiting for their device to confirm: answered when it does, failed when it can't."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from mqtt_bridge.config import Role
from mqtt_bridge.core.house import ROLE_NAMES, House
from mqtt_bridge.core.replies import Replies
from mqtt_bridge.core.state import State
from mqtt_bridge.core.verbs import Body, Call
from mqtt_bridge.errors import DeviceError
from mqtt_bridge.protocol import DEVICE_ERROR, TIMEOUT
from mqtt_bridge.reply_types import ReplyData

log = logging.getLogger(__name__)


@dataclass
class Pending:
    """A command waiting for its device to confirm the new state."""

    role: Role
    want_on: bool
    deadline: datetime
    verb: str
    transaction: str | None
    on_confirmed: Callable[[datetime], ReplyData]
    on_timeout: Callable[[datetime], None] = lambda now: None
    # For a device that answers its auto-off on its own (Tasmota's PulseTime): the seconds asked
    # for. ON is confirmed only once that answer came too, and ON alone is remembered meanwhile.
    auto_off_s: float | None = None
    auto_off_set: bool = False
    on_seen: bool = False

    @property
    def waits_for_auto_off(self) -> bool:
        return self.auto_off_s is not None and not self.auto_off_set


class Confirmations:
    """Hold the commands in flight, and settle each from what its device reports."""

    def __init__(self, house: House, replies: Replies, state: State) -> None:
        self._house = house
        self._replies = replies
        self._state = state
        self._pending: list[Pending] = []

    def expect(
        self,
        role: Role,
        want_on: bool,
        call: Call[Body],
        now: datetime,
        on_confirmed: Callable[[datetime], ReplyData],
        on_timeout: Callable[[datetime], None] = lambda now: None,
        auto_off_s: float | None = None,
    ) -> None:
        """Wait for a device to report a state; answer the call when it does."""
        house = self._house
        deadline = now + house.real(house.config.safety.confirm_timeout_s)
        if call.expires_at is not None:
            # Never confirm after the caller stopped waiting: it has told the user it failed.
            left = (call.expires_at - house.wall(now)).total_seconds()
            deadline = min(deadline, now + house.real(max(0.0, left)))
        self._pending.append(
            Pending(
                role,
                want_on,
                deadline,
                call.verb,
                call.transaction,
                on_confirmed,
                on_timeout,
                auto_off_s,
            )
        )
        self._state.publish(now)

    def starting(self, role: Role) -> bool:
        """Whether a start is waiting for this device."""
        return any(p.role is role and p.want_on for p in self._pending)

    def deadlines(self) -> list[datetime]:
        """Return when each wait runs out."""
        return [pending.deadline for pending in self._pending]

    def confirm(self, role: Role, on: bool, now: datetime) -> None:
        """A device reported on or off: answer whatever waited for exactly that."""
        for pending in [p for p in self._pending if p.role is role and p.want_on is on]:
            if on and pending.waits_for_auto_off:
                pending.on_seen = True  # not "on" for anyone until its auto-off is confirmed
                continue
            self._pending.remove(pending)
            data = pending.on_confirmed(now)
            self._replies.ok(pending.verb, pending.transaction, data)

    def auto_off_reported(self, role: Role, seconds: float, now: datetime) -> None:
        """A device said what its own auto-off holds: a start waiting for it goes on or fails."""
        for pending in [p for p in self._pending if p.role is role and p.waits_for_auto_off]:
            if seconds == 0:
                continue  # a stop's own clearing, answered late: not an answer to this start
            assert pending.auto_off_s is not None
            if abs(seconds - pending.auto_off_s) < 0.5:
                pending.auto_off_set = True
                if pending.on_seen:
                    self.confirm(role, True, now)
                continue
            # Not what was asked: the device could stay on past the deadline if the bridge died.
            log.warning(
                "%s holds a %g s auto-off, not %g s: switching it off",
                ROLE_NAMES[role],
                seconds,
                pending.auto_off_s,
            )
            self._fail(
                pending,
                now,
                DeviceError(
                    TIMEOUT,
                    f"{ROLE_NAMES[role]} did not take its own auto-off timer, "
                    "so I've switched it off",
                ),
            )

    def refused_by_device(self, role: Role, why: str, now: datetime) -> None:
        """The device answered with an error: what waits for it fails now, in its words."""
        waiting = [p for p in self._pending if p.role is role]
        if not waiting:
            log.warning("%s answered with an error: %s", ROLE_NAMES[role], why)
            return
        for pending in waiting:
            # As if never confirmed: a failed start is switched off.
            failure = DeviceError(DEVICE_ERROR, f"{ROLE_NAMES[role]} answered with an error: {why}")
            self._fail(pending, now, failure)

    def expire(self, now: datetime) -> None:
        """Fail every wait whose time is up."""
        for pending in [p for p in self._pending if p.deadline <= now]:
            name = ROLE_NAMES[pending.role]
            if pending.want_on and pending.on_seen:
                why = f"{name} switched on but did not confirm its own auto-off timer"
                failure = DeviceError(TIMEOUT, f"{why}, so I've switched it off")
            elif pending.want_on:
                failure = DeviceError(TIMEOUT, f"{name} did not answer")
            else:
                failure = DeviceError(TIMEOUT, f"{name} did not confirm it is off")
            self._fail(pending, now, failure)

    def _fail(self, pending: Pending, now: datetime, failure: DeviceError) -> None:
        self._pending.remove(pending)
        self._replies.finish(pending.transaction)
        pending.on_timeout(now)
        self._replies.error(pending.verb, pending.transaction, failure)
