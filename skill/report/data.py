"""What the report shows: twelve weeks of mileage with the 10% cap, training load, the log."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

from routines import RunRecord
from routines.context import DistanceUnit
from routines.fitness import load_series
from routines.week import weekly_km
from skill.errors import SkillError
from skill.history import History
from skill.recovery_log import EntryKind, LogEntry, RecoveryLog

REPORT_WEEKS = 12
SOURCE_NAMES = {"gpx": "a GPX file", "tcx": "a TCX file", "fit": "a FIT file", "strava": "Strava"}


class ReportError(SkillError):
    """The report's data is not valid."""


@dataclass(frozen=True)
class WeekBar:
    """One week's distance and the most the 10% rule allowed it (None before any normal week)."""

    start: date
    km: float
    cap_km: float | None = None

    def __post_init__(self) -> None:
        _check("km", self.km, 0.0)
        if self.cap_km is not None:
            _check("cap_km", self.cap_km, 0.0)

    @property
    def over_cap(self) -> bool:
        """Tell whether the week ran more than its cap."""
        # The tolerance keeps a week of exactly the cap inside it despite float rounding.
        return self.cap_km is not None and self.km > self.cap_km * (1 + 1e-9)


@dataclass(frozen=True)
class DayLoad:
    """One day's training load averages: fitness (42 days), fatigue (7 days), form."""

    day: date
    fatigue: float
    fitness: float
    form: float

    def __post_init__(self) -> None:
        _check("fatigue", self.fatigue, 0.0)
        _check("fitness", self.fitness, 0.0)
        _check("form", self.form, -math.inf)


@dataclass(frozen=True)
class ReportData:
    """Everything the report page shows, in the runner's unit and time zone."""

    runner: str
    unit: DistanceUnit
    generated_at: datetime
    weeks: tuple[WeekBar, ...] = ()
    days: tuple[DayLoad, ...] = ()
    # Newest first.
    log: tuple[LogEntry, ...] = ()
    timezone: tzinfo = UTC

    def __post_init__(self) -> None:
        if self.generated_at.tzinfo is None:
            raise ReportError("generated_at must be timezone-aware")
        starts = [week.start for week in self.weeks]
        if starts != sorted(set(starts)):
            raise ReportError("weeks must be given oldest first, one bar per week")
        days = [load.day for load in self.days]
        if days != sorted(set(days)):
            raise ReportError("days must be given oldest first, one per day")
        object.__setattr__(
            self, "log", tuple(sorted(self.log, key=lambda entry: entry.at, reverse=True))
        )

    @property
    def has_runs(self) -> bool:
        """Tell whether there is any mileage or load to chart."""
        return any(week.km > 0 for week in self.weeks) or bool(self.days)


def weekly_bars(runs: Iterable[RunRecord], now: datetime, tz: tzinfo) -> tuple[WeekBar, ...]:
    """Return the chart's weeks: the 7-day weeks ending now, oldest first, with the 10% cap."""
    return tuple(
        WeekBar(week.start.astimezone(tz).date(), week.km, week.cap_km)
        for week in weekly_km(tuple(runs), now, REPORT_WEEKS)
    )


def daily_loads(runs: Iterable[RunRecord], now: datetime, tz: tzinfo) -> tuple[DayLoad, ...]:
    """Return fatigue, fitness and form for each day of the chart's twelve weeks."""
    series = load_series(tuple(runs), now, tz, REPORT_WEEKS * 7)
    if not any(point.fitness > 0 for point in series):
        return ()  # no run has a load: the page says so instead of drawing flat lines
    return tuple(DayLoad(point.day, point.fatigue, point.fitness, point.form) for point in series)


def run_entry(run: RunRecord, unit: DistanceUnit) -> LogEntry:
    """Describe a run for the log ("10.2 km from Strava, 52 min, average heart rate 150")."""
    parts = []
    if run.distance_km is not None:
        parts.append(f"{unit.from_km(run.distance_km):.1f} {unit.value}")
    if run.run_type is not None:
        parts.append(run.run_type.value.replace("_", " "))
    what = " ".join(parts) or "A run"
    where = f" from {SOURCE_NAMES.get(run.source, run.source)}" if run.source else " (said)"
    details = []
    if run.duration_s is not None:
        details.append(f"{round(run.duration_s / 60)} min")
    if run.avg_hr is not None:
        details.append(f"average heart rate {round(run.avg_hr)}")
    if run.load is not None:
        details.append(f"load {round(run.load)}")
    text = f"Run: {what}{where}" + (f", {', '.join(details)}" if details else "")
    return LogEntry(run.at, EntryKind.RUN, text)


def build_report_data(
    history: History,
    recovery_log: RecoveryLog,
    now: datetime,
    tz: tzinfo,
    runner: str,
    unit: DistanceUnit | None = None,
) -> ReportData:
    """Gather a runner's report from their stored runs and recovery log."""
    shown = unit or history.unit or DistanceUnit.KILOMETERS
    runs = tuple(run_entry(run, shown) for run in history.runs)
    return ReportData(
        runner=runner,
        unit=shown,
        generated_at=now,
        weeks=weekly_bars(history.runs, now, tz),
        days=daily_loads(history.runs, now, tz),
        log=(*recovery_log.entries, *runs),
        timezone=tz,
    )


def _check(name: str, value: float, low: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ReportError(f"{name}: {value!r} is not a number")
    if not math.isfinite(value) or value < low:
        raise ReportError(f"{name}: {value!r} must be a finite number of at least {low}")
