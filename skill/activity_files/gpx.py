"""Read a GPX track (a watch's or a phone's export) with gpxpy."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from xml.etree.ElementTree import Element

import gpxpy
import gpxpy.gpx

from skill.activity_files.errors import DamagedFileError
from skill.activity_files.track import Point, Recording, steps_per_minute

# Garmin's TrackPointExtension (v1 and v2) and the names other apps use for the same values.
HEART_RATE_TAGS = frozenset({"hr", "heartrate"})
CADENCE_TAGS = frozenset({"cad", "cadence", "runcadence"})


def read_gpx(text: str, path: Path) -> Recording:
    """Return the recording a GPX document holds (every track and segment, in time order)."""
    try:
        document = gpxpy.parse(text)
    except gpxpy.gpx.GPXException as exc:
        raise DamagedFileError(path, f"not a valid GPX document ({_first_line(exc)})") from exc
    points: list[Point] = []
    sport = None
    name = None
    untimed = 0
    for track in document.tracks:
        sport = sport or track.type
        name = name or track.name
        for segment in track.segments:
            for point in segment.points:
                if point.time is None:
                    untimed += 1
                else:
                    points.append(_point(point, point.time))
    return Recording(tuple(points), sport=sport, name=name, untimed=untimed)


def _point(point: gpxpy.gpx.GPXTrackPoint, at: datetime) -> Point:
    heart_rate: float | None = None
    cadence: float | None = None
    for extension in point.extensions:
        for element in extension.iter():
            tag = _local(element).lower()
            if tag in HEART_RATE_TAGS:
                heart_rate = _number(element)
            elif tag in CADENCE_TAGS:
                cadence = _number(element)
    if at.tzinfo is None:
        # GPX times are UTC by the schema; gpxpy leaves a time without "Z" naive.
        at = at.replace(tzinfo=UTC)
    return Point(
        at=at,
        lat=point.latitude,
        lon=point.longitude,
        altitude_m=point.elevation,
        heart_rate=heart_rate,
        cadence_spm=steps_per_minute(cadence),
    )


def _local(element: Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _number(element: Element) -> float | None:
    try:
        return float((element.text or "").strip())
    except ValueError:
        # One unreadable sensor value is a lost sample, not a broken run.
        return None


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
