"""Routines as the bridge runs them: their verbs, their actions, and their persisted progress."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from mqtt_bridge.config import Role
from mqtt_bridge.core.house import House
from mqtt_bridge.core.replies import Replies
from mqtt_bridge.core.speech import Speech
from mqtt_bridge.core.state import State
from mqtt_bridge.core.verbs import (
    BathFill,
    BathStop,
    Body,
    Call,
    HeatStart,
    HeatStop,
    RoutineStart,
    RoutineStep,
)
from mqtt_bridge.health import Runner, RunnerHealth
from mqtt_bridge.routine_control import RoutineControl
from routines.engine import Action, Announce, FillBath, StartHeat, StopDevice

ROUTINE_KEY = "routine"


class RoutineSteps:
    """Start and steer routines on request, and carry out each action under the same rules."""

    def __init__(
        self,
        house: House,
        health: RunnerHealth,
        replies: Replies,
        speech: Speech,
        state: State,
        control: RoutineControl,
        run: Callable[[str, Body, datetime], None],
    ) -> None:
        self._house = house
        self._health = health
        self._replies = replies
        self._speech = speech
        self._state = state
        self._run = run
        self.control = control

    def start(self, call: Call[RoutineStart], now: datetime) -> None:
        """Handle routine/start, or only say whether it may start (dry run)."""
        body = call.body
        runner = self._health.admit(body.runner)
        data = self.control.start(body.name, now, runner, body.dry_run)
        if not body.dry_run:
            self.changed(now)
        self._replies.ok(call.verb, call.transaction, data)

    def step(self, call: Call[RoutineStep], now: datetime) -> None:
        """Handle routine/stop, pause, resume and next."""
        data = self.control.control(call.body.step, now)
        self.changed(now)
        self._replies.ok(call.verb, call.transaction, data)

    def tick(self, now: datetime) -> None:
        """Let the routine do what is due."""
        was = self.control.snapshot()
        self.control.tick(now)
        if self.control.snapshot() != was:
            self.changed(now)

    def changed(self, now: datetime) -> None:
        """Store the routine's progress and publish the new state."""
        house = self._house
        house.record(house.store.put_json, ROUTINE_KEY, self.control.persisted())
        self._state.publish(now)

    def act(self, action: Action, now: datetime) -> None:
        """Carry out one routine action; the same safety rules apply as to any request."""
        runner = Runner(self.control.runner) if self.control.runner else None
        if isinstance(action, Announce):
            self._speech.say(action.text, now)
        elif isinstance(action, StartHeat):
            self._run("heat/start", HeatStart(action.minutes, runner=runner), now)
        elif isinstance(action, FillBath):
            self._run("bath/fill", BathFill(action.temperature_c, action.epsom, runner), now)
        elif isinstance(action, StopDevice):
            heat = action.device == "heat"
            if self._house.switch(Role.HEATING_PAD if heat else Role.BATH_VALVE):
                self._run(
                    "heat/stop" if heat else "bath/stop", HeatStop() if heat else BathStop(), now
                )
