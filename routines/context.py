"""Describe a run and how the runner feels after it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

from routines.errors import InvalidContextError

KM_PER_MILE = 1.609344
LONG_RUN_KM = 16.0
LONG_RUN_SECONDS = 90 * 60
# Beyond these a number was misheard: no run is longer (the longest ultras take days).
MAX_DISTANCE_KM = 500.0
MAX_DURATION_S = 7 * 24 * 3600.0


class RunType(StrEnum):
    EASY = "easy"
    LONG = "long"
    TEMPO = "tempo"
    INTERVALS = "intervals"
    TRAIL = "trail"
    RACE = "race"
    FIVE_K = "5k"
    PARKRUN = "parkrun"
    TEN_K = "10k"
    TEN_MILER = "ten_miler"
    HALF_MARATHON = "half_marathon"
    MARATHON = "marathon"
    ULTRA = "ultra"


# Race names carry their distance, so "I finished a half marathon" needs no number.
RACE_DISTANCE_KM: dict[RunType, float] = {
    RunType.FIVE_K: 5.0,
    RunType.PARKRUN: 5.0,
    RunType.TEN_K: 10.0,
    RunType.TEN_MILER: 10 * KM_PER_MILE,
    RunType.HALF_MARATHON: 21.0975,
    RunType.MARATHON: 42.195,
    RunType.ULTRA: 50.0,
}

LONG_RUN_TYPES = frozenset({RunType.LONG, RunType.HALF_MARATHON, RunType.MARATHON, RunType.ULTRA})
# A half marathon or longer, by name or distance, earns a day of rest after it.
LONG_RACE_TYPES = frozenset({RunType.HALF_MARATHON, RunType.MARATHON, RunType.ULTRA})
LONG_RACE_KM = RACE_DISTANCE_KM[RunType.HALF_MARATHON]
# "Right now" and "within 30 minutes" only make sense this soon after the run.
FRESH_RUN_HOURS = 3.0


class BodyArea(StrEnum):
    CALVES = "calves"
    HAMSTRINGS = "hamstrings"
    QUADS = "quads"
    HIPS = "hips"
    HIP_FLEXORS = "hip_flexors"
    GLUTES = "glutes"
    LOWER_BACK = "lower_back"
    IT_BAND = "it_band"
    SHINS = "shins"
    KNEES = "knees"
    ANKLES = "ankles"
    FEET = "feet"
    LEGS = "legs"


# Areas that take in others: an injured leg rules out calf stretches, a hip the glutes.
REGIONS: dict[BodyArea, frozenset[BodyArea]] = {
    BodyArea.LEGS: frozenset(
        {
            BodyArea.CALVES,
            BodyArea.HAMSTRINGS,
            BodyArea.QUADS,
            BodyArea.SHINS,
            BodyArea.KNEES,
            BodyArea.ANKLES,
            BodyArea.FEET,
            BodyArea.IT_BAND,
        }
    ),
    BodyArea.HIPS: frozenset({BodyArea.HIP_FLEXORS, BodyArea.GLUTES}),
}


def overlaps(area: BodyArea, others: frozenset[BodyArea]) -> bool:
    """Tell whether any of `others` is `area` or a part of it (an injured leg: any leg part)."""
    return any(other is area or other in REGIONS.get(area, ()) for other in others)


class PainFlag(StrEnum):
    """A sign the runner reports; all but CANT_WALK_STAIRS are red flags (routines.health)."""

    SHARP = "sharp"
    LOCALISED = "localised"
    SWELLING = "swelling"
    LASTING_DAYS = "lasting_days"
    CANT_BEAR_WEIGHT = "cant_bear_weight"
    DARK_URINE = "dark_urine"
    CHEST_PAIN = "chest_pain"
    FAINTING = "fainting"
    NUMBNESS = "numbness"
    CANT_WALK_STAIRS = "cant_walk_stairs"


class DistanceUnit(StrEnum):
    KILOMETERS = "km"
    MILES = "mi"

    def to_km(self, value: float) -> float:
        """Convert a distance in this unit to kilometres."""
        return value * KM_PER_MILE if self is DistanceUnit.MILES else value

    def from_km(self, km: float) -> float:
        """Convert kilometres to this unit."""
        return km / KM_PER_MILE if self is DistanceUnit.MILES else km


@dataclass(frozen=True)
class RunContext:
    """What we know about the latest run; every field is optional."""

    distance_km: float | None = None
    duration_s: float | None = None
    run_type: RunType | None = None
    soreness: int | None = None
    sore_areas: frozenset[BodyArea] = field(default_factory=frozenset)
    hours_since_run: float | None = None
    pain_flags: frozenset[PainFlag] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        check_range("distance_km", self.distance_km, 0.0, MAX_DISTANCE_KM)
        check_range("duration_s", self.duration_s, 0.0, MAX_DURATION_S)
        check_range("hours_since_run", self.hours_since_run, 0.0, 24 * 365.0)
        if self.soreness is not None and (
            isinstance(self.soreness, bool)
            or not isinstance(self.soreness, int)
            or not 0 <= self.soreness <= 10
        ):
            raise InvalidContextError(
                f"soreness must be a whole number 0-10, got {self.soreness!r}"
            )
        if self.distance_km is None and self.run_type in RACE_DISTANCE_KM:
            object.__setattr__(self, "distance_km", RACE_DISTANCE_KM[self.run_type])

    @cached_property
    def is_long_run(self) -> bool:
        """Tell whether this was a long run or a long race."""
        return (
            self.run_type in LONG_RUN_TYPES
            or (self.distance_km is not None and self.distance_km >= LONG_RUN_KM)
            or (self.duration_s is not None and self.duration_s >= LONG_RUN_SECONDS)
        )

    @cached_property
    def is_long_race(self) -> bool:
        """Tell whether this was a half marathon or longer."""
        return self.run_type in LONG_RACE_TYPES or (
            self.distance_km is not None and self.distance_km >= LONG_RACE_KM
        )

    @cached_property
    def just_finished(self) -> bool:
        """Tell whether the run ended a few hours ago at most (or its time is unknown)."""
        return self.hours_since_run is None or self.hours_since_run < FRESH_RUN_HOURS

    @cached_property
    def is_hard_run(self) -> bool:
        """Tell whether the run was long or intense."""
        return self.is_long_run or self.run_type in {
            RunType.RACE,
            RunType.TEMPO,
            RunType.INTERVALS,
        }


def check_range(name: str, value: float | None, low: float, high: float) -> None:
    """Refuse a value that is not a finite number within low..high (None passes)."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidContextError(f"{name} must be a number, got {value!r}")
    if not low <= value <= high:
        raise InvalidContextError(f"{name} must be between {low:g} and {high:g}, got {value:g}")
