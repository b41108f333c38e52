"""Turn a Strava activity and its streams into the recorded run every source imports."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC
from typing import Any

from routines.activity import Activity
from routines.errors import InvalidContextError
from skill.strava.api import FetchedActivity
from skill.strava.errors import StravaApiError

SOURCE = "strava"
RUN_TYPES = frozenset({"Run", "TrailRun", "VirtualRun"})


def sport_of(detail: Any) -> str | None:
    """Return an activity's sport_type, or its older `type` when it has none."""
    for name in ("sport_type", "type"):
        value = getattr(detail, name, None)
        value = getattr(value, "root", value)
        if value:
            return str(value)
    return None


def is_run(detail: Any) -> bool:
    """Tell whether Strava recorded the activity as a run (road, trail or treadmill/virtual)."""
    return sport_of(detail) in RUN_TYPES


def to_activity(fetched: FetchedActivity) -> Activity:
    """Return the run a Strava activity records; raise StravaApiError if it is not usable."""
    detail = fetched.detail
    if detail.id is None or detail.start_date is None:
        raise StravaApiError("a Strava activity without an id or a start date")
    start = detail.start_date
    # stravalib reads Strava's "...Z" as UTC; a naive time would still be UTC by the API.
    start = start.replace(tzinfo=UTC) if start.tzinfo is None else start.astimezone(UTC)
    moving = detail.moving_time if detail.moving_time is not None else detail.elapsed_time
    cadence = detail.average_cadence
    try:
        return Activity(
            start=start,
            distance_km=float(detail.distance or 0.0) / 1000,
            moving_s=float(moving or 0),
            source=SOURCE,
            source_id=str(detail.id),
            elapsed_s=None if detail.elapsed_time is None else float(detail.elapsed_time),
            elevation_gain_m=_float(detail.total_elevation_gain),
            avg_hr=_float(detail.average_heartrate),
            max_hr=_float(detail.max_heartrate),
            # Strava counts a runner's cadence in strides (one foot) a minute; runners and
            # watches speak of steps (both feet), twice as many.
            cadence_spm=None if cadence is None else float(cadence) * 2,
            heart_rate=heart_rate_samples(fetched.streams),
            name=detail.name,
        )
    except InvalidContextError as error:
        raise StravaApiError(f"activity {detail.id} cannot be a run: {error}") from error


def heart_rate_samples(streams: Mapping[str, Any]) -> tuple[tuple[float, float], ...]:
    """Pair the time and heart-rate streams into (seconds since start, bpm) samples."""
    times = _data(streams.get("time"))
    beats = _data(streams.get("heartrate"))
    return tuple(
        (float(at), float(bpm))
        for at, bpm in zip(times, beats, strict=False)
        if at is not None and bpm is not None and bpm > 0
    )


def _data(stream: Any) -> Sequence[Any]:
    data = getattr(stream, "data", None)
    return data if isinstance(data, Sequence) else ()


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
