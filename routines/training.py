"""Weekly mileage from logged runs, and the 10% rule applied to it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from routines.context import RACE_DISTANCE_KM, RunContext, RunType
from routines.errors import InvalidContextError

WEEK = timedelta(days=7)
MAX_WEEKLY_INCREASE = 0.10


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
        # RunContext owns the range checks; building one validates the fields.
        RunContext(distance_km=self.distance_km, duration_s=self.duration_s)
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
    """Distance run in the last seven days and the seven before."""

    this_week_km: float
    last_week_km: float
    runs_this_week: int

    @property
    def next_week_cap_km(self) -> float:
        """Return the most the 10% rule allows next week."""
        return self.this_week_km * (1 + MAX_WEEKLY_INCREASE)

    @property
    def increase(self) -> float | None:
        """Return this week's change over last week as a fraction, if last week had runs."""
        if self.last_week_km <= 0:
            return None
        return self.this_week_km / self.last_week_km - 1

    @property
    def over_ten_percent(self) -> bool:
        """Tell whether this week already broke the 10% rule."""
        increase = self.increase
        return increase is not None and increase > MAX_WEEKLY_INCREASE


def training_load(runs: Iterable[RunRecord], now: datetime) -> TrainingLoad:
    """Sum the distance of the runs in the last 7 days and the 7 days before."""
    this_week = last_week = 0.0
    count = 0
    for run in runs:
        age = now - run.at
        if run.distance_km is None or age < timedelta(0):
            continue
        if age < WEEK:
            this_week += run.distance_km
            count += 1
        elif age < 2 * WEEK:
            last_week += run.distance_km
    return TrainingLoad(this_week, last_week, count)
