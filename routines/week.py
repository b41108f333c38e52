"""The runner's week in numbers, and twelve weeks of mileage against the 10% rule.

Weeks are the 7-day stretches ending now, as in routines.training, whose 10% rule (never built
on a spike) every figure here reuses: this week against the last normal week before it, and
next week's cap.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from routines.easy_share import EasyShare, easy_share
from routines.errors import InvalidContextError
from routines.fitness import LoadPoint, fitness_now
from routines.load import run_load
from routines.training import (
    WEEK,
    WEEKS_OF_HISTORY,
    RunRecord,
    TrainingLoad,
    next_week_cap_km,
    training_load,
)

CHART_WEEKS = 12


@dataclass(frozen=True)
class WeekTotals:
    """What one 7-day week added up to."""

    runs: int = 0
    km: float = 0.0
    moving_s: float = 0.0
    elevation_m: float = 0.0
    load: float = 0.0
    # Runs with no load, effort or time: left out of `load`.
    unweighed_runs: int = 0


def week_index(run: RunRecord, now: datetime) -> int | None:
    """Return how many whole weeks before `now` a run was (0: the last 7 days); None if later."""
    age = now - run.at
    return None if age < timedelta(0) else age // WEEK


def week_totals(runs: Iterable[RunRecord], now: datetime, index: int = 0) -> WeekTotals:
    """Add up the runs of one week, `index` weeks back (0: the last 7 days)."""
    if now.tzinfo is None:
        raise InvalidContextError("now must be timezone-aware")
    count = unweighed = 0
    km = moving = climb = load = 0.0
    for run in runs:
        if week_index(run, now) != index:
            continue
        count += 1
        km += run.distance_km or 0.0
        moving += run.duration_s or 0.0
        climb += run.elevation_gain_m or 0.0
        found = run_load(run)
        if found is None:
            unweighed += 1
        else:
            load += found[0]
    return WeekTotals(count, km, moving, climb, load, unweighed)


@dataclass(frozen=True)
class WeekSummary:
    """The last 7 days against the 7 before, with the 10% rule and today's form."""

    this_week: WeekTotals
    last_week: WeekTotals
    easy: EasyShare
    training: TrainingLoad
    today: LoadPoint
    # Whether there is any run at all, in any week: "no runs" is a different answer.
    any_runs: bool

    @property
    def km_change(self) -> float | None:
        """Return this week's distance change over last week's as a fraction, if it had any."""
        last = self.last_week.km
        return None if last <= 0 else self.this_week.km / last - 1


def week_summary(runs: Iterable[RunRecord], now: datetime, tz: tzinfo) -> WeekSummary:
    """Sum up the last 7 days: runs, distance, time, climb, load, easy share, form."""
    runs = tuple(run for run in runs if run.at <= now)
    return WeekSummary(
        this_week=week_totals(runs, now, 0),
        last_week=week_totals(runs, now, 1),
        easy=easy_share(runs, now, days=7),
        training=training_load(runs, now),
        today=fitness_now(runs, now, tz).today,
        any_runs=bool(runs),
    )


@dataclass(frozen=True)
class WeekKm:
    """One week of the chart: when it started, its distance, and the 10% cap that applied."""

    start: datetime
    km: float
    # The cap from the weeks before it (as TrainingLoad counts them); None with no base.
    cap_km: float | None

    @property
    def over(self) -> bool:
        """Tell whether the week went over the cap that applied to it."""
        return self.cap_km is not None and self.km > self.cap_km * (1 + 1e-9)


def weekly_km(
    runs: Iterable[RunRecord], now: datetime, weeks: int = CHART_WEEKS
) -> tuple[WeekKm, ...]:
    """Return the distance of each of the last `weeks` weeks, oldest first, with its cap."""
    if isinstance(weeks, bool) or not isinstance(weeks, int) or weeks < 1:
        raise InvalidContextError(f"weeks must be a whole number >= 1, got {weeks!r}")
    if now.tzinfo is None:
        raise InvalidContextError("now must be timezone-aware")
    # Three more weeks than shown, so the oldest shown week has its cap too.
    span = weeks + WEEKS_OF_HISTORY - 1
    totals = [0.0] * span
    for run in runs:
        index = week_index(run, now)
        if index is not None and index < span and run.distance_km is not None:
            totals[index] += run.distance_km
    oldest_first = totals[::-1]
    chart: list[WeekKm] = []
    for position in range(WEEKS_OF_HISTORY - 1, span):
        before = oldest_first[position - WEEKS_OF_HISTORY + 1 : position]
        cap = next_week_cap_km(before)
        chart.append(
            WeekKm(
                start=now - WEEK * (span - position),
                km=oldest_first[position],
                cap_km=cap if cap > 0 else None,
            )
        )
    return tuple(chart)
