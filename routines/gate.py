"""The one safety gate: every action asks it, and it answers from the runner's health state.

Heat, a hot bath, stretching, a routine (and each of its steps) and "go for a run" are decided
here, never in a handler: allowed, allowed with a change (stretches that avoid an injured area, a
routine without its heat), or refused with the reason to say.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from routines.context import BodyArea, PainFlag, overlaps
from routines.health import URGENT_SIGNS, HealthState, RedFlag, area_name
from routines.routine import Bath, Heat, Routine, Say, Step, StretchStep, Wait, WaitFor
from routines.stretches import Stretch, StretchLibrary, load_library
from routines.words import and_list


class Verdict(StrEnum):
    ALLOWED = "allowed"
    CHANGED = "changed"
    REFUSED = "refused"


@dataclass(frozen=True)
class HeatRequest:
    """Switch on the heating pad."""


@dataclass(frozen=True)
class BathRequest:
    """Run a warm or hot bath."""


@dataclass(frozen=True)
class StretchRequest:
    """Guide these stretches (a session, or one stretch of a routine)."""

    stretches: tuple[Stretch, ...]


@dataclass(frozen=True)
class RunRequest:
    """Suggest a run ("an easy run is fine")."""


@dataclass(frozen=True)
class RoutineRequest:
    """Start a routine."""

    routine: Routine


@dataclass(frozen=True)
class StepRequest:
    """Run one step of a running routine."""

    routine: Routine
    index: int


Request = HeatRequest | BathRequest | StretchRequest | RunRequest | RoutineRequest | StepRequest


@dataclass(frozen=True)
class Decision:
    """The gate's answer, with the reason to speak when something is refused or changed."""

    verdict: Verdict
    reason: str = ""
    why: str = ""  # the reason alone, for use inside a longer sentence
    stretches: tuple[Stretch, ...] = field(default_factory=tuple)
    routine: Routine | None = None

    @property
    def allowed(self) -> bool:
        """Tell whether the action may go ahead (perhaps changed)."""
        return self.verdict is not Verdict.REFUSED


ALLOWED = Decision(Verdict.ALLOWED)
GET_HELP_FIRST = "please get medical help first"
FRESH_INJURY = "heat is for tight muscles, not a fresh injury. An ice pack suits a tender spot"
CHECK_FIRST = "have a doctor or physiotherapist check it before you treat it yourself"

# Why each action is not safe with each sign; urgent signs all say "get medical help first".
WHY: dict[str, dict[PainFlag, str]] = {
    "heat": {
        PainFlag.SWELLING: "heat can make fresh swelling worse. An ice pack suits a fresh, "
        "tender spot",
        PainFlag.SHARP: FRESH_INJURY,
        PainFlag.LOCALISED: FRESH_INJURY,
        PainFlag.CANT_BEAR_WEIGHT: FRESH_INJURY,
        PainFlag.LASTING_DAYS: CHECK_FIRST,
        PainFlag.NUMBNESS: "you might not feel it getting too hot",
    },
    "bath": {
        PainFlag.SWELLING: "heat can make fresh swelling worse",
        PainFlag.SHARP: "a hot bath is for tight muscles, not a fresh injury",
        PainFlag.LOCALISED: "a hot bath is for tight muscles, not a fresh injury",
        PainFlag.CANT_BEAR_WEIGHT: "a hot bath is for tight muscles, not a fresh injury",
        PainFlag.LASTING_DAYS: CHECK_FIRST,
        PainFlag.NUMBNESS: "you might not feel if the water is too hot",
        PainFlag.DARK_URINE: "please get medical help first, and a hot bath dries you out further",
        PainFlag.FAINTING: "please get medical help first, and a hot bath can make you faint",
    },
    "stretches": {
        PainFlag.SWELLING: "a swollen area shouldn't be stretched until it's been checked",
        PainFlag.SHARP: "stretching through sharp pain can make an injury worse",
        PainFlag.CANT_BEAR_WEIGHT: "it needs checking before you put weight or strain on it",
        PainFlag.NUMBNESS: "numbness needs checking before you stretch",
        PainFlag.LOCALISED: "I can't tell which stretches would load it",
        PainFlag.LASTING_DAYS: "I can't tell which stretches would load it",
    },
    "run": {
        PainFlag.SWELLING: "have a doctor or physiotherapist check it first",
        PainFlag.SHARP: "have a doctor or physiotherapist check it first",
        PainFlag.LOCALISED: "have a doctor or physiotherapist check it first",
        PainFlag.CANT_BEAR_WEIGHT: "have a doctor or physiotherapist check it first",
        PainFlag.LASTING_DAYS: "have a doctor or physiotherapist check it first",
        PainFlag.NUMBNESS: "have a doctor check it first",
    },
}
# Any of these rules out a whole stretching session, wherever it is.
NO_STRETCHING = frozenset(
    {
        PainFlag.SHARP,
        PainFlag.SWELLING,
        PainFlag.CANT_BEAR_WEIGHT,
        PainFlag.NUMBNESS,
        *URGENT_SIGNS,
    }
)
VERBS = {
    "heat": "turn on the heating pad",
    "bath": "run a hot bath",
    "stretches": "guide stretches",
}


def decide(
    health: HealthState, request: Request, library: StretchLibrary | None = None
) -> Decision:
    """Decide whether an action may go ahead for a runner in this health state."""
    if not health.active:
        return _unchanged(request)
    library = library or load_library()
    rules: dict[type, Callable[[Any], Decision]] = {
        HeatRequest: lambda r: _refuse_any("heat", health),
        BathRequest: lambda r: _refuse_any("bath", health),
        StretchRequest: lambda r: _stretches(health, r.stretches),
        RunRequest: lambda r: _run(health),
        RoutineRequest: lambda r: _routine(health, r.routine, library),
        StepRequest: lambda r: _step(health, r.routine, r.index, library),
    }
    return rules[type(request)](request)


def _unchanged(request: Request) -> Decision:
    if isinstance(request, StretchRequest):
        return Decision(Verdict.ALLOWED, stretches=request.stretches)
    if isinstance(request, RoutineRequest):
        return Decision(Verdict.ALLOWED, routine=request.routine)
    return ALLOWED


def _why(action: str, flag: RedFlag) -> str:
    if flag.sign in URGENT_SIGNS and flag.sign not in WHY[action]:
        return GET_HELP_FIRST
    return WHY[action].get(flag.sign, GET_HELP_FIRST)


def _refuse_any(action: str, health: HealthState) -> Decision:
    """Heat and hot water wait until every red flag is cleared."""
    flag = health.active[0]
    why = _why(action, flag)
    return Decision(Verdict.REFUSED, f"I won't {VERBS[action]} while {flag.state()}: {why}.", why)


def _run(health: HealthState) -> Decision:
    flag = health.active[0]
    why = _why("run", flag)
    return Decision(Verdict.REFUSED, f"No running while {flag.state()}: {why}.", why)


def _stretches(health: HealthState, stretches: tuple[Stretch, ...]) -> Decision:
    """No stretching over sharp pain, swelling or an urgent sign; elsewhere avoid the area."""
    for flag in health.active:
        if flag.sign in NO_STRETCHING or flag.area is None:
            why = _why("stretches", flag)
            return Decision(
                Verdict.REFUSED, f"I won't {VERBS['stretches']} while {flag.state()}: {why}.", why
            )
    injured = health.areas
    kept = tuple(s for s in stretches if not _loads(s, injured))
    if len(kept) == len(stretches):
        return Decision(Verdict.ALLOWED, stretches=stretches)
    names = and_list([f"your {area_name(area)}" for area in sorted(injured)])
    if not kept:
        why = f"each of these would load {names}, which needs checking first"
        return Decision(Verdict.REFUSED, f"I won't {VERBS['stretches']} now: {why}.", why)
    return Decision(
        Verdict.CHANGED, f"I've left out the stretches that load {names}.", stretches=kept
    )


def _loads(stretch: Stretch, injured: frozenset[BodyArea]) -> bool:
    return any(overlaps(area, stretch.touches) for area in injured)


def _routine(health: HealthState, routine: Routine, library: StretchLibrary) -> Decision:
    """Trim what the health state rules out, and say which; refuse if nothing useful is left."""
    kept: list[Step] = []
    left_out: list[Step] = []
    reasons: list[Decision] = []
    for index, step in enumerate(routine.steps):
        decision = _step(health, routine, index, library)
        if decision.allowed:
            kept.append(step)
        else:
            left_out.append(step)
            reasons.append(decision)
    if not left_out:
        return Decision(Verdict.ALLOWED, routine=routine)
    what = and_list(_describe(left_out, routine, library))
    state = health.active[0].state()
    if not any(isinstance(step, Heat | Bath | StretchStep) for step in kept):
        return Decision(
            Verdict.REFUSED,
            f"I won't start the {routine.title} routine while {state}: it uses {what}, and "
            f"{reasons[0].why}.",
        )
    return Decision(
        Verdict.CHANGED,
        f"I've left out {what} from the {routine.title} routine while {state}.",
        routine=replace(routine, steps=tuple(kept)),
    )


def _step(health: HealthState, routine: Routine, index: int, library: StretchLibrary) -> Decision:
    """Decide one routine step: its own kind, or what it needs."""
    step = routine.steps[index]
    kind = _kind(step)
    if kind == "heat":
        return _refuse_any("heat", health)
    if kind == "bath":
        return _refuse_any("bath", health)
    if kind == "stretches":
        if isinstance(step, StretchStep):
            return _stretches(health, (library.get(step.stretch_id),))
        everything = tuple(
            library.get(s.stretch_id) for s in routine.steps if isinstance(s, StretchStep)
        )
        return _stretches(health, everything)
    return ALLOWED


def _kind(step: Step) -> str | None:
    if isinstance(step, Heat):
        return "heat"
    if isinstance(step, Bath):
        return "bath"
    if isinstance(step, StretchStep):
        return "stretches"
    if isinstance(step, WaitFor):
        return "heat" if step.condition == "heat_done" else "bath"
    if isinstance(step, Say | Wait):
        return step.needs
    return None


def _describe(steps: list[Step], routine: Routine, library: StretchLibrary) -> list[str]:
    parts: list[str] = []
    if any(isinstance(step, Heat) for step in steps):
        parts.append("the heat")
    if any(isinstance(step, Bath) for step in steps):
        parts.append("the bath")
    stretches = [step for step in steps if isinstance(step, StretchStep)]
    every = [step for step in routine.steps if isinstance(step, StretchStep)]
    if stretches and len(stretches) == len(every):
        parts.append("the stretches")
    elif stretches:
        parts += [f"the {library.get(s.stretch_id).title.lower()}" for s in stretches]
    return parts
