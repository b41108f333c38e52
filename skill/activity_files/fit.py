"""Read a FIT activity (Garmin, Coros, Suunto, Wahoo watches) with fitdecode."""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import fitdecode

from skill.activity_files.errors import DamagedFileError, NoRecordingError, NotARunError
from skill.activity_files.track import Point, Recording, Totals, is_running, steps_per_minute

# A FIT position is in semicircles: 2^31 of them make 180 degrees.
SEMICIRCLE_DEGREES = 180 / 2**31
ACTIVITY_FILE = "activity"
RECORD_FIELDS = (
    "timestamp",
    "position_lat",
    "position_long",
    "enhanced_altitude",
    "altitude",
    "distance",
    "heart_rate",
    "cadence",
    "fractional_cadence",
)
SESSION_FIELDS = (
    "sport",
    "start_time",
    "total_elapsed_time",
    "total_timer_time",
    "total_distance",
    "total_ascent",
    "avg_heart_rate",
    "max_heart_rate",
    "avg_cadence",
    "avg_fractional_cadence",
)


def is_fit(data: bytes) -> bool:
    """Tell whether bytes start with a FIT file header."""
    return len(data) >= 12 and data[0] in (12, 14) and data[8:12] == b".FIT"


def read_fit(data: bytes, path: Path) -> Recording:
    """Return the recording of a FIT activity file, its checksums checked."""
    file_type: Any = None
    sessions: list[dict[str, Any]] = []
    points: list[Point] = []
    try:
        with fitdecode.FitReader(
            io.BytesIO(data),
            check_crc=fitdecode.CrcCheck.RAISE,
            error_handling=fitdecode.ErrorHandling.RAISE,
        ) as reader:
            for frame in reader:
                if frame.frame_type != fitdecode.FIT_FRAME_DATA:
                    continue
                if frame.name == "file_id" and file_type is None:
                    file_type = _value(frame, "type")
                elif frame.name == "session":
                    sessions.append(_values(frame, SESSION_FIELDS))
                elif frame.name == "record":
                    point = _point(_values(frame, RECORD_FIELDS))
                    if point is not None:
                        points.append(point)
    except fitdecode.FitCRCError as exc:
        raise DamagedFileError(
            path, "its checksum does not match: the file is damaged or was cut short"
        ) from exc
    except fitdecode.FitEOFError as exc:
        raise DamagedFileError(path, "it ends early: the file was cut short") from exc
    except fitdecode.FitHeaderError as exc:
        raise DamagedFileError(path, "its FIT header is damaged") from exc
    except (fitdecode.FitError, ValueError, KeyError, IndexError) as exc:
        # fitdecode raises plain errors on some malformed messages too.
        raise DamagedFileError(path, "it is damaged: its messages cannot be decoded") from exc
    if file_type is not None and file_type != ACTIVITY_FILE:
        raise NoRecordingError(path, f"it is a FIT {file_type} file, not a recorded activity")
    return Recording(tuple(points), _totals(sessions, path), sport=_sport(sessions, path))


def _sport(sessions: list[dict[str, Any]], path: Path) -> str | None:
    sports = [str(session["sport"]) for session in sessions if session.get("sport") is not None]
    if len(sessions) > 1:
        named = f" ({', '.join(sports)})" if sports else ""
        raise NotARunError(
            path,
            f"it holds {len(sessions)} sessions{named}, a multisport recording: "
            "only a recording of one run can be imported",
        )
    return sports[0] if sports else None


def _totals(sessions: list[dict[str, Any]], path: Path) -> Totals:
    if not sessions:
        # A watch that crashed or a file cut at a message boundary: the records still tell.
        return Totals()
    session = sessions[0]
    start = session.get("start_time")
    cadence = session.get("avg_cadence")
    if cadence is not None:
        cadence = cadence + (session.get("avg_fractional_cadence") or 0)
    if not is_running(_str(session.get("sport"))):
        raise NotARunError(path, f"it is a {session['sport']} recording, not a run")
    return Totals(
        start=start if isinstance(start, datetime) else None,
        distance_m=_float(session.get("total_distance")),
        timer_s=_float(session.get("total_timer_time")),
        elapsed_s=_float(session.get("total_elapsed_time")),
        ascent_m=_float(session.get("total_ascent")),
        avg_hr=_float(session.get("avg_heart_rate")),
        max_hr=_float(session.get("max_heart_rate")),
        cadence_spm=steps_per_minute(_float(cadence)),
    )


def _point(values: Mapping[str, Any]) -> Point | None:
    at = values.get("timestamp")
    if not isinstance(at, datetime):
        return None
    lat, lon = values.get("position_lat"), values.get("position_long")
    altitude = values.get("enhanced_altitude")
    if altitude is None:
        altitude = values.get("altitude")
    cadence = values.get("cadence")
    if cadence is not None:
        cadence = cadence + (values.get("fractional_cadence") or 0)
    return Point(
        at=at,
        lat=None if lat is None else lat * SEMICIRCLE_DEGREES,
        lon=None if lon is None else lon * SEMICIRCLE_DEGREES,
        altitude_m=_float(altitude),
        distance_m=_float(values.get("distance")),
        heart_rate=_float(values.get("heart_rate")),
        cadence_spm=steps_per_minute(_float(cadence)),
    )


def _value(frame: Any, name: str) -> Any:
    return frame.get_value(name, fallback=None) if frame.has_field(name) else None


def _values(frame: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: _value(frame, name) for name in names}


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _str(value: Any) -> str | None:
    return None if value is None else str(value)
