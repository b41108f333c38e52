"""Persist timers (absolute deadlines) and the last heat session in SQLite (WAL)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mqtt_bridge.errors import BridgeError, StoreError

LOCK_WAIT_S = 0.2
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS timers (
        device   TEXT PRIMARY KEY,
        kind     TEXT NOT NULL,
        started  REAL NOT NULL,
        deadline REAL NOT NULL,
        detail   TEXT NOT NULL DEFAULT '{}'
    )""",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
)


@dataclass(frozen=True)
class Timer:
    """A device that must be switched off by `deadline`."""

    device: str
    kind: str
    started: datetime
    deadline: datetime
    detail: dict[str, Any] = field(default_factory=dict)

    def remaining_minutes(self, now: datetime) -> int:
        """Return whole minutes left, rounded up, never below zero."""
        seconds = (self.deadline - now).total_seconds()
        return max(0, -int(-seconds // 60))


class TimerStore:
    """SQLite-backed storage that survives a crash: every change is committed at once."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._db: sqlite3.Connection | None = None

    def open(self) -> None:
        """Open (creating) the database."""
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            # A short busy wait: the worker that waits here is the one that sends every OFF.
            self._db = sqlite3.connect(
                self._path, isolation_level=None, check_same_thread=False, timeout=LOCK_WAIT_S
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            for statement in SCHEMA:
                self._db.execute(statement)
        except (OSError, sqlite3.Error) as exc:
            raise BridgeError(f"cannot open the timer database {self._path}: {exc}") from exc

    def close(self) -> None:
        """Close the database."""
        if self._db is not None:
            self._db.close()
            self._db = None

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            self.open()
        assert self._db is not None
        return self._db

    def _execute(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[Any]:
        try:
            return self.db.execute(sql, parameters).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"the timer database {self._path} failed: {exc}") from exc

    def timers(self) -> list[Timer]:
        """Return every stored timer."""
        rows = self._execute("SELECT device, kind, started, deadline, detail FROM timers")
        return [
            Timer(device, kind, _time(started), _time(deadline), json.loads(detail))
            for device, kind, started, deadline, detail in rows
        ]

    def put(self, timer: Timer) -> None:
        """Store or replace a device's timer."""
        self._execute(
            "INSERT OR REPLACE INTO timers VALUES (?, ?, ?, ?, ?)",
            (
                timer.device,
                timer.kind,
                timer.started.timestamp(),
                timer.deadline.timestamp(),
                json.dumps(timer.detail),
            ),
        )

    def delete(self, device: str) -> None:
        """Forget a device's timer."""
        self._execute("DELETE FROM timers WHERE device = ?", (device,))

    def get_time(self, key: str) -> datetime | None:
        """Read a stored moment, such as when the last heat session ended."""
        rows = self._execute("SELECT value FROM meta WHERE key = ?", (key,))
        return _time(float(rows[0][0])) if rows else None

    def get_json(self, key: str) -> Any:
        """Read a stored JSON value, or None."""
        rows = self._execute("SELECT value FROM meta WHERE key = ?", (key,))
        return json.loads(rows[0][0]) if rows else None

    def put_json(self, key: str, value: Any) -> None:
        """Store a JSON value; None deletes it."""
        if value is None:
            self._execute("DELETE FROM meta WHERE key = ?", (key,))
        else:
            self._execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value)))

    def put_time(self, key: str, moment: datetime) -> None:
        """Store a moment."""
        self._execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, repr(moment.timestamp())))


def _time(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)
