"""Storage faults: no run the skill acknowledged aloud may be missing from storage.

Each case records a row of the fault table (docs/faults.md): acknowledged runs lost, and what the
runner heard.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fault_table import Row
from server_support import start_server
from storage_support import (
    START,
    Send,
    Tally,
    dynamodb_table,
    log_run,
    log_runs_concurrently,
    stored_dynamodb_runs,
    stored_runs,
)

from skill.conversation import plain_text
from skill.dynamodb import DynamoDbPersistenceAdapter
from skill.handlers.conversation import READ_FAILED, SAVE_FAILED
from skill.persistence import SQLitePersistenceAdapter
from skill.service import SkillService, build_skill

pytestmark = pytest.mark.faults
Record = Callable[[Row], Row]


def fault_row(case: str, tally: Tally, stored: set[str], record: Record) -> Row:
    """Record the fault-table row for one case: acknowledged runs lost, and what was heard."""
    heard = sorted(set(tally.refused.values())) or ["I've logged it (every run)"]
    return record(
        Row(
            case=case,
            device="skill storage: " + ("DynamoDB (moto)" if "DynamoDB" in case else "SQLite"),
            overrun_s=None,
            goal_s=None,
            after_failure=0,
            duplicated_ons=0,
            lost_data=len(tally.lost(stored)),
            truthful=None,
            note=f"{len(tally.acknowledged)} acknowledged, {len(tally.refused)} refused,"
            f" {len(stored)} stored; heard: {' / '.join(heard)}",
        )
    )


def say_runs(send: Send, count: int, first: int = 0) -> Tally:
    """Log `count` runs one after another, as a runner would."""
    tally = Tally()
    for index in range(first, first + count):
        at = START + timedelta(minutes=index)
        body = send(log_run(at))
        speech = plain_text(body["response"].get("outputSpeech", {}).get("ssml", ""))
        if "I've logged it" in speech:
            tally.acknowledged.add(at.isoformat())
        else:
            tally.refused[at.isoformat()] = speech
    return tally


def http_sender(base: str) -> Send:
    def send(payload: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{base}/alexa",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as reply:
            body: dict[str, Any] = json.loads(reply.read())
            return body

    return send


@contextmanager
def write_lock_held(database: Path) -> Iterator[None]:
    """Hold SQLite's write lock from another connection, as a stuck process would."""
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@contextmanager
def read_only(*paths: Path) -> Iterator[None]:
    """Make files or folders read-only, even for root (which ignores permission bits)."""
    if os.geteuid() != 0:
        modes = {path: path.stat().st_mode for path in paths}
        try:
            for path in paths:
                path.chmod(modes[path] & ~0o222)
            yield
        finally:
            for path, mode in modes.items():
                path.chmod(mode)
        return
    done: list[Path] = []
    try:
        for path in paths:
            flagged = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
            if flagged.returncode != 0:
                pytest.skip(f"cannot make {path} read-only as root here: {flagged.stderr!r}")
            done.append(path)
        yield
    finally:
        for path in done:
            subprocess.run(["chattr", "-i", str(path)], check=True)


def sqlite_service(database: Path, timeout: float = 5.0) -> SkillService:
    return SkillService(build_skill(SQLitePersistenceAdapter(database, timeout=timeout)))


def test_concurrent_writers_over_http(tmp_path: Path, record: Record) -> None:
    for base in start_server(tmp_path, "--no-verify"):
        tally = log_runs_concurrently(http_sender(base), threads=8, per_thread=25)
    stored = stored_runs(tmp_path / "server.sqlite3")
    fault_row("8 x 25 concurrent LogRun, one user, real server, SQLite", tally, stored, record)
    assert not tally.lost(stored)
    assert set(tally.refused.values()) <= {SAVE_FAILED}
    assert stored == tally.acknowledged and len(stored) == 200


def test_write_lock_held_past_the_timeout(tmp_path: Path, record: Record) -> None:
    database = tmp_path / "db.sqlite3"
    service = sqlite_service(database, timeout=0.3)
    before = say_runs(service.dispatch, 2)
    with write_lock_held(database):
        during = say_runs(service.dispatch, 3, first=2)
    after = say_runs(service.dispatch, 1, first=5)
    stored = stored_runs(database)
    tally = Tally(during.acknowledged, during.refused)
    fault_row("SQLite write lock held by another connection > timeout", tally, stored, record)
    assert not (before.acknowledged | during.acknowledged | after.acknowledged) - stored
    assert not during.acknowledged and set(during.refused.values()) == {SAVE_FAILED}
    assert len(before.acknowledged) == 2 and len(after.acknowledged) == 1 and len(stored) == 3


@pytest.mark.slow
def test_write_lock_held_past_the_server_timeout(tmp_path: Path, record: Record) -> None:
    database = tmp_path / "server.sqlite3"
    for base in start_server(tmp_path, "--no-verify"):
        send = http_sender(base)
        say_runs(send, 1)
        with write_lock_held(database):  # the server waits 5 s for it, then gives up
            during = say_runs(send, 1, first=1)
        after = say_runs(send, 1, first=2)
    stored = stored_runs(database)
    fault_row(
        "SQLite write lock held by another process > 5 s, real server", during, stored, record
    )
    assert not during.lost(stored) and set(during.refused.values()) == {SAVE_FAILED}
    assert len(after.acknowledged) == 1 and len(stored) == 2


@pytest.mark.parametrize("what", ["file", "folder"])
def test_database_read_only(tmp_path: Path, record: Record, what: str) -> None:
    folder = tmp_path / "state"
    database = folder / "db.sqlite3"
    say_runs(sqlite_service(database).dispatch, 2)
    with read_only(database if what == "file" else folder):
        tally = say_runs(sqlite_service(database).dispatch, 3, first=2)
    stored = stored_runs(database)
    fault_row(f"SQLite {what} read-only", tally, stored, record)
    assert not tally.lost(stored) and not tally.acknowledged
    assert set(tally.refused.values()) <= {SAVE_FAILED, READ_FAILED}
    assert len(stored) == 2


def test_dynamodb_table_missing(monkeypatch: pytest.MonkeyPatch, record: Record) -> None:
    with dynamodb_table(monkeypatch) as dynamodb:
        service = SkillService(build_skill(DynamoDbPersistenceAdapter("no-such-table", dynamodb)))
        tally = say_runs(service.dispatch, 3)
        stored = stored_dynamodb_runs(dynamodb)
    fault_row("DynamoDB table missing", tally, stored, record)
    assert not tally.acknowledged and set(tally.refused.values()) == {READ_FAILED}


@pytest.mark.slow
def test_dynamodb_concurrent_writers(monkeypatch: pytest.MonkeyPatch, record: Record) -> None:
    with dynamodb_table(monkeypatch) as dynamodb:
        service = SkillService(build_skill(DynamoDbPersistenceAdapter("runs", dynamodb)))
        tally = log_runs_concurrently(service.dispatch, threads=8, per_thread=25)
        stored = stored_dynamodb_runs(dynamodb)
    fault_row("8 x 25 concurrent LogRun, one user, DynamoDB (moto)", tally, stored, record)
    assert not tally.lost(stored) and stored == tally.acknowledged
    # Conflict storms may exhaust the retries; those runs are refused aloud, never lost.
    assert set(tally.refused.values()) <= {SAVE_FAILED}
    assert len(tally.acknowledged) >= 150
