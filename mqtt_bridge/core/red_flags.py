"""React to a runner's red flags changing: stop heat or water the gate no longer allows."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from mqtt_bridge.config import Role
from mqtt_bridge.core.house import ROLE_NAMES, House
from mqtt_bridge.core.routine_steps import RoutineSteps
from mqtt_bridge.core.speech import Speech
from mqtt_bridge.core.verbs import BathStop, Body, HeatStop
from mqtt_bridge.health import RunnerHealth
from routines.gate import BathRequest, HeatRequest, Request

log = logging.getLogger(__name__)

# What each running session asks the gate, how it is stopped, and what the speaker then says.
WATCHED: tuple[tuple[Role, Request, str, Body, str], ...] = (
    (Role.HEATING_PAD, HeatRequest(), "heat/stop", HeatStop(), "I've switched off the heating pad"),
    (Role.BATH_VALVE, BathRequest(), "bath/stop", BathStop(), "I've stopped the bath"),
)


class RedFlags:
    """Ask the gate again about every running session when a runner's health changes."""

    def __init__(
        self,
        house: House,
        health: RunnerHealth,
        speech: Speech,
        routine_steps: RoutineSteps,
        run: Callable[[str, Body, datetime], None],
    ) -> None:
        self._house = house
        self._health = health
        self._speech = speech
        self._routine_steps = routine_steps
        self._run = run

    def changed(self, now: datetime) -> None:
        """Stop what the gate now refuses, say why, and let the routine skip what needed it."""
        for role, request, verb, body, done in WATCHED:
            timer = self._house.timers.get(role)
            if timer is None or timer.detail.get("expired") or timer.detail.get("off"):
                continue
            decision = self._health.decide(request, timer.detail.get("runner"))
            if not decision.allowed:
                log.warning("%s: stopping it for a runner's red flag", ROLE_NAMES[role])
                self._run(verb, body, now)
                self._speech.say(f"{done}: {decision.why}.", now)
        self._routine_steps.tick(now)
