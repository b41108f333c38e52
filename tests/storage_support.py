"""Log many runs for one user at once and count what the skill said against what it stored."""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from envelopes import USER_ID, intent
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend

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


@contextmanager
def dynamodb_table(monkeypatch: pytest.MonkeyPatch, name: str = "runs") -> Iterator[Any]:
    """Yield moto's in-memory DynamoDB with an empty table laid out as the skill expects."""
    for variable, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(variable, value)
    # Real DynamoDB checks a condition and writes as one step; moto does neither under a lock,
    # so two threads can both pass a check. Give moto that atomicity, per table, as AWS has it.
    atomic = threading.Lock()
    for method in ("put_item", "update_item", "delete_item", "get_item"):
        original = getattr(DynamoDBBackend, method)
        monkeypatch.setattr(DynamoDBBackend, method, _serialized(original, atomic))
    with mock_aws():
        dynamodb = boto3.resource("dynamodb")
        dynamodb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield dynamodb


def _serialized(method: Callable[..., Any], lock: threading.Lock) -> Callable[..., Any]:
    @functools.wraps(method)
    def serialized(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return method(*args, **kwargs)

    return serialized


def stored_dynamodb_runs(dynamodb: Any, table: str = "runs", user: str = USER_ID) -> set[str]:
    """Read the runs stored for `user` straight from the DynamoDB table."""
    item = dynamodb.Table(table).get_item(Key={"id": user}, ConsistentRead=True).get("Item")
    return {run["at"] for run in (item or {}).get("attributes", {}).get("runs", [])}
