"""Run one routine at a time for the bridge: verbs in, engine actions out, state for the topic."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Any

from mqtt_bridge.errors import DeviceError, RefusedError, RequestError
from mqtt_bridge.health import HEALTH_RULE, RunnerHealth
from mqtt_bridge.protocol import BUSY
from mqtt_bridge.reply_types import RoutineStarted, RoutineState, RoutineStepped
from routines.engine import Action, Announce, RoutineRun, Status
from routines.gate import RoutineRequest, StepRequest, Verdict
from routines.routine import Routine

NOT_RUNNING = "not_running"
ACTIVE = (Status.RUNNING, Status.WAITING, Status.PAUSED)


class RoutineControl:
    """Hold the running routine, and hand every action it produces to `execute`."""

    def __init__(
        self,
        routines: Mapping[str, Routine],
        execute: Callable[[Action, datetime], None],
        health: RunnerHealth,
    ) -> None:
        self.routines = routines
        self._execute = execute
        self._health = health
        self.run: RoutineRun | None = None
        self.runner: str | None = None  # whose routine it is; None: anyone's (Home Assistant)
        self.interrupted: RoutineState | None = None

    @property
    def active(self) -> bool:
        return self.run is not None and self.run.status in ACTIVE

    def start(
        self, name: Any, now: datetime, runner: str | None = None, dry_run: bool = False
    ) -> RoutineStarted:
        """Start a routine by name, as the safety gate allows it (perhaps trimmed)."""
        if not isinstance(name, str) or name not in self.routines:
            raise unknown_routine(name, self.routines)
        if self.active:
            assert self.run is not None
            raise DeviceError(BUSY, f"the {self.run.routine.title} routine is already running")
        decision = self._health.decide(RoutineRequest(self.routines[name]), runner)
        if not decision.allowed:
            raise RefusedError(decision.reason, HEALTH_RULE)
        routine = decision.routine or self.routines[name]
        data = RoutineStarted(
            name=routine.name,
            title=routine.title,
            steps=len(routine.steps),
            uses=routine.uses,
            note=decision.reason if decision.verdict is Verdict.CHANGED else None,
        )
        if dry_run:
            return data
        self.runner = runner
        self.run = RoutineRun(routine, check=self._check)
        self.interrupted = None
        if decision.verdict is Verdict.CHANGED:
            self._execute(Announce(decision.reason), now)
        self._do(self.run.start(now), now)
        return data

    def _check(self, index: int) -> str | None:
        """Ask the safety gate before each step, with the runner's health as it is now."""
        assert self.run is not None
        decision = self._health.decide(StepRequest(self.run.routine, index), self.runner)
        return None if decision.allowed else decision.reason

    def control(self, verb: str, now: datetime) -> RoutineStepped:
        """Pause, resume, skip to the next step, or stop the running routine."""
        if not self.active:
            raise DeviceError(NOT_RUNNING, "no routine is running")
        assert self.run is not None
        actions = {
            "pause": self.run.pause,
            "resume": self.run.resume,
            "next": self.run.skip,
            "stop": self.run.stop,
        }[verb](now)
        self._do(actions, now)
        return RoutineStepped(name=self.run.routine.name, status=self.run.status.value)

    def condition(self, name: str, now: datetime, ok: bool = True) -> None:
        """Tell the routine the heat ended or the bath got ready (or failed)."""
        if self.active:
            assert self.run is not None
            self._do(self.run.condition(name, now, ok), now)

    def tick(self, now: datetime) -> None:
        """Carry out whatever is due."""
        if self.active:
            assert self.run is not None
            self._do(self.run.tick(now), now)

    def next_wakeup(self) -> datetime | None:
        """Return when the routine next has something to do."""
        return self.run.next_wakeup() if self.active and self.run is not None else None

    def restore(self, stored: Mapping[str, Any] | None, now: datetime) -> None:
        """Report a routine the bridge was running when it went down as interrupted."""
        if not stored:
            return
        name = str(stored.get("name"))
        title = self.routines[name].title if name in self.routines else name
        self.interrupted = RoutineState(name=name, title=title, status="interrupted")
        self._execute(
            Announce(
                f"Your {title} routine was interrupted when the home bridge restarted. "
                "Everything is switched off safely; start it again when you're ready."
            ),
            now,
        )

    def persisted(self) -> dict[str, Any] | None:
        """Return what to store so a restart can report the routine as interrupted."""
        if not self.active:
            return None
        assert self.run is not None
        return {"name": self.run.routine.name}

    def snapshot(self) -> RoutineState | None:
        """Describe the routine for the state topic."""
        if self.run is None:
            return self.interrupted
        run = self.run
        upcoming = run.upcoming()
        return RoutineState(
            name=run.routine.name,
            title=run.routine.title,
            status=run.status.value,
            step=run.step,
            steps=len(run.routine.steps),
            step_title=run.routine.step_title(run.step),
            next_step_title=run.routine.step_title(upcoming) if upcoming is not None else None,
        )

    def _do(self, actions: list[Action], now: datetime) -> None:
        for action in actions:
            self._execute(action, now)


def unknown_routine(name: object, known: Collection[str]) -> RequestError:
    """Return the refusal of a routine name that is not configured, naming those that are."""
    return RequestError(f"unknown routine {name!r}; known: {', '.join(sorted(known)) or 'none'}")
