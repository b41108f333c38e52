"""Reading GPX, TCX and FIT files: each format's fields, and a clear error for each bad file."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import fitdecode
import pytest
from activity_file_support import START, Run, fit_bytes, gpx_text, tcx_text, write

from skill.activity_files import (
    ActivityFileError,
    DamagedFileError,
    ImplausibleValueError,
    NoRecordingError,
    NotARunError,
    UnknownFormatError,
    UnreadableFileError,
    read_activity,
)

RUN = Run()  # 30 minutes at 3 m/s: 5.4 km, 40 m up and down, cadence 85 strides (170 steps)


def test_the_fit_writer_writes_files_fitdecode_reads_with_checked_crcs() -> None:
    data = fit_bytes(RUN)
    names = []
    with fitdecode.FitReader(io.BytesIO(data), check_crc=fitdecode.CrcCheck.RAISE) as reader:
        for frame in reader:
            if frame.frame_type == fitdecode.FIT_FRAME_DATA:
                names.append(frame.name)
            if frame.frame_type == fitdecode.FIT_FRAME_CRC:
                assert frame.matched
    assert names[0] == "file_id" and names[-1] == "session" and names.count("record") == 361


def test_gpx_gives_distance_time_climb_heart_rate_and_cadence(tmp_path: Path) -> None:
    path = write(tmp_path / "run.gpx", gpx_text(RUN))
    activity = read_activity(path)
    assert activity.source == "gpx"
    assert activity.source_id == hashlib.sha256(path.read_bytes()).hexdigest()
    assert activity.start == START
    assert activity.distance_km == pytest.approx(5.4, rel=0.01)
    assert activity.moving_s == 1800
    assert activity.elevation_gain_m == pytest.approx(40, abs=3)
    assert activity.avg_hr == pytest.approx(149.5, abs=0.5)
    assert activity.max_hr == 159
    assert activity.cadence_spm == 170
    assert len(activity.heart_rate) == 361
    assert activity.name == "Morning Run"


def test_gpx_moving_time_leaves_out_a_pause(tmp_path: Path) -> None:
    activity = read_activity(write(tmp_path / "run.gpx", gpx_text(Run(pause_s=300))))
    # The 5 s sample interval spanning the pause counts as pause: 15 m in 305 s is standing.
    assert activity.moving_s == 1795
    assert activity.elapsed_s == 2100


def test_tcx_gives_lap_totals_and_trackpoints(tmp_path: Path) -> None:
    activity = read_activity(write(tmp_path / "run.tcx", tcx_text(Run(pause_s=120))))
    assert activity.source == "tcx"
    assert activity.start == START
    # The laps' timer and distance (the gap between the laps is no lap's time).
    assert activity.moving_s == pytest.approx(1795)
    assert activity.distance_km == pytest.approx(5.385, abs=0.001)
    assert (activity.avg_hr, activity.max_hr) == (150, 159)
    # RunCadence is per leg: stored as steps per minute.
    assert activity.cadence_spm == 170
    assert activity.elevation_gain_m == pytest.approx(40, abs=3)


def test_fit_gives_the_session_totals_and_record_heart_rate(tmp_path: Path) -> None:
    activity = read_activity(write(tmp_path / "run.fit", fit_bytes(Run(pause_s=300))))
    assert activity.source == "fit"
    assert activity.start == START
    assert activity.distance_km == pytest.approx(5.4)
    assert (activity.moving_s, activity.elapsed_s) == (1800, 2100)
    assert activity.elevation_gain_m == 41
    assert (activity.avg_hr, activity.max_hr) == (149, 159)
    # The session's avg_cadence (86 strides per leg), not the records' 85.
    assert activity.cadence_spm == 172
    assert len(activity.heart_rate) == 361
    assert activity.heart_rate[0] == (0.0, 140.0)


def test_fit_without_a_session_is_measured_from_its_records(tmp_path: Path) -> None:
    activity = read_activity(
        write(tmp_path / "run.fit", fit_bytes(Run(pause_s=300), session=False))
    )
    assert activity.distance_km == pytest.approx(5.4)
    assert activity.moving_s == 1795
    assert activity.cadence_spm == 170
    assert activity.elevation_gain_m == pytest.approx(40, abs=3)


@pytest.mark.parametrize("name", ["run.gpx.gz", "run.tcx.gz", "run.fit.gz"])
def test_gzipped_files_as_strava_exports_have_them(tmp_path: Path, name: str) -> None:
    content = {"gpx": gpx_text(RUN), "tcx": tcx_text(RUN), "fit": fit_bytes(RUN)}[name[4:7]]
    plain = read_activity(write(tmp_path / name.removesuffix(".gz"), content))
    zipped = read_activity(write(tmp_path / name, content, gzipped=True))
    assert zipped == plain


def _fit_with_bad_crc() -> bytes:
    data = bytearray(fit_bytes(RUN))
    data[40] ^= 0xFF
    return bytes(data)


@pytest.mark.parametrize(
    ("name", "content", "error", "problem"),
    [
        ("empty.gpx", b"", UnreadableFileError, "it is empty"),
        ("notes.gpx", b"my run notes", UnknownFormatError, "not a GPX, TCX or FIT file"),
        ("other.tcx", b"<html><body/></html>", UnknownFormatError, "XML of another kind"),
        ("broken.gpx", gpx_text(RUN)[:500].encode(), DamagedFileError, "XML is malformed"),
        ("crc.fit", _fit_with_bad_crc(), DamagedFileError, "checksum does not match"),
        ("cut.fit", fit_bytes(RUN)[:3000], DamagedFileError, "cut short"),
        ("text.fit", b"not fit at all", DamagedFileError, "no FIT header"),
        (
            "route.gpx",
            gpx_text(RUN, timed=False).encode(),
            NoRecordingError,
            "no timestamps",
        ),
        (
            "nothing.gpx",
            b'<gpx xmlns="http://www.topografix.com/GPX/1/1" version="1.1"><trk/></gpx>',
            NoRecordingError,
            "no track points",
        ),
        (
            "bomb.gpx",
            b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY a "aaaa">]><gpx>&a;</gpx>',
            DamagedFileError,
            "entities",
        ),
        ("ride.gpx", gpx_text(RUN, sport="cycling").encode(), NotARunError, "cycling"),
        ("ride.tcx", tcx_text(RUN, sport="Biking").encode(), NotARunError, "Biking"),
        ("swim.fit", fit_bytes(RUN, sport="swimming"), NotARunError, "swimming"),
        ("car.gpx", gpx_text(Run(pace_m_s=15.0)).encode(), ImplausibleValueError, "km/h"),
        (
            "hr.tcx",
            tcx_text(RUN).replace("<Value>159</Value>", "<Value>400</Value>").encode(),
            ImplausibleValueError,
            "max_hr",
        ),
        (
            "nan.tcx",
            tcx_text(RUN).replace("<AltitudeMeters>", "<AltitudeMeters>x", 1).encode(),
            DamagedFileError,
            "not a number",
        ),
    ],
)
def test_a_bad_file_names_the_file_and_the_problem(
    tmp_path: Path, name: str, content: bytes, error: type[ActivityFileError], problem: str
) -> None:
    path = write(tmp_path / name, content)
    with pytest.raises(error) as raised:
        read_activity(path)
    assert str(raised.value).startswith(f"{path}: ")
    assert problem in raised.value.problem


def test_missing_and_folder_paths_are_unreadable(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError, match="no such file"):
        read_activity(tmp_path / "gone.fit")
    with pytest.raises(UnreadableFileError, match="a folder"):
        read_activity(tmp_path)
