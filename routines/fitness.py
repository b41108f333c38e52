"""Fatigue, fitness and form: exponentially weighted averages of the daily training load.

Banister's impulse-response model, as TrainingPeaks uses it: fatigue is the load averaged over
about a week (time constant 7 days), fitness over about six weeks (42 days), and form is
fitness - fatigue. Each day, in the runner's own calendar days:

    x_today = x_yesterday + (load_today - x_yesterday) * (1 - e^(-1/tau))

This is the exact daily step of a continuous decay e^(-t/tau), so the same model says how form
recovers hour by hour with no further training (used for "when can I run hard again?"). The
TrainingPeaks 1/tau variant steps by 1/7 = 0.143 instead of 1 - e^(-1/7) = 0.133 (and 0.0238 vs
0.0235 for fitness): a few percent apart, and then the hourly projection would not match it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

from routines.errors import InvalidContextError
from routines.load import LoadMethod, run_load
from routines.training import RunRecord

FATIGUE_DAYS = 7.0
FITNESS_DAYS = 42.0
FATIGUE_STEP = 1 - math.exp(-1 / FATIGUE_DAYS)
FITNESS_STEP = 1 - math.exp(-1 / FITNESS_DAYS)
# Twelve weeks: what the skill keeps, and twice the fitness time constant, so it has settled.
SERIES_DAYS = 84
# Form is judged against fitness, counted as at least this (about four easy hours a week in
# TRIMP units): otherwise a first run, against a fitness near zero, would look like a deep hole.
FITNESS_FLOOR = 40.0
# The usual bands of form as a percentage of fitness (TrainingPeaks' TSB, as intervals.icu
# scales it): above +5% fresh, -10% to +5% neutral, -30% to -10% productive training,
# below -30% high risk.
FRESH_PCT = 5.0
NEUTRAL_PCT = -10.0
HIGH_RISK_PCT = -30.0
# The projection looks this far ahead at most; form always recovers well within it.
MAX_PROJECTION_HOURS = 21 * 24


@dataclass(frozen=True)
class LoadPoint:
    """One day: that day's load, and fatigue, fitness and form at its end."""

    day: date
    load: float
    fatigue: float
    fitness: float
    form: float = field(init=False)

    def __post_init__(self) -> None:
        for name in ("load", "fatigue", "fitness"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise InvalidContextError(f"{name} must be a finite number >= 0, got {value!r}")
        object.__setattr__(self, "form", self.fitness - self.fatigue)

    @property
    def form_pct(self) -> float:
        """Return form as a percentage of fitness (fitness counted as at least FITNESS_FLOOR)."""
        return form_pct(self.fatigue, self.fitness)


@dataclass(frozen=True)
class Fitness:
    """Today's point and what it was computed from."""

    today: LoadPoint
    weighed_runs: int
    # Runs with no load, effort or time: they count for nothing.
    unweighed_runs: int
    # The runs whose load came from each method (heart rate, effort, assumed).
    methods: tuple[tuple[LoadMethod, int], ...]
    # The first day with a run in the series, or None when there is none.
    first_day: date | None

    @property
    def days_of_data(self) -> int:
        """Return how many days the runs cover, up to today."""
        return 0 if self.first_day is None else (self.today.day - self.first_day).days + 1

    @property
    def settled(self) -> bool:
        """Tell whether the runs cover a fitness time constant, so fitness means something."""
        return self.days_of_data >= FITNESS_DAYS

    @property
    def estimated(self) -> bool:
        """Tell whether any load was assumed from the run's type rather than measured or said."""
        return any(method is LoadMethod.ASSUMED for method, _ in self.methods)


def form_pct(fatigue: float, fitness: float) -> float:
    """Return form as a percentage of fitness, fitness counted as at least FITNESS_FLOOR."""
    return (fitness - fatigue) / max(fitness, FITNESS_FLOOR) * 100


def local_day(moment: datetime, tz: tzinfo) -> date:
    """Return the runner's calendar day of a moment."""
    return moment.astimezone(tz).date()


def _check_now(now: datetime) -> None:
    if now.tzinfo is None:
        raise InvalidContextError("now must be timezone-aware")


def daily_loads(runs: Iterable[RunRecord], now: datetime, tz: tzinfo) -> dict[date, float]:
    """Sum the loads of the runs up to `now` by the runner's local day (unweighed runs add 0)."""
    _check_now(now)
    loads: dict[date, float] = {}
    for run in runs:
        found = run_load(run)
        if run.at > now or found is None:
            continue
        day = local_day(run.at, tz)
        loads[day] = loads.get(day, 0.0) + found[0]
    return loads


def load_series(
    runs: Iterable[RunRecord], now: datetime, tz: tzinfo, days: int = SERIES_DAYS
) -> tuple[LoadPoint, ...]:
    """Return the last `days` days, oldest first, today last; older runs still count."""
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise InvalidContextError(f"days must be a whole number >= 1, got {days!r}")
    loads = daily_loads(runs, now, tz)
    today = local_day(now, tz)
    first = today - timedelta(days=days - 1)
    day = min([first, *loads])
    fatigue = fitness = 0.0
    points: list[LoadPoint] = []
    while day <= today:
        load = loads.get(day, 0.0)
        fatigue += (load - fatigue) * FATIGUE_STEP
        fitness += (load - fitness) * FITNESS_STEP
        if day >= first:
            points.append(LoadPoint(day, load, fatigue, fitness))
        day += timedelta(days=1)
    return tuple(points)


def fitness_now(runs: Iterable[RunRecord], now: datetime, tz: tzinfo) -> Fitness:
    """Return today's fatigue, fitness and form, and which runs they rest on."""
    runs = tuple(run for run in runs if run.at <= now)
    counts: dict[LoadMethod, int] = {}
    unweighed = 0
    for run in runs:
        found = run_load(run)
        if found is None:
            unweighed += 1
        else:
            counts[found[1]] = counts.get(found[1], 0) + 1
    weighed_days = [local_day(run.at, tz) for run in runs if run_load(run) is not None]
    return Fitness(
        today=load_series(runs, now, tz, days=1)[-1],
        weighed_runs=sum(counts.values()),
        unweighed_runs=unweighed,
        methods=tuple((method, counts[method]) for method in LoadMethod if method in counts),
        first_day=min(weighed_days, default=None),
    )


def projected(fatigue: float, fitness: float, hours: float) -> tuple[float, float]:
    """Return fatigue and fitness `hours` from now with no further training."""
    return (
        fatigue * math.exp(-hours / (FATIGUE_DAYS * 24)),
        fitness * math.exp(-hours / (FITNESS_DAYS * 24)),
    )


def hours_until_form(fatigue: float, fitness: float, min_pct: float = HIGH_RISK_PCT) -> int:
    """Return the whole hours, with no further training, until form is at least `min_pct`."""
    for hours in range(MAX_PROJECTION_HOURS + 1):
        if form_pct(*projected(fatigue, fitness, hours)) >= min_pct:
            return hours
    return MAX_PROJECTION_HOURS
