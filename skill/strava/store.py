"""Each connected Strava athlete's tokens and Alexa user, in a table of the skill's database.

Tokens are secrets: they are never logged, never in a repr, and each change is one SQLite
transaction, so a refresh that stores a new refresh token never half-happens.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from skill.errors import StorageError

SCHEMA = """
CREATE TABLE IF NOT EXISTS strava_connections (
    athlete_id    INTEGER PRIMARY KEY,
    alexa_user_id TEXT NOT NULL,
    access_token  TEXT NOT NULL,
    refresh_token TEXT NOT NULL,
    expires_at    INTEGER NOT NULL,
    scope         TEXT NOT NULL,
    athlete_name  TEXT NOT NULL DEFAULT '',
    updated_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
)
"""
COLUMNS = "athlete_id, alexa_user_id, access_token, refresh_token, expires_at, scope, athlete_name"


@dataclass(frozen=True)
class StravaConnection:
    """One athlete's grant to this application, and the Alexa user their runs go to."""

    athlete_id: int
    alexa_user_id: str
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    # Seconds since the epoch when the access token stops working.
    expires_at: int
    scope: str
    athlete_name: str = ""

    def __post_init__(self) -> None:
        if self.athlete_id <= 0:
            raise ValueError(f"athlete_id: {self.athlete_id} is not a Strava athlete ID")
        if not self.alexa_user_id:
            raise ValueError("alexa_user_id: a connection needs the Alexa user it belongs to")
        if not self.access_token or not self.refresh_token:
            raise ValueError("a connection needs both an access token and a refresh token")

    def expires_within(self, seconds: float, now: float) -> bool:
        """Tell whether the access token expires within `seconds` of `now`."""
        return self.expires_at - now <= seconds

    def with_tokens(
        self, access_token: str, refresh_token: str, expires_at: int
    ) -> StravaConnection:
        """Return the connection holding newly granted tokens."""
        return replace(
            self, access_token=access_token, refresh_token=refresh_token, expires_at=expires_at
        )


class ConnectionStore:
    """Read and write Strava connections in the skill's SQLite file (a table of their own)."""

    def __init__(self, path: Path, timeout: float = 5.0) -> None:
        self._path = path
        self._timeout = timeout

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # A connection per call: webhook events are rare, and a worker thread and the CLI share
        # the file with the skill's own adapter without any connection crossing threads.
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self._path, timeout=self._timeout)
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(f"cannot open {self._path}: {exc}") from exc
        try:
            with db:
                db.execute(SCHEMA)
                yield db
        except sqlite3.Error as exc:
            raise StorageError(f"database error in {self._path}: {exc}") from exc
        finally:
            db.close()

    def save(self, connection: StravaConnection) -> None:
        """Store a connection, replacing the athlete's previous one, in one transaction."""
        with self._connect() as db:
            db.execute(
                f"INSERT INTO strava_connections ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(athlete_id) DO UPDATE SET alexa_user_id = excluded.alexa_user_id, "
                "access_token = excluded.access_token, refresh_token = excluded.refresh_token, "
                "expires_at = excluded.expires_at, scope = excluded.scope, "
                "athlete_name = excluded.athlete_name, "
                "updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
                _row(connection),
            )

    def get(self, athlete_id: int) -> StravaConnection | None:
        """Return an athlete's connection, or None if they are not connected."""
        with self._connect() as db:
            row = db.execute(
                f"SELECT {COLUMNS} FROM strava_connections WHERE athlete_id = ?", (athlete_id,)
            ).fetchone()
        return None if row is None else _connection(row)

    def for_user(self, alexa_user_id: str) -> list[StravaConnection]:
        """Return the Strava athletes linked to an Alexa user."""
        with self._connect() as db:
            rows = db.execute(
                f"SELECT {COLUMNS} FROM strava_connections WHERE alexa_user_id = ? "
                "ORDER BY athlete_id",
                (alexa_user_id,),
            ).fetchall()
        return [_connection(row) for row in rows]

    def all(self) -> list[StravaConnection]:
        """Return every connection."""
        with self._connect() as db:
            rows = db.execute(
                f"SELECT {COLUMNS} FROM strava_connections ORDER BY athlete_id"
            ).fetchall()
        return [_connection(row) for row in rows]

    def remove(self, athlete_id: int) -> bool:
        """Forget an athlete's connection; tell whether there was one."""
        with self._connect() as db:
            cursor = db.execute(
                "DELETE FROM strava_connections WHERE athlete_id = ?", (athlete_id,)
            )
        return cursor.rowcount == 1


def _row(c: StravaConnection) -> tuple[int, str, str, str, int, str, str]:
    return (
        c.athlete_id,
        c.alexa_user_id,
        c.access_token,
        c.refresh_token,
        c.expires_at,
        c.scope,
        c.athlete_name,
    )


def _connection(row: tuple[int, str, str, str, int, str, str]) -> StravaConnection:
    try:
        return StravaConnection(*row)
    except ValueError as exc:
        raise StorageError(f"a stored Strava connection is corrupt: {exc}") from exc
