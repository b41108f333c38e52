"""How much of the running was easy (the articles' 80% easy), from heart rate or from pace.

A run recorded with heart rate brings its easy seconds (time below 70% of heart-rate reserve,
counted at import). Any other run is judged whole: a tempo, interval or race run is hard and an
easy or long run easy, as the runner named it; otherwise it is easy when its pace is no more
than 5% faster than the runner's typical pace, the median pace of their last four weeks. That
is an estimate: most runs of someone who keeps 80% easy are easy, so their median pace is an
easy pace, and hard sessions average clearly faster.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from routines.context import RACE_DISTANCE_KM, RunType
from routines.errors import InvalidContextError
from routines.training import RunRecord

EASY_SHARE_DAYS = 28
TYPICAL_PACE_DAYS = 28
# A run this much faster than the typical pace is no longer easy.
EASY_PACE_MARGIN = 0.05
EASY_GOAL = 0.80
HARD_TYPES = frozenset({RunType.TEMPO, RunType.INTERVALS, RunType.RACE, *RACE_DISTANCE_KM})
EASY_TYPES = frozenset({RunType.EASY, RunType.LONG})


class EasyBasis(StrEnum):
    """What the easy share was judged from."""

    HEART_RATE = "heart rate"
    # Pace, or the run type the runner named.
    PACE = "pace"
    MIXED = "mixed"
    NONE = "none"


@dataclass(frozen=True)
class EasyShare:
    """The share of running time that was easy, and what it rests on."""

    easy_s: float
    counted_s: float
    basis: EasyBasis
    runs_by_heart_rate: int = 0
    runs_by_pace: int = 0
    # Runs with no time, or no pace to judge by: left out of the share.
    runs_left_out: int = 0
    # The median pace the pace rule compared with, seconds per kilometre.
    typical_pace_s_per_km: float | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.easy_s <= self.counted_s * (1 + 1e-9):
            raise InvalidContextError(
                f"easy_s must be between 0 and counted_s ({self.counted_s:g}), got {self.easy_s:g}"
            )

    @property
    def share(self) -> float | None:
        """Return the easy fraction of the counted time, or None when no time was counted."""
        return self.easy_s / self.counted_s if self.counted_s > 0 else None


def pace_s_per_km(run: RunRecord) -> float | None:
    """Return a run's average pace, or None without both distance and time."""
    if not run.distance_km or not run.duration_s:
        return None
    return run.duration_s / run.distance_km


def typical_pace(runs: Iterable[RunRecord], now: datetime) -> float | None:
    """Return the median pace of the runs of the last four weeks, seconds per kilometre."""
    paces = [
        pace
        for run in _within(runs, now, TYPICAL_PACE_DAYS)
        if (pace := pace_s_per_km(run)) is not None
    ]
    return statistics.median(paces) if paces else None


def _within(runs: Iterable[RunRecord], now: datetime, days: int) -> list[RunRecord]:
    if now.tzinfo is None:
        raise InvalidContextError("now must be timezone-aware")
    return [run for run in runs if timedelta(0) <= now - run.at < timedelta(days=days)]


def easy_share(runs: Iterable[RunRecord], now: datetime, days: int = EASY_SHARE_DAYS) -> EasyShare:
    """Return the easy share of the last `days` days of running (the typical pace from 28)."""
    runs = tuple(runs)
    typical = typical_pace(runs, now)
    easy = counted = 0.0
    by_hr = by_pace = left_out = 0
    for run in _within(runs, now, days):
        duration = run.duration_s or 0.0
        if duration <= 0:
            left_out += 1
        elif run.easy_s is not None:
            by_hr += 1
            easy += min(run.easy_s, duration)
            counted += duration
        elif (verdict := _easy_by_pace(run, typical)) is not None:
            by_pace += 1
            easy += duration if verdict else 0.0
            counted += duration
        else:
            left_out += 1
    basis = (
        EasyBasis.MIXED
        if by_hr and by_pace
        else EasyBasis.HEART_RATE
        if by_hr
        else EasyBasis.PACE
        if by_pace
        else EasyBasis.NONE
    )
    return EasyShare(easy, counted, basis, by_hr, by_pace, left_out, typical)


def _easy_by_pace(run: RunRecord, typical: float | None) -> bool | None:
    """Judge a whole run easy or hard by its named type, else its pace; None when neither."""
    if run.run_type in HARD_TYPES:
        return False
    if run.run_type in EASY_TYPES:
        return True
    pace = pace_s_per_km(run)
    if pace is None or typical is None:
        return None
    return pace >= typical * (1 - EASY_PACE_MARGIN)
