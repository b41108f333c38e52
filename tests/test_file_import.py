"""recovery-coach import: runs from files stored once per run, per Alexa user, in real SQLite."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from activity_file_support import START, Run, fit_bytes, gpx_text, tcx_text, write
from click.testing import CliRunner

from routines.load import HeartRateProfile
from routines.training import RunRecord
from skill.cli import main
from skill.errors import SettingsError
from skill.file_import import FileOutcome, Outcome, import_files
from skill.history import History
from skill.import_watch import FolderWatch
from skill.persistence import SQLitePersistenceAdapter
from skill.settings import load_settings

USER = "amzn1.ask.account.RUNNER"
OTHER = "amzn1.ask.account.OTHER"
PROFILE = HeartRateProfile()


@pytest.fixture
def store(tmp_path: Path) -> SQLitePersistenceAdapter:
    return SQLitePersistenceAdapter(tmp_path / "skill.sqlite3")


def runs(store: SQLitePersistenceAdapter, user: str = USER) -> tuple[RunRecord, ...]:
    return History.from_attributes(store.read_user(user)).runs


def test_the_same_run_as_gpx_and_fit_is_stored_once(
    tmp_path: Path, store: SQLitePersistenceAdapter
) -> None:
    fit = write(tmp_path / "watch.fit", fit_bytes(RUN))
    gpx = write(tmp_path / "phone.gpx", gpx_text(RUN))
    outcomes = import_files(store, USER, [fit, gpx], PROFILE)
    assert [o.outcome for o in outcomes] == [Outcome.ADDED, Outcome.ALREADY_STORED]
    (run,) = runs(store)
    assert (run.source, run.avg_hr, run.cadence_spm, run.load_method) == ("fit", 149, 172, "trimp")
    again = import_files(store, USER, [gpx], PROFILE)
    assert [o.outcome for o in again] == [Outcome.ALREADY_STORED]
    assert runs(store) == (run,)


def test_runs_are_per_user(tmp_path: Path, store: SQLitePersistenceAdapter) -> None:
    import_files(store, USER, [write(tmp_path / "a.tcx", tcx_text(RUN))], PROFILE)
    assert len(runs(store)) == 1
    assert runs(store, OTHER) == ()


def test_a_spoken_run_is_replaced_by_its_recording(
    tmp_path: Path, store: SQLitePersistenceAdapter
) -> None:
    spoken = RunRecord(at=START + timedelta(hours=1), distance_km=5.0, rpe=6)
    store.update_user(USER, lambda attributes: History(runs=(spoken,)).to_attributes())
    (outcome,) = import_files(store, USER, [write(tmp_path / "r.fit", fit_bytes(RUN))], PROFILE)
    assert outcome.outcome is Outcome.ADDED and outcome.replaced == spoken
    assert "replaces the run you told Alexa about" in outcome.describe()
    (run,) = runs(store)
    assert (run.source, run.distance_km, run.rpe) == ("fit", 5.4, 6)


def test_good_files_are_stored_and_bad_ones_name_their_problem(
    tmp_path: Path, store: SQLitePersistenceAdapter
) -> None:
    good = write(tmp_path / "good.gpx", gpx_text(RUN))
    bad = write(tmp_path / "bad.fit", fit_bytes(RUN)[:2000])
    later = write(tmp_path / "later.tcx", tcx_text(Run(start=START + timedelta(days=1))))
    outcomes = import_files(store, USER, [good, bad, later], PROFILE)
    assert [o.path for o in outcomes] == [good, bad, later]
    assert [o.outcome for o in outcomes] == [Outcome.ADDED, Outcome.ERROR, Outcome.ADDED]
    assert outcomes[1].describe() == f"error: {bad}: it ends early: the file was cut short"
    assert [run.source for run in runs(store)] == ["gpx", "tcx"]


def test_only_bad_files_store_nothing(tmp_path: Path, store: SQLitePersistenceAdapter) -> None:
    bad = write(tmp_path / "ride.fit", fit_bytes(RUN, sport="cycling"))
    (outcome,) = import_files(store, USER, [bad], PROFILE)
    assert outcome.failed and "not a run" in outcome.describe()
    assert store.read_user(USER) == {}


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("RECOVERY_COACH_DATABASE", str(tmp_path / "cli.sqlite3"))
    monkeypatch.delenv("RECOVERY_COACH_CONFIG", raising=False)
    monkeypatch.delenv("RECOVERY_COACH_DYNAMODB_TABLE", raising=False)
    return CliRunner()


def test_cli_prints_a_line_per_file_and_fails_if_any_failed(cli: CliRunner, tmp_path: Path) -> None:
    good = write(tmp_path / "run.fit", fit_bytes(RUN))
    empty = write(tmp_path / "empty.gpx", "")
    result = cli.invoke(main, ["import", str(good), str(good), str(empty), "--user", USER])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("added Mon 6 Oct") and "5.4 km in 0:30:00, from run.fit" in lines[0]
    assert lines[1].startswith("already stored: run.fit")
    assert lines[2] == f"error: {empty}: it is empty"
    stored = SQLitePersistenceAdapter(tmp_path / "cli.sqlite3")
    assert len(runs(stored)) == 1
    again = cli.invoke(main, ["import", str(good), "--user", USER])
    assert again.exit_code == 0 and again.output.startswith("already stored: run.fit")


def test_cli_takes_a_runner_name_and_heart_rate_from_the_config(
    cli: CliRunner, tmp_path: Path
) -> None:
    config = write(
        tmp_path / "config.yaml",
        f"runners:\n  alex:\n    user_id: {USER}\n    rest_bpm: 45\n    max_bpm: 185\n",
    )
    path = write(tmp_path / "run.tcx", tcx_text(RUN))
    result = cli.invoke(main, ["import", str(path), "--user", "alex", "--config", str(config)])
    assert result.exit_code == 0, result.output
    (stored,) = runs(SQLitePersistenceAdapter(tmp_path / "cli.sqlite3"))
    default = import_files(
        SQLitePersistenceAdapter(tmp_path / "default.sqlite3"), USER, [path], PROFILE
    )
    # The runner's own heart rate weighs the run differently from the defaults.
    assert default[0].run is not None and stored.load != default[0].run.load
    unknown = cli.invoke(main, ["import", str(path), "--user", "alx", "--config", str(config)])
    assert unknown.exit_code == 1 and "'alx': not a runner named under runners: (alex)" in (
        unknown.output
    )


def test_cli_refuses_an_impossible_heart_rate_profile(cli: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path / "run.gpx", gpx_text(RUN))
    result = cli.invoke(main, ["import", str(path), "--user", USER, "--max-hr", "300"])
    assert result.exit_code == 1 and "max_bpm must be 100 to 240" in result.output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("runners:\n  alex:\n    user_id: 7\n", "config.yaml:3: runners.alex.user_id"),
        ("runners:\n  alex:\n    rest_bpm: 50\n", "runners.alex.user_id: is required"),
        ("runners:\n  alex:\n    user_id: u\n    maxbpm: 1\n", "runners.alex.maxbpm: unknown key"),
        (
            "runners:\n  alex:\n    user_id: u\n    max_bpm: 90\n",
            "config.yaml:2: runners.alex: max_bpm must be 100 to 240",
        ),
        ("runners:\n  al ex:\n    user_id: u\n", "runners.al ex: a name must match"),
    ],
)
def test_bad_runners_sections_name_the_line_and_key(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(write(tmp_path / "config.yaml", text), env={})


def test_a_real_recovery_coach_import_process(tmp_path: Path) -> None:
    good = write(tmp_path / "run.fit.gz", fit_bytes(RUN), gzipped=True)
    bad = write(tmp_path / "notes.tcx", "dear diary")
    executable = Path(sys.executable).parent / "recovery-coach"
    env = {**os.environ, "RECOVERY_COACH_DATABASE": str(tmp_path / "real.sqlite3")}
    env.pop("RECOVERY_COACH_CONFIG", None)
    env.pop("RECOVERY_COACH_DYNAMODB_TABLE", None)
    done = subprocess.run(
        [str(executable), "import", str(good), str(bad), "--user", USER],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "from run.fit.gz" in done.stdout and done.stdout.startswith("added ")
    assert f"error: {bad}: it is not a GPX, TCX or FIT file" in done.stderr
    (run,) = runs(SQLitePersistenceAdapter(tmp_path / "real.sqlite3"))
    assert run.source == "fit"


class Recorded:
    """The importer the watch is given, recording each call."""

    def __init__(self, store: SQLitePersistenceAdapter) -> None:
        self.store = store
        self.calls: list[list[Path]] = []

    def __call__(self, paths: Sequence[Path]) -> list[FileOutcome]:
        batch = list(paths)
        self.calls.append(batch)
        return import_files(self.store, USER, batch, PROFILE)


def test_a_watched_folder_imports_a_file_once_it_is_complete(
    tmp_path: Path, store: SQLitePersistenceAdapter
) -> None:
    folder = tmp_path / "GARMIN" / "Activity"
    folder.mkdir(parents=True)
    importer = Recorded(store)
    watch = FolderWatch(tmp_path / "GARMIN", importer, tmp_path / "state.json")
    data = fit_bytes(RUN)
    path = folder / "run.fit"
    path.write_bytes(data[:1000])  # the sync tool is still writing it
    assert watch.scan_once() == []
    with path.open("ab") as file:
        file.write(data[1000:])
    assert watch.scan_once() == []  # it changed since the last look
    (outcome,) = watch.scan_once()
    assert outcome.outcome is Outcome.ADDED and outcome.path == path
    assert watch.scan_once() == [] and watch.scan_once() == []
    assert importer.calls == [[path]]
    # A new watch reads what the last one handled: the file is not read again.
    rewatch = FolderWatch(tmp_path / "GARMIN", importer, tmp_path / "state.json")
    assert rewatch.scan_once() == [] and rewatch.scan_once() == []
    assert len(runs(store)) == 1


def test_a_watched_folder_reports_a_bad_file_once_and_keeps_going(
    tmp_path: Path, store: SQLitePersistenceAdapter
) -> None:
    reported: list[FileOutcome] = []
    watch = FolderWatch(tmp_path, Recorded(store), None, reported.append)
    bad = write(tmp_path / "broken.gpx", "<gpx><trk>")
    (tmp_path / "notes.txt").write_text("not an activity")
    watch.scan_once()
    watch.scan_once()
    watch.scan_once()
    good = write(tmp_path / "run.tcx", tcx_text(RUN))
    watch.scan_once()
    watch.scan_once()
    assert [(o.path, o.outcome) for o in reported] == [
        (bad, Outcome.ERROR),
        (good, Outcome.ADDED),
    ]
    assert "broken.gpx: its XML is malformed" in reported[0].describe()


def test_the_watch_loop_stops_when_told(tmp_path: Path, store: SQLitePersistenceAdapter) -> None:
    write(tmp_path / "run.gpx", gpx_text(RUN))
    reported: list[FileOutcome] = []
    stop = threading.Event()

    def report(outcome: FileOutcome) -> None:
        reported.append(outcome)
        stop.set()

    FolderWatch(tmp_path, Recorded(store), None, report).run(0.01, stop)
    assert [o.outcome for o in reported] == [Outcome.ADDED]


def test_watch_cli_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    folder = tmp_path / "sync"
    folder.mkdir()
    write(folder / "run.gpx", gpx_text(RUN))
    env = {**os.environ, "RECOVERY_COACH_DATABASE": str(tmp_path / "watch.sqlite3")}
    env.pop("RECOVERY_COACH_CONFIG", None)
    env.pop("RECOVERY_COACH_DYNAMODB_TABLE", None)
    command = [Path(sys.executable).parent / "recovery-coach", "import", "--user", USER]
    process = subprocess.Popen(
        [*map(str, command), "--watch", str(folder), "--interval", "0.2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()  # waits for the import, however long it takes
        assert first.startswith("added Mon 6 Oct") and "from run.gpx" in first
        process.terminate()
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "stopped watching" in err and "Traceback" not in err


RUN = Run()
