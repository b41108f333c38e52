"""Weekly mileage from logged runs, and the 10% rule applied to it without compounding."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

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
# Beyond these a device or a file got it wrong.
MAX_ELEVATION_M = 20_000.0
MAX_HEART_RATE = 250.0
MAX_CADENCE = 300.0
MAX_LOAD = 5_000.0
LOAD_METHODS = frozenset({None, "trimp", "srpe"})
SOURCES = frozenset({None, "gpx", "tcx", "fit", "strava"})
MAX_WEEKLY_INCREASE = 0.10
# The skill keeps four weeks of runs: enough to see whether last week was a spike too.
WEEKS_OF_HISTORY = 4
NO_TIME = timedelta(0)


def check_recording(
    elevation_gain_m: float | None,
    avg_hr: float | None,
    max_hr: float | None,
    cadence_spm: float | None,
) -> None:
    """Refuse what no device could have recorded of a run (None passes)."""
    check_range("elevation_gain_m", elevation_gain_m, 0.0, MAX_ELEVATION_M)
    check_range("avg_hr", avg_hr, 20.0, MAX_HEART_RATE)
    check_range("max_hr", max_hr, 20.0, MAX_HEART_RATE)
    check_range("cadence_spm", cadence_spm, 0.0, MAX_CADENCE)


@dataclass(frozen=True)
class RunRecord:
    """A run the runner told us about."""

    at: datetime
    distance_km: float | None = None
    # Moving time where a device recorded it.
    duration_s: float | None = None
    run_type: RunType | None = None
    # Where the run came from: None when the runner said it, else "gpx", "tcx", "fit", "strava".
    source: str | None = None
    # The file's digest or the Strava activity id: the same run imported twice is stored once.
    source_id: str | None = None
    elevation_gain_m: float | None = None
    avg_hr: float | None = None
    max_hr: float | None = None
    cadence_spm: float | None = None
    # How hard it felt, 1 to 10, when the runner said so.
    rpe: int | None = None
    # The run's training load and how it was computed ("trimp" or "srpe"; see routines.load).
    load: float | None = None
    load_method: str | None = None
    # Seconds spent at an easy effort, from heart rate or pace (the articles' 80% easy).
    easy_s: float | None = None
    # The stored form this run was read from: written back as it was, unless the run changed
    # (replace() builds a new run without it). Histories hold hundreds of runs per request.
    _stored: Mapping[str, Any] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise InvalidContextError("a run's time must be timezone-aware")
        # The same ranges as RunContext's, checked directly and only where there is a value.
        if self.distance_km is not None:
            check_range("distance_km", self.distance_km, 0.0, MAX_DISTANCE_KM)
        if self.duration_s is not None:
            check_range("duration_s", self.duration_s, 0.0, MAX_DURATION_S)
        if not (
            self.source is None
            and self.rpe is None
            and self.load is None
            and self.load_method is None
            and self.avg_hr is None
            and self.max_hr is None
            and self.cadence_spm is None
            and self.elevation_gain_m is None
            and self.easy_s is None
        ):
            self._check_recorded()
        if self.distance_km is None and self.run_type in RACE_DISTANCE_KM:
            # "I finished a marathon" has no number, but it still counts in the weekly mileage.
            object.__setattr__(self, "distance_km", RACE_DISTANCE_KM[self.run_type])

    def _check_recorded(self) -> None:
        """Check what a device or the runner's rating added to the run."""
        check_recording(self.elevation_gain_m, self.avg_hr, self.max_hr, self.cadence_spm)
        check_range("load", self.load, 0.0, MAX_LOAD)
        check_range("easy_s", self.easy_s, 0.0, MAX_DURATION_S)
        if self.rpe is not None and not (
            isinstance(self.rpe, int) and not isinstance(self.rpe, bool) and 1 <= self.rpe <= 10
        ):
            raise InvalidContextError(f"rpe: {self.rpe!r} is not a whole number from 1 to 10")
        if self.load_method not in LOAD_METHODS:
            raise InvalidContextError(
                f"load_method: {self.load_method!r} is not one of trimp, srpe"
            )
        if self.source not in SOURCES:
            raise InvalidContextError(f"source: {self.source!r} is not a known source")

    @property
    def imported(self) -> bool:
        """Tell whether a watch, a phone or Strava recorded this run (not the runner's words)."""
        return self.source is not None

    def to_dict(self) -> dict[str, Any]:
        """Return the run as JSON-ready data, leaving out what is unknown."""
        if self._stored is not None:
            return dict(self._stored)
        data: dict[str, Any] = {"at": self.at.isoformat()}
        for name in STORED_FIELDS:
            value = getattr(self, name)
            if value is not None:
                data[name] = value.value if isinstance(value, RunType) else value
        return data

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> RunRecord:
        """Read a run written by to_dict (raises RoutinesError, KeyError, TypeError, ValueError)."""
        values = {name: raw[name] for name in raw.keys() & STORED_NAMES}
        if values.get("run_type"):
            values["run_type"] = RunType(values["run_type"])
        run = cls(at=datetime.fromisoformat(raw["at"]), **values)
        object.__setattr__(run, "_stored", raw)
        return run

    def context(self, now: datetime) -> RunContext:
        """Describe this run as seen at `now`."""
        hours = max(0.0, (now - self.at).total_seconds() / 3600)
        return RunContext(
            distance_km=self.distance_km,
            duration_s=self.duration_s,
            run_type=self.run_type,
            hours_since_run=hours,
        )


STORED_FIELDS = tuple(
    name for name, spec in RunRecord.__dataclass_fields__.items() if spec.init and name != "at"
)
STORED_NAMES = frozenset(STORED_FIELDS)


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
