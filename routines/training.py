"""Weekly mileage from logged runs, and the 10% rule applied to it without compounding."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from routines.context import (
    MAX_DISTANCE_KM,
    MAX_DURATION_S,
    RACE_DISTANCE_KM,
    RunContext,
    RunType,
    check_range,
)
from routines.errors import InvalidContextError

WEEK = timedelta(days=7)
MAX_WEEKLY_INCREASE = 0.10
# The skill keeps four weeks of runs: enough to see whether last week was a spike too.
WEEKS_OF_HISTORY = 4
NO_TIME = timedelta(0)


@dataclass(frozen=True)
class RunRecord:
    """A run the runner told us about."""

    at: datetime
    distance_km: float | None = None
    duration_s: float | None = None
    run_type: RunType | None = None

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise InvalidContextError("a run's time must be timezone-aware")
        # The same ranges as RunContext's (checked directly: histories hold hundreds of runs).
        check_range("distance_km", self.distance_km, 0.0, MAX_DISTANCE_KM)
        check_range("duration_s", self.duration_s, 0.0, MAX_DURATION_S)
        if self.distance_km is None and self.run_type in RACE_DISTANCE_KM:
            # "I finished a marathon" has no number, but it still counts in the weekly mileage.
            object.__setattr__(self, "distance_km", RACE_DISTANCE_KM[self.run_type])

    def context(self, now: datetime) -> RunContext:
        """Describe this run as seen at `now`."""
        hours = max(0.0, (now - self.at).total_seconds() / 3600)
        return RunContext(
            distance_km=self.distance_km,
            duration_s=self.duration_s,
            run_type=self.run_type,
            hours_since_run=hours,
        )


@dataclass(frozen=True)
class TrainingLoad:
    """Distance run in each of the last four weeks, the last 7 days first."""

    this_week_km: float
    last_week_km: float
    runs_this_week: int
    # The third and fourth weeks back, most recent first: they show whether last week was normal.
    earlier_weeks_km: tuple[float, ...] = ()

    @property
    def weeks_km(self) -> tuple[float, ...]:
        """Return every week's distance, oldest first."""
        return (*reversed(self.earlier_weeks_km), self.last_week_km, self.this_week_km)

    @property
    def baseline_km(self) -> float:
        """Return the latest week that kept to the 10% rule, the one next week grows from."""
        return last_normal_week_km(self.weeks_km)

    @property
    def reference_km(self) -> float:
        """Return the latest normal week before this one, which this week is measured against."""
        return last_normal_week_km(self.weeks_km[:-1])

    @property
    def next_week_cap_km(self) -> float:
        """Return the most the 10% rule allows next week, never built on a spike."""
        return next_week_cap_km(self.weeks_km)

    @property
    def increase(self) -> float | None:
        """Return this week's change over the last normal week as a fraction, if there was one."""
        reference = self.reference_km
        if reference <= 0:
            return None
        return self.this_week_km / reference - 1

    @property
    def over_ten_percent(self) -> bool:
        """Tell whether this week already broke the 10% rule."""
        reference = self.reference_km
        return reference > 0 and not within_ten_percent(self.this_week_km, reference)


def within_ten_percent(week_km: float, base_km: float) -> bool:
    """Tell whether a week is at most 10% more than the base week."""
    # The tolerance keeps exactly 10% (22 after 20) inside the rule despite float rounding.
    return week_km <= base_km * (1 + MAX_WEEKLY_INCREASE) * (1 + 1e-9)


def last_normal_week_km(weeks_km: Sequence[float]) -> float:
    """Return the latest week, of weeks given oldest first, that kept to the 10% rule."""
    baseline = 0.0
    for week in weeks_km:
        if week <= 0:
            # Nothing logged is no evidence either way: the runner may just not have told us.
            continue
        if baseline <= 0 or within_ten_percent(week, baseline):
            baseline = week
        # A spike week is skipped, so the weeks after it are still measured from the last
        # normal one and a spike never compounds.
    return baseline


def next_week_cap_km(weeks_km: Sequence[float]) -> float:
    """Return the most next week may be: 10% over the last normal week, given oldest first."""
    return last_normal_week_km(weeks_km) * (1 + MAX_WEEKLY_INCREASE)


def training_load(runs: Iterable[RunRecord], now: datetime) -> TrainingLoad:
    """Sum the distance of the runs in each of the last four 7-day weeks."""
    weeks = [0.0] * WEEKS_OF_HISTORY
    count = 0
    for run in runs:
        age = now - run.at
        if run.distance_km is None or age < NO_TIME:
            continue
        index = age // WEEK
        if index < WEEKS_OF_HISTORY:
            weeks[index] += run.distance_km
        if index == 0:
            count += 1
    return TrainingLoad(weeks[0], weeks[1], count, tuple(weeks[2:]))
