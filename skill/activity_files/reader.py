"""Read an activity file of any supported format (plain or gzipped) into an Activity."""

from __future__ import annotations

import hashlib
import zlib
from pathlib import Path
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from routines.activity import Activity
from routines.errors import InvalidContextError
from skill.activity_files.errors import (
    DamagedFileError,
    ImplausibleValueError,
    NoRecordingError,
    NotARunError,
    UnknownFormatError,
    UnreadableFileError,
)
from skill.activity_files.fit import is_fit, read_fit
from skill.activity_files.gpx import read_gpx
from skill.activity_files.tcx import read_tcx
from skill.activity_files.track import (
    EmptyRecording,
    ImplausibleRecording,
    Recording,
    is_running,
    summarise,
)

SUFFIXES = (".gpx", ".tcx", ".fit")
GZIP_MAGIC = b"\x1f\x8b"
# Larger than any run's recording (a 24-hour FIT file is a few MB): refuse before reading it.
MAX_FILE_BYTES = 64 * 1024 * 1024


def is_activity_file(path: Path) -> bool:
    """Tell whether a file's name says it is an activity file (.gpx, .tcx, .fit, or .gz of one)."""
    name = path.name.lower()
    name = name.removesuffix(".gz")
    return name.endswith(SUFFIXES) and not path.name.startswith(".")


def read_activity(path: Path) -> Activity:
    """Return the run an activity file records; raise ActivityFileError naming what is wrong."""
    data = _contents(path)
    # The digest of the recording itself: the same run gzipped or not is one run.
    digest = hashlib.sha256(data).hexdigest()
    source, recording = _recording(data, path)
    if not is_running(recording.sport):
        raise NotARunError(path, f"it is a {recording.sport} recording, not a run")
    try:
        summary = summarise(recording)
    except EmptyRecording as exc:
        raise NoRecordingError(path, str(exc)) from exc
    except ImplausibleRecording as exc:
        raise ImplausibleValueError(path, str(exc)) from exc
    try:
        return Activity(
            start=summary.start,
            distance_km=summary.distance_km,
            moving_s=summary.moving_s,
            source=source,
            source_id=digest,
            elapsed_s=summary.elapsed_s,
            elevation_gain_m=summary.elevation_gain_m,
            avg_hr=summary.avg_hr,
            max_hr=summary.max_hr,
            cadence_spm=summary.cadence_spm,
            heart_rate=summary.heart_rate,
            name=recording.name,
        )
    except InvalidContextError as exc:
        raise ImplausibleValueError(path, f"implausible recording: {exc}") from exc


def _contents(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise UnreadableFileError(path, "it is too large to be one run's recording")
        data = path.read_bytes()
    except IsADirectoryError as exc:
        raise UnreadableFileError(path, "it is a folder, not a file") from exc
    except FileNotFoundError as exc:
        raise UnreadableFileError(path, "no such file") from exc
    except OSError as exc:
        raise UnreadableFileError(path, f"cannot read it ({exc.strerror or exc})") from exc
    if data.startswith(GZIP_MAGIC):
        try:
            # Bounded: a small .gz must not inflate into gigabytes.
            decompressor = zlib.decompressobj(wbits=31)
            data = decompressor.decompress(data, MAX_FILE_BYTES)
            if decompressor.unconsumed_tail:
                raise UnreadableFileError(path, "it unpacks to more than any run's recording")
            if not decompressor.eof:
                raise DamagedFileError(path, "its gzip data is cut short")
        except zlib.error as exc:
            raise DamagedFileError(path, "its gzip data is damaged") from exc
    if not data.strip():
        raise UnreadableFileError(path, "it is empty")
    return data


def _recording(data: bytes, path: Path) -> tuple[str, Recording]:
    """Tell the format by content (a name can lie), and parse it."""
    if is_fit(data):
        return "fit", read_fit(data, path)
    if path.name.lower().removesuffix(".gz").endswith(".fit"):
        raise DamagedFileError(path, "it has no FIT header: the file is damaged or not FIT")
    root = _xml(data, path)
    kind = root.tag.rsplit("}", 1)[-1]
    if kind == "gpx":
        return "gpx", read_gpx(data.decode("utf-8", errors="replace"), path)
    if kind == "TrainingCenterDatabase":
        return "tcx", read_tcx(root, path)
    raise UnknownFormatError(path, f"it is XML of another kind (<{kind}>), not GPX or TCX")


def _xml(data: bytes, path: Path) -> Element:
    if not data.lstrip().startswith(b"<"):
        raise UnknownFormatError(path, "it is not a GPX, TCX or FIT file")
    try:
        return fromstring(data)
    except DefusedXmlException as exc:
        raise DamagedFileError(path, "it declares XML entities, which are refused") from exc
    except ParseError as exc:
        line, column = getattr(exc, "position", (None, None))
        where = f" at line {line}, column {column}" if line is not None else ""
        raise DamagedFileError(path, f"its XML is malformed{where}") from exc
