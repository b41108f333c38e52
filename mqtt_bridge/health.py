"""The runners' health states as the bridge knows them, so its own actions ask the safety gate.

The skill publishes each runner's state, retained, on `recovery/<home>/health/<runner>`, and sends
it with every request that could start heat, water or a routine. The bridge keeps the newest of
each, in its store too, so a broker restart without persistence forgets nothing. An action with
no runner (Home Assistant, a routine started there) is decided on every runner's flags together.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from mqtt_bridge.errors import RefusedError, RequestError, StoreError
from mqtt_bridge.messages import parse_json
from mqtt_bridge.store import TimerStore
from routines.errors import RoutinesError
from routines.gate import Decision, Request, decide
from routines.health import HealthState

HEALTH_KEY = "health"
HEALTH_RULE = "health"
MAX_RUNNER = 64

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Runner:
    """Whose request it is, with the health state it carried, if any."""

    name: str
    health: HealthState | None = None

    def __post_init__(self) -> None:
        if not 0 < len(self.name) <= MAX_RUNNER or "/" in self.name:
            raise RequestError(f"runner must be a name of 1 to {MAX_RUNNER} characters")


class RunnerHealth:
    """Every runner's latest health state, persisted in the bridge's store."""

    def __init__(self, store: TimerStore) -> None:
        self._store = store
        self._states: dict[str, HealthState] = {}

    def load(self) -> None:
        """Read what the store kept; a state that no longer parses is logged and skipped."""
        stored = self._store.get_json(HEALTH_KEY) or {}
        for runner, raw in stored.items() if isinstance(stored, Mapping) else ():
            try:
                self._states[str(runner)] = HealthState.from_dict(raw)
            except RoutinesError as exc:
                log.error("stored health state of runner %s does not parse: %s", runner, exc)

    def for_runner(self, runner: str | None) -> HealthState:
        """Return a runner's state; with no known runner, every runner's flags together."""
        if runner is not None and runner in self._states:
            return self._states[runner]
        return HealthState.merged(self._states.values())

    def decide(self, request: Request, runner: str | None) -> Decision:
        """Ask the safety gate on the runner's behalf."""
        return decide(self.for_runner(runner), request)

    def check(self, request: Request, runner: str | None) -> None:
        """Raise RefusedError with the gate's reason when it says no."""
        decision = self.decide(request, runner)
        if not decision.allowed:
            raise RefusedError(decision.reason, HEALTH_RULE)

    def update(self, runner: str, state: HealthState) -> bool:
        """Keep a runner's state unless an even newer one is known; return whether it changed."""
        known = self._states.get(runner)
        if (
            known is not None
            and known.updated_at is not None
            and (state.updated_at is None or state.updated_at < known.updated_at)
        ):
            return False
        if known == state:
            return False
        self._states[runner] = state
        self._persist()
        return True

    def forget(self, runner: str) -> bool:
        """Drop a runner (their retained state was cleared)."""
        if self._states.pop(runner, None) is None:
            return False
        self._persist()
        return True

    def admit(self, runner: Runner | None) -> str | None:
        """Keep the health state a request carried for its runner; return the runner's name."""
        if runner is None:
            return None
        if runner.health is not None:
            self.update(runner.name, runner.health)
        return runner.name

    def message(self, runner: str, payload: bytes) -> bool:
        """Take a retained health message; return whether anything changed."""
        if not payload.strip():
            return self.forget(runner)
        document = parse_json(payload)
        try:
            if document is None:
                raise RoutinesError("not JSON")
            state = HealthState.from_dict(document)
        except RoutinesError as exc:
            # Keep what we had: a garbled message must never clear a red flag.
            log.warning(
                "ignoring a health state for runner %s that does not parse: %s", runner, exc
            )
            return False
        return self.update(runner, state)

    def _persist(self) -> None:
        try:
            self._store.put_json(
                HEALTH_KEY, {runner: state.to_dict() for runner, state in self._states.items()}
            )
        except StoreError as exc:
            # The gate still decides from memory; the skill republishes the state (retained).
            log.error("%s; keeping runners' health in memory", exc)
