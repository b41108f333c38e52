"""A run as a watch, a phone or Strava recorded it, and how it becomes a stored run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from routines.context import MAX_DISTANCE_KM, MAX_DURATION_S, check_range
from routines.errors import InvalidContextError
from routines.load import (
    HeartRateProfile,
    LoadMethod,
    easy_seconds_from_samples,
    trimp_from_average,
    trimp_from_samples,
)
from routines.training import SOURCES, RunRecord, check_recording

# Fewer heart-rate samples than this say too little about the run to weigh it by them.
MIN_HEART_RATE_SAMPLES = 10


@dataclass(frozen=True)
class Activity:
    """A recorded run: what a GPX, TCX or FIT file, or a Strava activity, says."""

    start: datetime
    distance_km: float
    moving_s: float
    source: str
    source_id: str
    elapsed_s: float | None = None
    elevation_gain_m: float | None = None
    avg_hr: float | None = None
    max_hr: float | None = None
    cadence_spm: float | None = None
    # (seconds since start, beats per minute), in time order.
    heart_rate: tuple[tuple[float, float], ...] = ()
    name: str | None = None

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise InvalidContextError("an activity's start must be timezone-aware")
        check_range("distance_km", self.distance_km, 0.0, MAX_DISTANCE_KM)
        check_range("moving_s", self.moving_s, 0.0, MAX_DURATION_S)
        check_range("elapsed_s", self.elapsed_s, 0.0, MAX_DURATION_S)
        # RunRecord's ranges, checked here: an activity that cannot become a run is refused
        # where it is read, not inside the write that stores a whole import.
        check_recording(self.elevation_gain_m, self.avg_hr, self.max_hr, self.cadence_spm)
        if self.source is None or self.source not in SOURCES:
            raise InvalidContextError(f"source: {self.source!r} is not a known source")
        if not self.source_id:
            raise InvalidContextError("an activity needs a source_id")

    def to_run(self, profile: HeartRateProfile) -> RunRecord:
        """Return the run to store, its load from heart rate where the recording has it."""
        load: float | None = None
        easy_s: float | None = None
        if len(self.heart_rate) >= MIN_HEART_RATE_SAMPLES:
            load = trimp_from_samples(self.heart_rate, profile)
            easy_s = min(easy_seconds_from_samples(self.heart_rate, profile), self.moving_s)
        elif self.avg_hr is not None and self.moving_s > 0:
            load = trimp_from_average(self.moving_s, self.avg_hr, profile)
        return RunRecord(
            at=self.start,
            distance_km=round(self.distance_km, 3),
            duration_s=round(self.moving_s),
            source=self.source,
            source_id=self.source_id,
            elevation_gain_m=_rounded(self.elevation_gain_m),
            avg_hr=_rounded(self.avg_hr),
            max_hr=_rounded(self.max_hr),
            cadence_spm=_rounded(self.cadence_spm),
            load=None if load is None else round(load, 1),
            load_method=None if load is None else LoadMethod.TRIMP.value,
            easy_s=None if easy_s is None else round(easy_s),
        )


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
