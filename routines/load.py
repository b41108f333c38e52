"""Training load of one run: heart-rate TRIMP, or session RPE when only effort is known.

Banister's TRIMP weights each minute by the heart-rate reserve it was run at:
    minutes x HRr x 0.64 x e^(1.92 x HRr),  HRr = (HR - rest) / (max - rest)
(the generic coefficients; the female ones, 0.86 and 1.67, differ by a few percent at running
intensities). Foster's session RPE is minutes x RPE (1-10). The two scales differ: an easy
hour at HRr 0.6 is about 73 TRIMP and about 180-240 RPE units, so RPE loads are brought to TRIMP
units by SRPE_TO_TRIMP before they are added up (an estimate; the data says which method).
A run with neither (a spoken run with only its time) gets an ASSUMED load: its minutes at the
effort its type usually takes (an easy run RPE 3, a tempo run 6): a rougher estimate, named so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from itertools import pairwise

from routines.context import RunType
from routines.errors import InvalidContextError
from routines.training import RunRecord

TRIMP_A = 0.64
TRIMP_B = 1.92
# Session-RPE units per TRIMP unit: an easy hour (RPE 3-4) ~ 200 RPE units ~ 73 TRIMP.
SRPE_TO_TRIMP = 1 / 2.75
# A gap in a heart-rate recording longer than this is a pause, not effort.
MAX_SAMPLE_GAP_S = 30.0
# Easy running tops out around 80% of heart-rate reserve... measured as HRr below this.
EASY_HRR = 0.70


class LoadMethod(StrEnum):
    TRIMP = "trimp"
    SRPE = "srpe"
    # Computed when asked, never stored: the effort is assumed from the run's type.
    ASSUMED = "assumed"


# The effort (RPE) a run of each type usually takes, for runs whose effort nobody said.
ASSUMED_RPE: dict[RunType | None, int] = {
    None: 4,
    RunType.EASY: 3,
    RunType.LONG: 4,
    RunType.TRAIL: 4,
    RunType.TEMPO: 6,
    RunType.INTERVALS: 7,
    RunType.RACE: 8,
    # Races up to ten miles are run near flat out; longer ones are paced a little below it.
    RunType.FIVE_K: 8,
    RunType.PARKRUN: 8,
    RunType.TEN_K: 8,
    RunType.TEN_MILER: 8,
    RunType.HALF_MARATHON: 7,
    RunType.MARATHON: 7,
    RunType.ULTRA: 6,
}


@dataclass(frozen=True)
class HeartRateProfile:
    """The runner's resting and maximum heart rate, which TRIMP is measured against."""

    rest_bpm: float = 60.0
    max_bpm: float = 190.0

    def __post_init__(self) -> None:
        if not 25 <= self.rest_bpm <= 120:
            raise InvalidContextError(f"rest_bpm must be 25 to 120, got {self.rest_bpm:g}")
        if not 100 <= self.max_bpm <= 240:
            raise InvalidContextError(f"max_bpm must be 100 to 240, got {self.max_bpm:g}")
        if self.max_bpm - self.rest_bpm < 40:
            raise InvalidContextError("max_bpm must be at least 40 above rest_bpm")

    def reserve(self, bpm: float) -> float:
        """Return the heart-rate reserve fraction of `bpm`, clamped to 0..1."""
        return min(1.0, max(0.0, (bpm - self.rest_bpm) / (self.max_bpm - self.rest_bpm)))


def trimp_per_minute(bpm: float, profile: HeartRateProfile) -> float:
    """Return Banister's TRIMP for one minute at `bpm`."""
    hrr = profile.reserve(bpm)
    return hrr * TRIMP_A * math.exp(TRIMP_B * hrr)


def trimp_from_average(duration_s: float, avg_bpm: float, profile: HeartRateProfile) -> float:
    """Return TRIMP for a run known only by its duration and average heart rate."""
    return duration_s / 60 * trimp_per_minute(avg_bpm, profile)


def _segments(samples: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Pair each sample's heart rate with the seconds until the next (gaps cut to pauses)."""
    ordered = sorted(samples)
    return [
        (bpm, min(later - at, MAX_SAMPLE_GAP_S))
        for (at, bpm), (later, _) in pairwise(ordered)
        if later > at
    ]


def trimp_from_samples(samples: Sequence[tuple[float, float]], profile: HeartRateProfile) -> float:
    """Return TRIMP from (seconds since start, bpm) samples."""
    return sum(seconds / 60 * trimp_per_minute(bpm, profile) for bpm, seconds in _segments(samples))


def easy_seconds_from_samples(
    samples: Sequence[tuple[float, float]], profile: HeartRateProfile
) -> float:
    """Return the seconds spent at an easy effort (heart-rate reserve below EASY_HRR)."""
    return sum(seconds for bpm, seconds in _segments(samples) if profile.reserve(bpm) < EASY_HRR)


def srpe_load(duration_s: float, rpe: int) -> float:
    """Return session-RPE load in TRIMP units: minutes x RPE, scaled."""
    if not 1 <= rpe <= 10:
        raise InvalidContextError(f"rpe must be 1 to 10, got {rpe}")
    return duration_s / 60 * rpe * SRPE_TO_TRIMP


def run_load(run: RunRecord) -> tuple[float, LoadMethod] | None:
    """Return a run's load and how it was found: stored, from its effort, or assumed; else None."""
    if run.load is not None:
        # Both stored methods are in TRIMP units, so a load stored without its method still adds up.
        return run.load, LoadMethod(run.load_method or LoadMethod.TRIMP)
    if run.duration_s is None or run.duration_s <= 0:
        return None
    if run.rpe is not None:
        return srpe_load(run.duration_s, run.rpe), LoadMethod.SRPE
    return srpe_load(run.duration_s, ASSUMED_RPE[run.run_type]), LoadMethod.ASSUMED


def with_effort(run: RunRecord, rpe: int) -> RunRecord:
    """Return the run rated `rpe` (1-10); without a heart-rate load, its load is session RPE."""
    if run.load_method == LoadMethod.TRIMP or run.duration_s is None:
        return replace(run, rpe=rpe)
    load = round(srpe_load(run.duration_s, rpe), 1)
    return replace(run, rpe=rpe, load=load, load_method=LoadMethod.SRPE.value)
