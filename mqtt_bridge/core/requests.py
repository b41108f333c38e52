"""Requests in: envelope checks, duplicates, deadlines, then the verb's handler; always answered."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mqtt_bridge.config import Role
from mqtt_bridge.core.house import House
from mqtt_bridge.core.replies import Replies
from mqtt_bridge.core.speech import Speech
from mqtt_bridge.core.verbs import (
    BathFill,
    BathStop,
    Body,
    Call,
    HeatStart,
    HeatStop,
    RoutineStart,
    RoutineStep,
    parse_call,
)
from mqtt_bridge.errors import BridgeError, DeviceError, RequestError
from mqtt_bridge.health import HEALTH_RULE
from mqtt_bridge.protocol import EXPIRED, UnknownVerb, parse_request, transaction_of
from mqtt_bridge.routine_control import RoutineControl

# Verbs that only ever make things safer (or just look): carried out however late they arrive.
LATE_IS_SAFE = frozenset({"heat/stop", "bath/stop", "routine/stop", "routine/pause", "status"})
# What a routine waits for after each verb a failure must end.
CONDITIONS = {"heat/start": "heat_done", "bath/fill": "bath_ready"}

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verb:
    """How the bridge carries out one verb."""

    handle: Callable[[Call[Any], datetime], None]
    # Checked before the parameters: a missing or offline device is named before a bad parameter.
    ready: Callable[[], object] = lambda: None


class Requests:
    """Carry out requests from callers, Home Assistant and routines under the same rules."""

    def __init__(
        self,
        house: House,
        replies: Replies,
        speech: Speech,
        routines: RoutineControl,
        verbs: Mapping[str, Verb],
    ) -> None:
        self._house = house
        self._replies = replies
        self._speech = speech
        self._routines = routines
        self._verbs = verbs
        self._ha_commands: dict[tuple[str, str], Callable[[datetime], None]] = {
            ("heat/set", "ON"): functools.partial(self.run, "heat/start", HeatStart()),
            ("heat/set", "OFF"): functools.partial(self.run, "heat/stop", HeatStop()),
            ("bath/set", "OPEN"): functools.partial(self.run, "bath/fill", BathFill()),
            ("bath/set", "CLOSE"): functools.partial(self.run, "bath/stop", BathStop()),
            ("bath/set", "STOP"): functools.partial(self.run, "bath/stop", BathStop()),
            ("stop_all/press", "PRESS"): self._stop_everything,
        }
        for name in house.config.routines:
            self._ha_commands[("routine/set", name.upper())] = functools.partial(
                self.run, "routine/start", RoutineStart(name)
            )
        self._ha_commands[("routine/set", "NONE")] = functools.partial(
            self.run, "routine/stop", RoutineStep("stop")
        )

    def handle(self, verb: str, payload: bytes, now: datetime) -> None:
        """Parse a request once, at the edge, and carry it out unless it is stale or repeated."""
        house = self._house
        try:
            request = parse_request(verb, payload)
        except UnknownVerb as exc:
            log.warning("unknown request verb %r", verb)
            self._replies.error(verb, exc.request.transaction, exc)
            return
        except RequestError as exc:
            log.warning("malformed %s request: %s", verb, exc)
            self._replies.error(verb, transaction_of(payload), exc)
            return
        transaction = request.transaction
        if transaction is not None and self._replies.repeated(transaction):
            return
        if request.expires_at is not None and verb not in LATE_IS_SAFE:
            late = (house.wall(now) - request.expires_at).total_seconds()
            if late >= 0:
                log.warning(
                    "%s arrived %.1f s after its caller stopped waiting: not done", verb, late
                )
                failure = DeviceError(
                    EXPIRED, "the request arrived after its caller stopped waiting, so I didn't act"
                )
                self._replies.error(verb, transaction, failure)
                return
        if transaction is not None:
            self._replies.begin(transaction)
        queued = len(house.out)
        try:
            handler = self._verbs[verb]
            handler.ready()
            handler.handle(parse_call(request, house.config.routines), now)
        except BridgeError as exc:
            log.info("%s refused: %s", verb, exc)
            self._replies.finish(transaction)
            self._replies.error(verb, transaction, exc)
        except Exception:  # a bug: still answer, and send no ON the handler half-queued
            log.exception("%s failed unexpectedly", verb)
            if verb not in LATE_IS_SAFE:
                del house.out[queued:]  # an OFF it queued stays: stopping is always safe
            self._replies.finish(transaction)
            self._replies.error(
                verb, transaction, BridgeError("the home bridge could not handle this request")
            )

    def run(self, verb: str, body: Body, now: datetime) -> None:
        """Carry out a verb for Home Assistant or a routine: nobody waits for a reply."""
        try:
            self._verbs[verb].handle(Call(verb, body), now)
        except BridgeError as exc:
            log.warning("%s (from Home Assistant or a routine) refused: %s", verb, exc)
            self._replies.error(verb, None, exc)
            self._internal_failed(verb, exc, now)

    def _internal_failed(self, verb: str, failure: BridgeError, now: datetime) -> None:
        reason = str(failure)
        condition = CONDITIONS.get(verb)
        if getattr(failure, "rule", None) == HEALTH_RULE:
            # The gate's own sentence, for whoever pressed the button or started the routine.
            self._speech.say(reason, now)
            if self._routines.active and condition is not None:
                self._routines.condition(condition, now, ok=False)
            return
        if not self._routines.active or condition is None:
            return
        device = "heating pad" if verb == "heat/start" else "bath"
        self._speech.say(f"The {device} can't start: {reason}.", now)
        self._routines.condition(condition, now, ok=False)

    def ha_command(self, name: str, payload: str, now: datetime) -> None:
        """Carry out a Home Assistant button or switch."""
        command = self._ha_commands.get((name, payload.upper()))
        if command is None:
            log.warning("ignoring Home Assistant command %s=%r", name, payload)
            return
        command(now)

    def _stop_everything(self, now: datetime) -> None:
        if self._house.switch(Role.HEATING_PAD) is not None:
            self.run("heat/stop", HeatStop(), now)
        if self._house.switch(Role.BATH_VALVE) is not None:
            self.run("bath/stop", BathStop(), now)
