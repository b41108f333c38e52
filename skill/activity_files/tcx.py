"""Read a Garmin Training Center (TCX) activity: laps for the totals, trackpoints for the rest.

Elements are matched by their local names: exporters disagree on namespace prefixes and on
which extension namespace version they write.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from xml.etree.ElementTree import Element

from skill.activity_files.errors import DamagedFileError, NoRecordingError
from skill.activity_files.track import Point, Recording, Totals, steps_per_minute


def read_tcx(root: Element, path: Path) -> Recording:
    """Return the recording of the one activity a TCX document holds."""
    activities = list(_all(root, "Activity"))
    if not activities:
        raise NoRecordingError(path, "it holds no activity")
    if len(activities) > 1:
        raise NoRecordingError(
            path, f"it holds {len(activities)} activities: export each run to a file of its own"
        )
    activity = activities[0]
    laps = list(_children(activity, "Lap"))
    points: list[Point] = []
    untimed = 0
    for lap_number, lap in enumerate(laps, start=1):
        for point in _all(lap, "Trackpoint"):
            time = _child(point, "Time")
            if time is None:
                untimed += 1
                continue
            points.append(_trackpoint(point, _time(time, path, f"lap {lap_number}"), path))
    return Recording(
        tuple(points),
        totals=_totals(activity, laps, path),
        sport=activity.get("Sport"),
        untimed=untimed,
    )


def _totals(activity: Element, laps: list[Element], path: Path) -> Totals:
    """Add up the laps: their time is the watch's timer (auto-pause left out)."""
    timers = [_number(_child(lap, "TotalTimeSeconds"), path) for lap in laps]
    distances = [_number(_child(lap, "DistanceMeters"), path) for lap in laps]
    averages = [_number(_grandchild(lap, "AverageHeartRateBpm", "Value"), path) for lap in laps]
    maxima = [_number(_grandchild(lap, "MaximumHeartRateBpm", "Value"), path) for lap in laps]
    cadences = [_lap_cadence(lap, path) for lap in laps]
    start: datetime | None = None
    identity = _child(activity, "Id")
    if identity is not None and identity.text:
        start = _time(identity, path, "Id")
    elif laps and laps[0].get("StartTime"):
        start = _parse_time(laps[0].get("StartTime", ""), path, "lap 1 StartTime")
    complete_timers = [t for t in timers if t is not None]
    return Totals(
        start=start,
        distance_m=sum(d for d in distances if d is not None) if _all_known(distances) else None,
        timer_s=sum(complete_timers) if _all_known(timers) else None,
        avg_hr=_weighted(averages, timers),
        max_hr=max((m for m in maxima if m is not None), default=None),
        cadence_spm=_weighted(cadences, timers),
    )


def _lap_cadence(lap: Element, path: Path) -> float | None:
    extension = next(_all(lap, "AvgRunCadence"), None)
    if extension is not None:
        return steps_per_minute(_number(extension, path))
    return steps_per_minute(_number(_child(lap, "Cadence"), path))


def _trackpoint(point: Element, at: datetime, path: Path) -> Point:
    position = _child(point, "Position")
    lat = lon = None
    if position is not None:
        lat = _number(_child(position, "LatitudeDegrees"), path)
        lon = _number(_child(position, "LongitudeDegrees"), path)
    # Running cadence is in the TPX extension; <Cadence> is a bike's, but some apps put it there.
    cadence = next(_all(point, "RunCadence"), None)
    if cadence is None:
        cadence = _child(point, "Cadence")
    return Point(
        at=at,
        lat=lat,
        lon=lon,
        altitude_m=_number(_child(point, "AltitudeMeters"), path),
        distance_m=_number(_child(point, "DistanceMeters"), path),
        heart_rate=_number(_grandchild(point, "HeartRateBpm", "Value"), path),
        cadence_spm=steps_per_minute(_number(cadence, path)),
    )


def _local(element: Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _children(element: Element, name: str) -> Iterator[Element]:
    return (child for child in element if _local(child) == name)


def _all(element: Element, name: str) -> Iterator[Element]:
    return (child for child in element.iter() if _local(child) == name)


def _child(element: Element, name: str) -> Element | None:
    return next(_children(element, name), None)


def _grandchild(element: Element, name: str, inner: str) -> Element | None:
    child = _child(element, name)
    return None if child is None else _child(child, inner)


def _number(element: Element | None, path: Path) -> float | None:
    if element is None or element.text is None or not element.text.strip():
        return None
    try:
        return float(element.text)
    except ValueError:
        raise DamagedFileError(
            path, f"<{_local(element)}> holds {element.text.strip()[:40]!r}, not a number"
        ) from None


def _time(element: Element, path: Path, where: str) -> datetime:
    return _parse_time((element.text or "").strip(), path, where)


def _parse_time(text: str, path: Path, where: str) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise DamagedFileError(path, f"{where}: {text[:40]!r} is not a time") from None
    # TCX times are UTC by the schema when they carry no offset.
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _all_known(values: list[float | None]) -> bool:
    return bool(values) and all(value is not None for value in values)


def _weighted(values: list[float | None], weights: list[float | None]) -> float | None:
    pairs = [
        (value, weight)
        for value, weight in zip(values, weights, strict=True)
        if value is not None and weight is not None and weight > 0
    ]
    total = sum(weight for _, weight in pairs)
    if not pairs or total <= 0:
        return None
    return sum(value * weight for value, weight in pairs) / total
