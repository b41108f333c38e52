"""The SQLite persistence adapter and the stored history format."""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from ask_sdk_core.exceptions import PersistenceException
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope
from envelopes import intent
from skill_support import Session
from storage_support import log_runs_concurrently, stored_runs

from routines import BodyArea, PainFlag, RunRecord, RunType
from skill.errors import ConflictError, StorageError
from skill.history import History, SorenessReport
from skill.persistence import SQLitePersistenceAdapter
from skill.service import SkillService, build_skill
from skill.settings import Settings
from skill.web import create_app

NOW = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)


def request_for(user: str) -> RequestEnvelope:
    payload = intent("GetRecoveryPlanIntent", NOW, user_id=user)
    envelope: RequestEnvelope = DefaultSerializer().deserialize(
        json.dumps(payload), RequestEnvelope
    )
    return envelope


def test_attributes_round_trip_per_user(tmp_path: Path) -> None:
    adapter = SQLitePersistenceAdapter(tmp_path / "nested" / "db.sqlite3")
    alice, bob = request_for("alice"), request_for("bob")
    assert adapter.get_attributes(alice) == {}
    adapter.save_attributes(alice, {"runs": [1, 2]})
    adapter.save_attributes(bob, {"runs": []})
    adapter.save_attributes(alice, {"runs": [3]})
    assert adapter.get_attributes(alice) == {"runs": [3]}
    assert adapter.get_attributes(bob) == {"runs": []}
    adapter.delete_attributes(alice)
    assert adapter.get_attributes(alice) == {}


def test_database_uses_wal_and_survives_a_new_adapter(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    SQLitePersistenceAdapter(path).save_attributes(request_for("alice"), {"unit": "km"})
    assert SQLitePersistenceAdapter(path).get_attributes(request_for("alice")) == {"unit": "km"}
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_corrupt_rows_raise_a_persistence_error(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    adapter = SQLitePersistenceAdapter(path)
    adapter.save_attributes(request_for("alice"), {})
    with sqlite3.connect(path) as db:
        db.execute("UPDATE user_attributes SET attributes = '{broken'")
    with pytest.raises(PersistenceException, match="corrupt"):
        adapter.get_attributes(request_for("alice"))


def test_unopenable_database_raises_a_persistence_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    adapter = SQLitePersistenceAdapter(blocker / "db.sqlite3")
    with pytest.raises(PersistenceException, match="cannot open"):
        adapter.get_attributes(request_for("alice"))


def test_history_round_trips_through_attributes() -> None:
    history = (
        History()
        .with_run(
            RunRecord(at=NOW - timedelta(hours=2), distance_km=21.1, run_type=RunType.HALF_MARATHON)
        )
        .with_report(
            SorenessReport(
                at=NOW,
                level=5,
                areas=frozenset({BodyArea.CALVES}),
                flags=frozenset({PainFlag.SHARP}),
            )
        )
    )
    again = History.from_attributes(json.loads(json.dumps(history.to_attributes())))
    assert again == history
    context = again.context(NOW)
    assert context.run_type is RunType.HALF_MARATHON
    assert context.hours_since_run == pytest.approx(2)
    assert context.soreness == 5 and context.pain_flags == {PainFlag.SHARP}


def test_history_skips_entries_that_no_longer_parse() -> None:
    stored = {
        "runs": [
            {"at": "yesterday"},
            {"at": NOW.isoformat(), "distance_km": 5},
            {"distance_km": 3},
        ],
        "soreness": {"at": NOW.isoformat(), "areas": ["elbows"]},
        "unit": "furlongs",
    }
    history = History.from_attributes(stored)
    assert [run.distance_km for run in history.runs] == [5]
    assert history.soreness is None and history.unit is None


def test_reports_in_one_episode_add_up_and_a_new_run_starts_afresh() -> None:
    history = History().with_run(RunRecord(at=NOW - timedelta(hours=1), distance_km=10))
    history = history.with_report(SorenessReport(at=NOW, areas=frozenset({BodyArea.CALVES})))
    history = history.with_report(
        SorenessReport(at=NOW + timedelta(hours=1), level=6, areas=frozenset({BodyArea.QUADS}))
    )
    assert history.soreness is not None
    assert history.soreness.areas == {BodyArea.CALVES, BodyArea.QUADS}
    assert history.soreness.level == 6
    history = history.with_run(RunRecord(at=NOW + timedelta(days=1), distance_km=5))
    assert history.soreness is None


def test_runs_older_than_twelve_weeks_are_forgotten_and_old_runs_do_not_drive_the_plan() -> None:
    history = History().with_run(RunRecord(at=NOW - timedelta(days=100), distance_km=10))
    history = history.with_run(RunRecord(at=NOW - timedelta(days=9), distance_km=8))
    assert [run.distance_km for run in history.runs] == [8]
    assert history.latest_run(NOW) is None
    assert history.context(NOW).distance_km is None


def test_concurrent_runs_for_one_user_are_all_stored(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    service = SkillService(build_skill(SQLitePersistenceAdapter(database)))
    tally = log_runs_concurrently(service.dispatch, threads=8, per_thread=25)
    stored = stored_runs(database)
    assert not tally.lost(stored), (
        f"{len(tally.lost(stored))} of {len(tally.acknowledged)} acknowledged runs were lost"
    )
    # Retrying conflicts makes refusals rare; none is expected with eight writers.
    assert len(tally.acknowledged) == 200, tally.refused
    assert stored == tally.acknowledged


def test_a_stale_plain_save_is_refused_not_written_over(tmp_path: Path) -> None:
    adapter = SQLitePersistenceAdapter(tmp_path / "db.sqlite3")
    adapter.save_attributes(request_for("alice"), {"runs": [1]})
    first, second = request_for("alice"), request_for("alice")
    adapter.get_attributes(first)
    adapter.get_attributes(second)
    adapter.save_attributes(second, {"runs": [1, 2]})
    with pytest.raises(ConflictError):
        adapter.save_attributes(first, {"runs": [1, 3]})
    assert adapter.get_attributes(request_for("alice")) == {"runs": [1, 2]}


def test_a_save_that_read_nothing_may_only_create(tmp_path: Path) -> None:
    adapter = SQLitePersistenceAdapter(tmp_path / "db.sqlite3")
    adapter.save_attributes(request_for("alice"), {"runs": [1]})
    with pytest.raises(ConflictError):
        adapter.save_attributes(request_for("alice"), {"runs": []})
    assert adapter.get_attributes(request_for("alice")) == {"runs": [1]}


def test_a_database_from_before_versions_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE user_attributes (user_id TEXT PRIMARY KEY, attributes TEXT NOT NULL, "
            "updated_at TEXT NOT NULL DEFAULT 'then')"
        )
        db.execute("INSERT INTO user_attributes (user_id, attributes) VALUES ('alice', '{}')")
    adapter = SQLitePersistenceAdapter(path)
    request = request_for("alice")
    assert adapter.get_attributes(request) == {}
    adapter.save_attributes(request, {"unit": "km"})
    assert adapter.get_attributes(request_for("alice")) == {"unit": "km"}
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT version FROM user_attributes").fetchone() == (2,)


def test_logging_a_run_keeps_a_paused_stretch_session(settings: Settings) -> None:
    client = create_app(settings).test_client()
    runner = Session(client, user="pauser")
    runner.say("stretch with me")
    runner.say("next")
    runner.say("pause")
    assert "logged it" in Session(client, user="pauser").say("I ran three miles")
    again = Session(client, user="pauser")
    assert again.say("resume my stretches").startswith("Resuming. Stretch 2 of 6.")


def _first_requests(
    store: SQLitePersistenceAdapter,
    start: threading.Barrier,
    writer: int,
    failures: list[Exception],
) -> None:
    start.wait()
    try:
        store.read_user("runner")
        for _ in range(5):
            store.update_user("runner", lambda a: {**a, str(writer): a.get(str(writer), 0) + 1})
    except StorageError as exc:
        failures.append(exc)


def test_the_first_requests_to_a_fresh_file_at_once_all_reach_their_data(tmp_path: Path) -> None:
    """Eight threads' first requests to a new database at once: none is told it can't be read."""
    failures: list[Exception] = []
    for trial in range(40):
        store = SQLitePersistenceAdapter(tmp_path / f"fresh-{trial}.sqlite3")
        start = threading.Barrier(8)
        threads = [
            threading.Thread(target=_first_requests, args=(store, start, i, failures))
            for i in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if not failures:
            assert store.read_user("runner") == {str(i): 5 for i in range(8)}
        store.close()
    assert not failures, failures[:3]
