"""Keep each Alexa user's attributes in SQLite, through ask-sdk's persistence interface."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.exceptions import PersistenceException
from ask_sdk_model import RequestEnvelope

SCHEMA = """
CREATE TABLE IF NOT EXISTS user_attributes (
    user_id    TEXT PRIMARY KEY,
    attributes TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
)
"""


def user_id_of(request_envelope: RequestEnvelope) -> str:
    """Return the Alexa user id a request comes from."""
    system = getattr(request_envelope.context, "system", None)
    user_id = getattr(getattr(system, "user", None), "user_id", None)
    if not user_id:
        raise PersistenceException("request has no user id")
    return str(user_id)


class SQLitePersistenceAdapter(AbstractPersistenceAdapter):
    """Store attributes as JSON, one row per user, in a WAL-mode SQLite file."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._ready = False

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # A connection per call: the web server answers requests on several threads.
        try:
            if not self._ready:
                self._path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self._path, timeout=5.0)
        except (OSError, sqlite3.Error) as exc:
            raise PersistenceException(f"cannot open {self._path}: {exc}") from exc
        try:
            if not self._ready:
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute(SCHEMA)
                self._ready = True
            with connection:
                yield connection
        except sqlite3.Error as exc:
            raise PersistenceException(f"database error in {self._path}: {exc}") from exc
        finally:
            connection.close()

    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        """Return the stored attributes of the request's user, or an empty dict."""
        user_id = user_id_of(request_envelope)
        with self._connect() as db:
            row = db.execute(
                "SELECT attributes FROM user_attributes WHERE user_id = ?", (user_id,)
            ).fetchone()
        if row is None:
            return {}
        try:
            attributes = json.loads(row[0])
        except ValueError as exc:
            raise PersistenceException(f"stored attributes for a user are corrupt: {exc}") from exc
        return attributes if isinstance(attributes, dict) else {}

    def save_attributes(
        self, request_envelope: RequestEnvelope, attributes: dict[str, Any]
    ) -> None:
        """Store the attributes of the request's user, replacing earlier ones."""
        user_id = user_id_of(request_envelope)
        document = json.dumps(attributes, separators=(",", ":"), sort_keys=True)
        with self._connect() as db:
            db.execute(
                "INSERT INTO user_attributes (user_id, attributes) VALUES (?, ?) "
                "ON CONFLICT(user_id) DO UPDATE SET attributes = excluded.attributes, "
                "updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
                (user_id, document),
            )

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        """Forget everything stored for the request's user."""
        user_id = user_id_of(request_envelope)
        with self._connect() as db:
            db.execute("DELETE FROM user_attributes WHERE user_id = ?", (user_id,))
