"""Keep each Alexa user's attributes in SQLite, and change them atomically per user.

Every request reads the user's whole attributes, changes them and writes them back. Two requests
for one user at once (the web server answers on several threads; Lambda runs many instances)
would each write what they read plus their own change, and the later write would drop the
earlier one's run, after the skill had said "I've logged it". Two rules stop that:

- A change goes to the adapter as an AttributeUpdate: the attributes together with the function
  that made them. The adapter applies that function to what is stored *at save time*, inside
  one write: a `BEGIN IMMEDIATE` transaction in SQLite, which serializes writers across threads
  and processes; a read plus a conditional put on a version, retried, in DynamoDB. So a change is
  made exactly once, on top of every change saved before it.
- A plain ask-sdk save (attributes without their change) is a conditional write on the version
  the request read. If anyone saved since, it raises ConflictError instead of overwriting.

Either way a save that fails raises SaveError, and the skill says it could not save.
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter, AttributesManager
from ask_sdk_model import RequestEnvelope

from skill.errors import ConflictError, SaveError, StorageError

SCHEMA = """
CREATE TABLE IF NOT EXISTS user_attributes (
    user_id    TEXT PRIMARY KEY,
    attributes TEXT NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
)
"""
NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

Attributes = dict[str, Any]
Change = Callable[[Attributes], Attributes]


class AttributeUpdate(dict[str, Any]):
    """Attributes a request changed, with the change, for the adapter to re-apply when saving."""

    def __init__(self, change: Change, attributes: Attributes) -> None:
        super().__init__(attributes)
        self.change = change
        # The attributes the held value was computed from, while nobody else can change them.
        self._base: Attributes | None = None

    def apply_to(self, stored: Attributes, *, fresh: bool = False) -> Attributes:
        """Return the change applied to `stored`, and hold that as the new value.

        The change gets its own top-level copy of `stored` (changes build new values and never
        change nested ones), unless `fresh` says nobody else holds it. Applied
        to attributes equal to the ones it was last applied to, the change (which computes only
        from what it gets) would give the same again: that is returned without running it.
        """
        if self._base is not None and stored == self._base:
            return dict(self)
        if fresh:
            self._base = None
            updated = self.change(stored)
        else:
            self._base = stored
            updated = self.change(dict(stored))
        self.clear()
        self.update(updated)
        return updated


def update_attributes(manager: AttributesManager, change: Change) -> Attributes:
    """Apply `change` to the user's stored attributes and save them atomically; return them.

    `change` may run more than once, each time on what is stored then, so it must only compute
    new attributes from the ones it gets. Raises SaveError when nothing could be saved.
    """
    update = AttributeUpdate(change, {})
    update.apply_to(manager.persistent_attributes)
    # ask-sdk hands this very dict to the adapter's save_attributes, change included.
    manager.persistent_attributes = update
    manager.save_persistent_attributes()
    return dict(update)


def backoff_s(attempt: int, base_s: float = 0.005, cap_s: float = 0.2) -> float:
    """Return a jittered exponential pause before retry `attempt` (0-based)."""
    return random.uniform(0, min(cap_s, base_s * 2**attempt))


def user_id_of(request_envelope: RequestEnvelope) -> str:
    """Return the Alexa user id a request comes from."""
    system = getattr(request_envelope.context, "system", None)
    user_id = getattr(getattr(system, "user", None), "user_id", None)
    if not user_id:
        raise StorageError("request has no user id")
    return str(user_id)


class ReadVersions:
    """Remember, for each request in flight, the version of its user's attributes it read."""

    def __init__(self) -> None:
        # Re-entrant: a garbage collection inside the lock may run _forget on this thread.
        self._lock = threading.RLock()
        self._versions: dict[int, int] = {}

    def remember(self, request_envelope: RequestEnvelope, version: int) -> None:
        """Record the version a request read or wrote (0: nothing is stored)."""
        key = id(request_envelope)
        with self._lock:
            if key not in self._versions:
                # Forget it when the request is gone, before its id can be reused.
                weakref.finalize(request_envelope, self._forget, key)
            self._versions[key] = version

    def read_by(self, request_envelope: RequestEnvelope) -> int:
        """Return the version a request read; 0 if it read nothing, so it may only insert."""
        with self._lock:
            return self._versions.get(id(request_envelope), 0)

    def _forget(self, key: int) -> None:
        with self._lock:
            self._versions.pop(key, None)


class SQLitePersistenceAdapter(AbstractPersistenceAdapter):
    """Store attributes as JSON, one versioned row per user, in a WAL-mode SQLite file."""

    def __init__(self, path: Path, timeout: float = 5.0) -> None:
        self._path = path
        # How long a write waits for another writer's lock before the save fails.
        self._timeout = timeout
        self._ready = False
        # One thread prepares the file: PRAGMA journal_mode=WAL does not wait for a busy file,
        # so a second thread preparing while the first already writes got "database is locked".
        self._preparing = threading.Lock()
        self._versions = ReadVersions()
        self._local = threading.local()
        # Every thread's connection, closed when the adapter goes (threading.local alone keeps
        # them until a garbage collection, and an open connection keeps its WAL file).
        self._opened: list[sqlite3.Connection] = []
        self._closer = weakref.finalize(self, _close_all, self._opened)

    @contextmanager
    def _connect(self, saving: bool = False) -> Iterator[sqlite3.Connection]:
        # One connection per thread, kept: opening one (and SQLite reading the schema on its
        # first statement) cost more than the request's own work.
        error = SaveError if saving else StorageError
        connection = self._connection(error)
        try:
            with connection:
                yield connection
        except sqlite3.Error as exc:
            # A connection that failed may be in any state: the next request opens a new one.
            self._discard()
            raise error(f"database error in {self._path}: {exc}") from exc

    def _connection(self, error: type[StorageError]) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is not None:
            return connection
        try:
            if not self._ready:
                self._path.parent.mkdir(parents=True, exist_ok=True)
            # Used by its own thread only; the other thread is the one closing them all.
            connection = sqlite3.connect(self._path, timeout=self._timeout, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise error(f"cannot open {self._path}: {exc}") from exc
        try:
            if not self._ready:
                with self._preparing:
                    if not self._ready:
                        _prepare(connection)
                        self._ready = True
            # In WAL mode NORMAL still makes each commit durable against a crash of this
            # process (the WAL is written before COMMIT returns); see bench/changes.md.
            connection.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as exc:
            connection.close()
            raise error(f"database error in {self._path}: {exc}") from exc
        self._local.connection = connection
        self._opened.append(connection)
        return connection

    def _discard(self) -> None:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            _close_all([connection])
            self._opened.remove(connection)

    def close(self) -> None:
        """Close every thread's connection; a later request opens a new one."""
        self._closer()
        self._local = threading.local()
        self._opened = []
        self._closer = weakref.finalize(self, _close_all, self._opened)

    def get_attributes(self, request_envelope: RequestEnvelope) -> Attributes:
        """Return the stored attributes of the request's user, or an empty dict."""
        user_id = user_id_of(request_envelope)
        with self._connect() as db:
            attributes, version = _read(db, user_id)
        self._versions.remember(request_envelope, version)
        return attributes

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: Attributes) -> None:
        """Store the user's attributes: re-apply an update, or write if nobody saved since."""
        user_id = user_id_of(request_envelope)
        with self._connect(saving=True) as db:
            if isinstance(attributes, AttributeUpdate):
                # The write lock first: no other writer can come between this read and write.
                db.execute("BEGIN IMMEDIATE")
                expected = _version(db, user_id)
                if expected != self._versions.read_by(request_envelope):
                    # Someone saved since this request read: its change goes on what is there.
                    stored, expected = _read(db, user_id)
                    attributes = attributes.apply_to(stored, fresh=True)
            else:
                expected = self._versions.read_by(request_envelope)
            if not _write(db, user_id, attributes, expected):
                raise ConflictError("attributes of a user changed since this request read them")
        self._versions.remember(request_envelope, expected + 1)

    def read_user(self, user_id: str) -> Attributes:
        """Return what is stored for a user outside any request (an import, a report)."""
        with self._connect() as db:
            return _read(db, user_id)[0]

    def update_user(self, user_id: str, change: Change) -> Attributes:
        """Apply `change` to a user's stored attributes in one write, outside any request."""
        with self._connect(saving=True) as db:
            db.execute("BEGIN IMMEDIATE")
            stored, expected = _read(db, user_id)
            updated = change(stored)
            if not _write(db, user_id, updated, expected):  # pragma: no cover - lock held
                raise ConflictError("attributes of a user changed inside a write transaction")
        return updated

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        """Forget everything stored for the request's user."""
        user_id = user_id_of(request_envelope)
        with self._connect(saving=True) as db:
            db.execute("DELETE FROM user_attributes WHERE user_id = ?", (user_id,))
        self._versions.remember(request_envelope, 0)


def _close_all(connections: list[sqlite3.Connection]) -> None:
    for connection in connections:
        connection.close()


def _prepare(connection: sqlite3.Connection) -> None:
    """Turn on WAL and create the table, adding the version column to an older file."""
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(SCHEMA)
    if "version" in _columns(connection):
        return
    with connection:
        connection.execute("BEGIN IMMEDIATE")
        if "version" not in _columns(connection):  # another process may have just added it
            # Rows stored before versions count as version 1: a save must have read them.
            connection.execute(
                "ALTER TABLE user_attributes ADD COLUMN version INTEGER NOT NULL DEFAULT 1"
            )


def _columns(connection: sqlite3.Connection) -> set[str]:
    return {row[1] for row in connection.execute("PRAGMA table_info(user_attributes)")}


def _read(db: sqlite3.Connection, user_id: str) -> tuple[Attributes, int]:
    row = db.execute(
        "SELECT attributes, version FROM user_attributes WHERE user_id = ?", (user_id,)
    ).fetchone()
    if row is None:
        return {}, 0
    try:
        attributes = json.loads(row[0])
    except ValueError as exc:
        raise StorageError(f"stored attributes for a user are corrupt: {exc}") from exc
    return (attributes if isinstance(attributes, dict) else {}), int(row[1])


def _version(db: sqlite3.Connection, user_id: str) -> int:
    row = db.execute("SELECT version FROM user_attributes WHERE user_id = ?", (user_id,)).fetchone()
    return 0 if row is None else int(row[0])


def _write(db: sqlite3.Connection, user_id: str, attributes: Attributes, expected: int) -> bool:
    """Store version expected + 1 if version `expected` is what is stored (0: no row)."""
    document = json.dumps(attributes, separators=(",", ":"))
    if expected == 0:
        cursor = db.execute(
            "INSERT INTO user_attributes (user_id, attributes, version) VALUES (?, ?, 1) "
            "ON CONFLICT(user_id) DO NOTHING",
            (user_id, document),
        )
    else:
        cursor = db.execute(
            f"UPDATE user_attributes SET attributes = ?, version = version + 1, "
            f"updated_at = {NOW} WHERE user_id = ? AND version = ?",
            (document, user_id, expected),
        )
    return cursor.rowcount == 1
