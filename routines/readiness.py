"""How tired the runner is, and when a hard session is sensible again: a red flag always wins.

Tiredness is the form band (routines.fitness), raised by soreness: 4-6 out of 10 is at least
tired, 7 or more very tired. A hard session waits for the longest of: form climbing out of the
high-risk band with no more training; the rest after the latest hard run (48 hours after a long
run, a race, a tempo or interval session, or a run as intense as RPE 7; 72 after a half
marathon or longer, as the plan's rest day after it; a week after a marathon or longer); and
the soreness (48 hours from a report of 7 or more, 24 from 4-6). With an active red flag there
is no hard running at all until it is cleared.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum

from routines.context import RACE_DISTANCE_KM, RunType
from routines.errors import InvalidContextError
from routines.fitness import (
    FRESH_PCT,
    HIGH_RISK_PCT,
    NEUTRAL_PCT,
    Fitness,
    fitness_now,
    hours_until_form,
)
from routines.gate import RunRequest, decide
from routines.health import HealthState
from routines.load import TRIMP_A, TRIMP_B, LoadMethod, run_load
from routines.training import RunRecord
from routines.urgency import red_flag_advice

SORE_LEVEL = 4
VERY_SORE_LEVEL = 7
SORE_HOURS = 24.0
VERY_SORE_HOURS = 48.0
HARD_RUN_HOURS = 48.0
LONG_RACE_HOURS = 72.0
MARATHON_HOURS = 7 * 24.0
MARATHON_KM = 42.0
# A measured or said load this intense per minute is a hard run, whatever it was called: the
# TRIMP of a minute at 80% of heart-rate reserve, which session RPE reaches at 7 out of 10.
HARD_HRR = 0.8
HARD_LOAD_PER_MINUTE = HARD_HRR * TRIMP_A * math.exp(TRIMP_B * HARD_HRR)
NAMED_RACES = frozenset({RunType.RACE, *RACE_DISTANCE_KM})
MARATHON_TYPES = frozenset({RunType.MARATHON, RunType.ULTRA})


class Tired(StrEnum):
    FRESH = "fresh"
    NORMAL = "normal"
    TIRED = "tired"
    VERY_TIRED = "very tired"


TIRED_ORDER = (Tired.FRESH, Tired.NORMAL, Tired.TIRED, Tired.VERY_TIRED)


@dataclass(frozen=True)
class Tiredness:
    """How tired the runner is, with the numbers behind it."""

    level: Tired
    # The level from form alone, before soreness raised it.
    form_level: Tired
    fitness: Fitness
    soreness: int | None = None

    def __post_init__(self) -> None:
        _check_soreness(self.soreness)

    @property
    def form_pct(self) -> float:
        """Return today's form as a percentage of fitness."""
        return self.fitness.today.form_pct

    @property
    def raised_by_soreness(self) -> bool:
        """Tell whether soreness, not form, set the level."""
        return self.level is not self.form_level


def _check_soreness(soreness: int | None) -> None:
    if soreness is not None and (
        isinstance(soreness, bool) or not isinstance(soreness, int) or not 0 <= soreness <= 10
    ):
        raise InvalidContextError(f"soreness must be a whole number 0-10, got {soreness!r}")


def form_level(pct: float) -> Tired:
    """Place form, as a percentage of fitness, in its band."""
    if pct > FRESH_PCT:
        return Tired.FRESH
    if pct >= NEUTRAL_PCT:
        return Tired.NORMAL
    if pct >= HIGH_RISK_PCT:
        return Tired.TIRED
    return Tired.VERY_TIRED


def soreness_level(soreness: int | None) -> Tired:
    """Return the least tiredness a soreness rating means."""
    if soreness is not None and soreness >= VERY_SORE_LEVEL:
        return Tired.VERY_TIRED
    if soreness is not None and soreness >= SORE_LEVEL:
        return Tired.TIRED
    return Tired.FRESH


def how_tired(
    runs: Iterable[RunRecord], now: datetime, tz: tzinfo, soreness: int | None = None
) -> Tiredness:
    """Say how tired the runner is: the form band, raised by the latest soreness (0-10)."""
    _check_soreness(soreness)
    fitness = fitness_now(runs, now, tz)
    by_form = form_level(fitness.today.form_pct)
    level = max(by_form, soreness_level(soreness), key=TIRED_ORDER.index)
    return Tiredness(level, by_form, fitness, soreness)


class HardKind(StrEnum):
    """Why a run needs rest before the next hard one."""

    MARATHON = "marathon or longer"
    LONG_RACE = "half marathon or longer"
    LONG_RUN = "long run"
    RACE = "race"
    SESSION = "tempo or interval session"
    # Measured or said to be as hard as RPE 7, whatever it was called.
    INTENSE = "intense run"


class Limit(StrEnum):
    """What can hold a hard session back."""

    FORM = "form"
    AFTER_RUN = "after run"
    SORENESS = "soreness"


@dataclass(frozen=True)
class Wait:
    """One rule's wait before a hard session, from now, and what it is about."""

    limit: Limit
    hours: int
    # The run it is counted from (AFTER_RUN), and why that run was hard.
    run: RunRecord | None = None
    kind: HardKind | None = None

    def __post_init__(self) -> None:
        if self.hours < 0:
            raise InvalidContextError(f"a wait cannot be negative, got {self.hours}")


@dataclass(frozen=True)
class HardAgain:
    """When a hard session is sensible: hours from now (0: now; None: not until flags clear)."""

    hours: int | None
    # Every rule's wait, the longest first; those with the most hours set the answer.
    waits: tuple[Wait, ...] = ()
    # With an active red flag: why no running, and what to do about it.
    refusal: str | None = None
    red_flag_advice: str | None = None
    fitness: Fitness | None = None
    soreness: int | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        if (self.hours is None) != (self.refusal is not None):
            raise InvalidContextError("hours is None exactly when a red flag refuses hard running")

    @property
    def now(self) -> bool:
        """Tell whether a hard session is sensible right now."""
        return self.hours == 0

    @property
    def setting(self) -> tuple[Wait, ...]:
        """Return the waits that set the answer (none when it is now or a red flag)."""
        if not self.hours:
            return ()
        return tuple(wait for wait in self.waits if wait.hours == self.hours)


def hard_kind(run: RunRecord) -> tuple[HardKind, float] | None:
    """Say why a run was hard and how many hours to wait after it; None for an easy run."""
    context = run.context(run.at)
    if run.run_type in MARATHON_TYPES or (run.distance_km or 0.0) >= MARATHON_KM:
        return HardKind.MARATHON, MARATHON_HOURS
    if context.is_long_race:
        return HardKind.LONG_RACE, LONG_RACE_HOURS
    if context.is_long_run:
        return HardKind.LONG_RUN, HARD_RUN_HOURS
    if run.run_type in NAMED_RACES:
        return HardKind.RACE, HARD_RUN_HOURS
    if run.run_type in (RunType.TEMPO, RunType.INTERVALS):
        return HardKind.SESSION, HARD_RUN_HOURS
    found = run_load(run)
    if (
        found is not None
        and found[1] is not LoadMethod.ASSUMED
        and run.duration_s
        and found[0] / (run.duration_s / 60) >= HARD_LOAD_PER_MINUTE
    ):
        return HardKind.INTENSE, HARD_RUN_HOURS
    return None


def _after_runs(runs: Iterable[RunRecord], now: datetime) -> Wait | None:
    """Return the longest rest still owed after a recent hard run."""
    longest: Wait | None = None
    for run in runs:
        age_h = (now - run.at).total_seconds() / 3600
        found = hard_kind(run) if age_h >= 0 else None
        if found is None:
            continue
        kind, rest = found
        left = math.ceil(rest - age_h)
        if left > 0 and (longest is None or left > longest.hours):
            longest = Wait(Limit.AFTER_RUN, left, run, kind)
    return longest


def _after_soreness(soreness: int | None, soreness_at: datetime | None, now: datetime) -> int:
    if soreness is None or soreness < SORE_LEVEL:
        return 0
    rest = VERY_SORE_HOURS if soreness >= VERY_SORE_LEVEL else SORE_HOURS
    since = 0.0 if soreness_at is None else max(0.0, (now - soreness_at).total_seconds() / 3600)
    return max(0, math.ceil(rest - since))


def when_hard_again(
    runs: Iterable[RunRecord],
    soreness: int | None,
    health: HealthState,
    now: datetime,
    tz: tzinfo,
    soreness_at: datetime | None = None,
) -> HardAgain:
    """Say in how many hours a hard session is sensible; an active red flag always says not yet.

    `soreness_at` is when the soreness was reported; without it the soreness is taken as now.
    """
    _check_soreness(soreness)
    if soreness_at is not None and soreness_at.tzinfo is None:
        raise InvalidContextError("soreness_at must be timezone-aware")
    runs = tuple(runs)
    fitness = fitness_now(runs, now, tz)
    running = decide(health, RunRequest())  # the one safety gate says whether to run at all
    if not running.allowed:
        return HardAgain(
            hours=None,
            refusal=running.reason,
            red_flag_advice=red_flag_advice(health, soreness),
            fitness=fitness,
            soreness=soreness,
        )
    today = fitness.today
    waits = [Wait(Limit.FORM, hours_until_form(today.fatigue, today.fitness))]
    after = _after_runs(runs, now)
    if after is not None:
        waits.append(after)
    waits.append(Wait(Limit.SORENESS, _after_soreness(soreness, soreness_at, now)))
    waits = sorted((w for w in waits if w.hours > 0), key=lambda w: -w.hours)
    hours = waits[0].hours if waits else 0
    return HardAgain(
        hours=hours,
        waits=tuple(waits),
        fitness=fitness,
        soreness=soreness,
        until=now + timedelta(hours=hours),
    )
