"""Log many runs for one user at once and count what the skill said against what it stored."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from envelopes import USER_ID, intent

from skill.conversation import plain_text

# Inside one four-week window and under MAX_RUNS, so the history never prunes a run.
START = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
ACKNOWLEDGED = "I've logged it"

Send = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class Tally:
    """What the runner heard for each run they logged, keyed by the run's time."""

    acknowledged: set[str] = field(default_factory=set)
    refused: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def lost(self, stored: set[str]) -> set[str]:
        """Return the runs the skill acknowledged aloud but did not store."""
        return self.acknowledged - stored


def log_run(at: datetime, distance: int = 5, user: str = USER_ID) -> dict[str, Any]:
    """Return "I ran <distance> miles" as a LogRunIntent envelope stamped `at`."""
    slots = {"distance": {"name": "distance", "value": str(distance)}}
    return intent("LogRunIntent", at, slots, user_id=user)


def log_runs_concurrently(send: Send, threads: int = 8, per_thread: int = 25) -> Tally:
    """Log threads x per_thread runs for one user from `threads` threads at once."""
    tally = Tally()
    barrier = threading.Barrier(threads)

    def runner(number: int) -> None:
        barrier.wait()
        for index in range(per_thread):
            at = START + timedelta(minutes=number * per_thread + index)
            body = send(log_run(at))
            speech = plain_text(body["response"].get("outputSpeech", {}).get("ssml", ""))
            with tally.lock:
                if ACKNOWLEDGED in speech:
                    tally.acknowledged.add(at.isoformat())
                else:
                    tally.refused[at.isoformat()] = speech

    workers = [threading.Thread(target=runner, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return tally


def stored_runs(database: Path, user: str = USER_ID) -> set[str]:
    """Read the runs stored for `user` straight from the SQLite file."""
    with sqlite3.connect(database) as db:
        row = db.execute(
            "SELECT attributes FROM user_attributes WHERE user_id = ?", (user,)
        ).fetchone()
    if row is None:
        return set()
    return {run["at"] for run in json.loads(row[0]).get("runs", [])}
