"""Turn a run context into an ordered recovery plan."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cached_property

from routines.context import DistanceUnit, RunContext
from routines.gate import RunRequest, decide
from routines.health import HealthState
from routines.knowledge import Disagreement, Knowledge, Timing, Tip, load_knowledge
from routines.training import TrainingLoad
from routines.triage import Triage, TriageResult, triage
from routines.urgency import red_flag_advice
from routines.words import amount, cap_amount

TIMING_ORDER = tuple(Timing)

TIMING_TITLES: dict[Timing, str] = {
    Timing.NOW: "Now",
    Timing.WITHIN_30_MIN: "Within 30 minutes",
    Timing.TODAY: "Today",
    Timing.TONIGHT: "Tonight",
    Timing.TOMORROW: "Tomorrow",
    Timing.TRAINING: "Training",
}

RUN_TOMORROW: dict[Triage, str] = {
    Triage.URGENT: "No running until a doctor has seen you.",
    Triage.POSSIBLE_INJURY: "Don't run on it until a health professional has checked it.",
    Triage.VERY_SORE: (
        "Not tomorrow: take a rest day, or do something low impact like walking or swimming."
    ),
    Triage.NORMAL: "An easy run is fine if you feel good. Keep about 80 percent of your week easy.",
}
# The training notes restate these with the runner's own numbers, so plans leave them out.
RESTATED_BY_NOTES = ("ten_percent_rule", "eighty_percent_easy")
RUN_TOMORROW_AFTER_HARD = (
    "Make tomorrow easy: active recovery like an easy walk or bike ride, or a short easy run "
    "if your legs feel good."
)
# Both articles: rest days, or low-impact active recovery, rather than another run.
RUN_TOMORROW_AFTER_LONG_RACE = (
    "After a race that long, give your legs a rest day or active recovery, like an easy walk, "
    "bike ride or swim, rather than a run."
)
# Past this, the plan is for the day after the run: what was "tomorrow" becomes "today".
NEXT_DAY_HOURS = 12.0
DAYS_LATER_HOURS = 36.0


class Stage(StrEnum):
    """How long ago the run was, as far as the plan is concerned."""

    JUST_FINISHED = "just_finished"
    LATER_THAT_DAY = "later_that_day"
    NEXT_DAY = "next_day"
    DAYS_LATER = "days_later"


def stage_of(context: RunContext) -> Stage:
    """Place the request in time relative to the run: unknown times count as just finished."""
    hours = context.hours_since_run
    if hours is None or context.just_finished:
        return Stage.JUST_FINISHED
    if hours < NEXT_DAY_HOURS:
        return Stage.LATER_THAT_DAY
    return Stage.NEXT_DAY if hours < DAYS_LATER_HOURS else Stage.DAYS_LATER


def timing_for(tip: Tip, stage: Stage, result: TriageResult) -> Timing:
    """Say when a tip belongs, given how long ago the run was."""
    if stage is Stage.JUST_FINISHED or tip.when in (Timing.TONIGHT, Timing.TRAINING):
        return tip.when
    if tip.when is Timing.NOW and result.needs_professional:
        # A red flag is "now" at any hour.
        return Timing.NOW
    if tip.when is Timing.TOMORROW and stage is Stage.LATER_THAT_DAY:
        return Timing.TOMORROW
    # "Now" and "within 30 minutes" have passed (their right-after-only tips are already left
    # out), and by the next day "tomorrow" has come: all of it is for today.
    return Timing.TODAY


@dataclass(frozen=True)
class PlanStep:
    """One thing to do, and when."""

    timing: Timing
    tip: Tip


@dataclass(frozen=True)
class RecoveryPlan:
    """What to do after this run, in order, with the reasons behind the triage."""

    context: RunContext
    triage: TriageResult
    steps: tuple[PlanStep, ...]
    run_tomorrow: str
    training_notes: tuple[str, ...]
    disagreements: tuple[Disagreement, ...] = field(default_factory=tuple)
    professional_advice: str | None = None
    stage: Stage = Stage.JUST_FINISHED
    # What to do about the runner's red flags, said first and alone (routines.urgency).
    red_flag_advice: str | None = None

    def at(self, timing: Timing) -> tuple[Tip, ...]:
        """Return the plan's tips for one moment."""
        return self._by_timing.get(timing, ())

    @cached_property
    def _by_timing(self) -> dict[Timing, tuple[Tip, ...]]:
        # Asked for each moment several times while a plan is spoken and carded: group once.
        grouped: dict[Timing, list[Tip]] = {}
        for step in self.steps:
            grouped.setdefault(step.timing, []).append(step.tip)
        return {timing: tuple(tips) for timing, tips in grouped.items()}


def build_plan(
    context: RunContext,
    load: TrainingLoad | None = None,
    knowledge: Knowledge | None = None,
    unit: DistanceUnit = DistanceUnit.MILES,
    health: HealthState | None = None,
) -> RecoveryPlan:
    """Build the recovery plan for a run: triage, ordered steps and training advice."""
    knowledge = knowledge or load_knowledge()
    health = health or HealthState()
    context = replace(context, pain_flags=context.pain_flags | health.signs)
    result = triage(context)
    stage = stage_of(context)
    steps = sorted(
        (
            PlanStep(timing_for(tip, stage, result), tip)
            for tip in knowledge.tips
            if tip.applies_to(context, result.level) and tip.id not in RESTATED_BY_NOTES
        ),
        # Sore areas first; then what was planned for this moment before what carries over
        # from earlier (on the day after a marathon, rest before the day-long water and food).
        key=lambda step: (
            TIMING_ORDER.index(step.timing),
            not (step.tip.areas & context.sore_areas),
            -TIMING_ORDER.index(step.tip.when),
        ),
    )
    topics = {step.tip.topic for step in steps}
    disagreements = tuple(d for d in knowledge.disagreements if d.topic in topics)
    running = decide(health, RunRequest())
    return RecoveryPlan(
        context=context,
        triage=result,
        steps=tuple(steps),
        run_tomorrow=running.reason
        if not running.allowed
        else run_tomorrow_advice(context, result),
        training_notes=training_notes(load, unit, knowledge),
        disagreements=disagreements,
        professional_advice=knowledge.professional_advice if result.needs_professional else None,
        stage=stage,
        red_flag_advice=red_flag_advice(health, context.soreness),
    )


def run_tomorrow_advice(context: RunContext, result: TriageResult) -> str:
    """Say whether to run tomorrow, from the triage and how hard the run was."""
    if result.level is Triage.NORMAL and context.is_long_race:
        return RUN_TOMORROW_AFTER_LONG_RACE
    if result.level is Triage.NORMAL and context.is_hard_run:
        return RUN_TOMORROW_AFTER_HARD
    return RUN_TOMORROW[result.level]


def training_notes(
    load: TrainingLoad | None, unit: DistanceUnit, knowledge: Knowledge | None = None
) -> tuple[str, ...]:
    """Apply the 10% rule to the logged mileage, in the runner's unit; a spike is never a base."""
    knowledge = knowledge or load_knowledge()
    if load is None or load.baseline_km <= 0:
        return tuple(knowledge.tip(tip_id).say for tip_id in RESTATED_BY_NOTES)
    name = "miles" if unit is DistanceUnit.MILES else "kilometres"
    cap = f"about {cap_amount(unit.from_km(load.next_week_cap_km))} {name}"
    logged = (
        f"You've logged {amount(unit.from_km(load.this_week_km))} {name} in the last 7 days"
        if load.this_week_km > 0
        else "You haven't logged a run in the last 7 days"
    )
    increase = load.increase
    if load.over_ten_percent and increase is not None:
        # The run-tomorrow answer reads the second note on its own, so it carries the cap too.
        reference = (
            "the week before"
            if load.reference_km == load.last_week_km
            else f"your last normal week of {amount(unit.from_km(load.reference_km))} {name}"
        )
        notes = [
            f"{logged}.",
            f"That's {increase * 100:.0f} percent more than {reference}, over the 10 percent "
            f"rule. Don't build on it: ease back to {cap} next week so your body can adapt.",
        ]
    elif load.baseline_km != load.this_week_km:
        baseline = amount(unit.from_km(load.baseline_km))
        notes = [
            f"{logged}. Your last normal week was {baseline} {name}, so by the 10 percent rule "
            f"keep next week to {cap}."
        ]
    else:
        notes = [f"{logged}, so by the 10 percent rule keep next week to {cap}."]
    notes.append("Keep about 80 percent of it easy.")
    return tuple(notes)
