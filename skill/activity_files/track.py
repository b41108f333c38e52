"""What a recording holds, and the run it describes: distance, moving time, climb, heart rate."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise

# Slower than this between two points is standing still (a light, a drink): 0.5 m/s is
# 33 minutes per kilometre, slower than any walk up a trail.
STOPPED_SPEED_MS = 0.5
# Without distance or position, a gap longer than this between points is a pause.
MAX_GAP_S = 30.0
# Altitude must climb this much from the last low before it counts: GPS and barometers wander.
CLIMB_THRESHOLD_M = 3.0
# Faster than this on average is not a run (a ride, a drive): the marathon record is ~21 km/h.
MAX_RUNNING_KMH = 25.0
# Running cadence is per leg in FIT, TCX and Garmin's GPX extension (strides per minute, ~80-95);
# a value above this is already steps per minute (some apps write it so), not strides.
MAX_STRIDES_PER_MIN = 120.0
HEART_RATE_RANGE = (20.0, 250.0)
EARTH_RADIUS_M = 6_371_008.8
# Sports a recording may name that are not running (GPX <type>, TCX Sport, FIT sport).
NOT_RUNNING = (
    "cycl",
    "bik",
    "ride",
    "swim",
    "walk",
    "hik",
    "row",
    "ski",
    "skat",
    "paddl",
    "kayak",
    "canoe",
    "golf",
    "tennis",
    "yoga",
    "strength",
    "training",
    "fitness",
    "elliptical",
    "multisport",
    "transition",
)


@dataclass(frozen=True, slots=True)
class Point:
    """One sample of a recording; every value but the time is optional."""

    at: datetime
    lat: float | None = None
    lon: float | None = None
    altitude_m: float | None = None
    # Cumulative, as the device measured it (a foot pod or the watch's filtered GPS).
    distance_m: float | None = None
    heart_rate: float | None = None
    cadence_spm: float | None = None


@dataclass(frozen=True)
class Totals:
    """What a file states about the whole run (a FIT session, TCX laps), each part optional."""

    start: datetime | None = None
    distance_m: float | None = None
    # The device's timer: moving time, pauses left out.
    timer_s: float | None = None
    elapsed_s: float | None = None
    ascent_m: float | None = None
    avg_hr: float | None = None
    max_hr: float | None = None
    cadence_spm: float | None = None


@dataclass(frozen=True)
class Recording:
    """A parsed file: its points, its stated totals, and the sport it names."""

    points: tuple[Point, ...]
    totals: Totals = field(default_factory=Totals)
    sport: str | None = None
    name: str | None = None
    # Points left out for having no time (a route drawn on a map has none).
    untimed: int = 0


@dataclass(frozen=True)
class Summary:
    """The run a recording describes, before it becomes an Activity."""

    start: datetime
    distance_km: float
    moving_s: float
    elapsed_s: float | None
    elevation_gain_m: float | None
    avg_hr: float | None
    max_hr: float | None
    cadence_spm: float | None
    heart_rate: tuple[tuple[float, float], ...]


class RecordingProblem(Exception):
    """A recording that cannot be a run; the reader names the file."""


class EmptyRecording(RecordingProblem):
    """No track points (or none with a time) to measure a run by."""


class ImplausibleRecording(RecordingProblem):
    """The recording describes what no run can be."""


def steps_per_minute(cadence: float | None) -> float | None:
    """Return a running cadence in steps per minute from per-leg strides (or steps already)."""
    if cadence is None or cadence <= 0:
        return None
    return cadence * 2 if cadence <= MAX_STRIDES_PER_MIN else cadence


def is_running(sport: str | None) -> bool:
    """Tell whether a sport a recording names can be a run (unnamed or generic can)."""
    if sport is None:
        return True
    word = sport.strip().lower()
    if "run" in word:
        return True
    return not any(part in word for part in NOT_RUNNING)


def summarise(recording: Recording) -> Summary:
    """Work out the run from what the file states, computing whatever it leaves out."""
    points = tuple(sorted(recording.points, key=lambda point: point.at))
    totals = recording.totals
    if len(points) < 2 and (totals.start is None or totals.timer_s is None):
        if not points and recording.untimed:
            raise EmptyRecording(
                "its track points have no timestamps: it is a route, not a recorded run"
            )
        if not points:
            raise EmptyRecording("it has no track points")
        raise EmptyRecording("it has only one track point: there is no run to measure")
    start = totals.start or points[0].at
    elapsed = totals.elapsed_s
    if elapsed is None and points:
        elapsed = (points[-1].at - points[0].at).total_seconds()
    distance_m = _first(totals.distance_m, _recorded_distance(points), _track_length(points))
    moving = totals.timer_s if totals.timer_s is not None else moving_seconds(points)
    samples = tuple(
        ((point.at - start).total_seconds(), point.heart_rate)
        for point in points
        if point.heart_rate is not None and _plausible_heart_rate(point.heart_rate)
    )
    avg_hr = totals.avg_hr if totals.avg_hr is not None else _time_weighted(samples)
    max_hr = totals.max_hr
    if max_hr is None and samples:
        max_hr = max(bpm for _, bpm in samples)
    cadence = totals.cadence_spm
    if cadence is None:
        cadence = _time_weighted(
            tuple(
                ((point.at - start).total_seconds(), point.cadence_spm)
                for point in points
                if point.cadence_spm is not None and point.cadence_spm > 0
            )
        )
    ascent = totals.ascent_m
    if ascent is None:
        ascent = elevation_gain([p.altitude_m for p in points if p.altitude_m is not None])
    distance_km = (distance_m or 0.0) / 1000
    if moving > 0 and distance_km / (moving / 3600) > MAX_RUNNING_KMH:
        raise ImplausibleRecording(
            f"{distance_km:.1f} km in {moving / 60:.0f} minutes is "
            f"{distance_km / (moving / 3600):.0f} km/h, faster than anyone runs"
        )
    return Summary(
        start=start,
        distance_km=distance_km,
        moving_s=moving,
        elapsed_s=elapsed,
        elevation_gain_m=ascent,
        avg_hr=avg_hr,
        max_hr=max_hr,
        cadence_spm=cadence,
        heart_rate=samples,
    )


def moving_seconds(points: Sequence[Point]) -> float:
    """Return the seconds spent moving: stops (too slow, or a gap with no position) left out."""
    moving = 0.0
    for a, b in pairwise(points):
        seconds = (b.at - a.at).total_seconds()
        if seconds <= 0:
            continue
        metres = _segment_metres(a, b)
        if metres is None:
            if seconds <= MAX_GAP_S:
                moving += seconds
        elif metres / seconds >= STOPPED_SPEED_MS:
            moving += seconds
    return moving


def elevation_gain(altitudes: Sequence[float]) -> float | None:
    """Return the metres climbed, counting a climb once it rises CLIMB_THRESHOLD_M off a low."""
    if not altitudes:
        return None
    gain = 0.0
    reference = altitudes[0]
    for altitude in altitudes[1:]:
        if altitude - reference >= CLIMB_THRESHOLD_M:
            gain += altitude - reference
            reference = altitude
        elif reference - altitude >= CLIMB_THRESHOLD_M:
            reference = altitude
    return gain


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Return the great-circle distance in metres between two positions."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _segment_metres(a: Point, b: Point) -> float | None:
    if a.distance_m is not None and b.distance_m is not None:
        return max(0.0, b.distance_m - a.distance_m)
    here, there = _position(a), _position(b)
    if here is None or there is None:
        return None
    return haversine_m(*here, *there)


def _recorded_distance(points: Sequence[Point]) -> float | None:
    recorded = [point.distance_m for point in points if point.distance_m is not None]
    return max(recorded) if recorded else None


def _track_length(points: Sequence[Point]) -> float | None:
    placed = [position for position in map(_position, points) if position is not None]
    if len(placed) < 2:
        return None
    return sum(haversine_m(*a, *b) for a, b in pairwise(placed))


def _position(point: Point) -> tuple[float, float] | None:
    if point.lat is None or point.lon is None:
        return None
    return point.lat, point.lon


def _time_weighted(samples: Sequence[tuple[float, float]]) -> float | None:
    """Average samples by the time each holds (to the next, gaps cut): smart recording is uneven."""
    if not samples:
        return None
    if len(samples) == 1:
        return samples[0][1]
    weighted = [
        (value, min(later - at, MAX_GAP_S)) for (at, value), (later, _) in pairwise(samples)
    ]
    total = sum(seconds for _, seconds in weighted)
    if total <= 0:
        return sum(value for _, value in samples) / len(samples)
    return sum(value * seconds for value, seconds in weighted) / total


def _plausible_heart_rate(bpm: float) -> bool:
    # A strap losing contact reads 0 or 255: a sample, not the run, is wrong.
    return HEART_RATE_RANGE[0] <= bpm <= HEART_RATE_RANGE[1]


def _first(*values: float | None) -> float | None:
    return next((value for value in values if value is not None), None)
