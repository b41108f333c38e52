"""The same skill as an AWS Lambda handler."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope
from envelopes import SKILL_ID, USER_ID, intent
from storage_support import (
    dynamodb_table,
    log_runs_concurrently,
    stored_dynamodb_runs,
)

from skill import lambda_handler
from skill.dynamodb import DynamoDbPersistenceAdapter
from skill.errors import BadRequestError, ConflictError, SaveError, SettingsError
from skill.handlers.conversation import SAVE_FAILED
from skill.lambda_function import _service, persistence_for
from skill.service import SkillService, build_skill
from skill.settings import Settings


@pytest.fixture
def lambda_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    database = tmp_path / "lambda.sqlite3"
    monkeypatch.setenv("RECOVERY_COACH_DATABASE", str(database))
    monkeypatch.setenv("RECOVERY_COACH_SKILL_ID", SKILL_ID)
    monkeypatch.delenv("RECOVERY_COACH_CONFIG", raising=False)
    _service.cache_clear()
    yield database
    _service.cache_clear()


def test_lambda_answers_and_persists(lambda_env: Path) -> None:
    slots = {"distance": {"name": "distance", "value": "5"}}
    logged = lambda_handler(intent("LogRunIntent", datetime.now(UTC), slots), None)
    assert "logged it" in logged["response"]["outputSpeech"]["ssml"]
    assert lambda_env.exists()
    plan = lambda_handler(intent("GetRecoveryPlanIntent", datetime.now(UTC)), None)
    assert "5 mile run" in plan["response"]["outputSpeech"]["ssml"]


def test_lambda_checks_the_skill_id(lambda_env: Path) -> None:
    event = intent("AMAZON.HelpIntent", datetime.now(UTC), skill_id="amzn1.ask.skill.other")
    with pytest.raises(BadRequestError, match="skill ID"):
        lambda_handler(event, None)


def test_dynamodb_needs_boto3_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)  # as if it were not installed
    monkeypatch.delitem(sys.modules, "skill.dynamodb", raising=False)
    with pytest.raises(SettingsError, match="recovery-coach\\[lambda\\]"):
        persistence_for(Settings(database=tmp_path / "x", dynamodb_table="runs"))


@pytest.fixture
def dynamodb(lambda_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("RECOVERY_COACH_DYNAMODB_TABLE", "runs")
    with dynamodb_table(monkeypatch) as resource:
        yield resource


def test_lambda_stores_runs_with_fractions_in_dynamodb(dynamodb: Any, lambda_env: Path) -> None:
    now = datetime.now(UTC)
    slots = {"distance": {"name": "distance", "value": "5.5"}}
    logged = lambda_handler(intent("LogRunIntent", now, slots), None)
    assert "logged it" in logged["response"]["outputSpeech"]["ssml"]
    assert not lambda_env.exists()
    item = dynamodb.Table("runs").get_item(Key={"id": USER_ID})["Item"]
    assert item["version"] == 1
    assert float(item["attributes"]["runs"][0]["distance_km"]) == pytest.approx(5.5 * 1.609344)
    plan = lambda_handler(intent("GetRecoveryPlanIntent", now), None)
    assert "5.5 mile run" in plan["response"]["outputSpeech"]["ssml"]


def test_attributes_round_trip_through_dynamodb(dynamodb: Any) -> None:
    adapter = DynamoDbPersistenceAdapter("runs", dynamodb)
    attributes = {
        "runs": [{"distance_km": 21.0975, "duration_s": 5400, "pace": 0.1 + 0.2}],
        "flags": [True, False, None, "x"],
        "nested": {"level": 7, "whole": 10.0},
    }
    request = request_for(USER_ID)
    assert adapter.get_attributes(request) == {}
    adapter.save_attributes(request, attributes)
    assert adapter.get_attributes(request_for(USER_ID)) == attributes
    for unstorable in (1e-300, float("nan"), {1, 2}):
        with pytest.raises(SaveError):
            adapter.save_attributes(request, {"runs": [unstorable]})
    assert adapter.get_attributes(request_for(USER_ID)) == attributes


def test_a_stale_plain_save_is_refused_in_dynamodb(dynamodb: Any) -> None:
    adapter = DynamoDbPersistenceAdapter("runs", dynamodb)
    adapter.save_attributes(request_for(USER_ID), {"runs": [1]})
    first, second = request_for(USER_ID), request_for(USER_ID)
    adapter.get_attributes(first)
    adapter.get_attributes(second)
    adapter.save_attributes(second, {"runs": [1, 2]})
    with pytest.raises(ConflictError):
        adapter.save_attributes(first, {"runs": [1, 3]})
    with pytest.raises(ConflictError):
        adapter.save_attributes(request_for(USER_ID), {"runs": []})  # read nothing: insert only
    assert adapter.get_attributes(request_for(USER_ID)) == {"runs": [1, 2]}


def test_an_item_written_by_the_ask_sdk_adapter_is_taken_over(dynamodb: Any) -> None:
    dynamodb.Table("runs").put_item(Item={"id": USER_ID, "attributes": {"unit": "km"}})
    adapter = DynamoDbPersistenceAdapter("runs", dynamodb)
    request = request_for(USER_ID)
    assert adapter.get_attributes(request) == {"unit": "km"}
    adapter.save_attributes(request, {"unit": "mi"})
    item = dynamodb.Table("runs").get_item(Key={"id": USER_ID})["Item"]
    assert item["attributes"] == {"unit": "mi"} and item["version"] == 1


def test_concurrent_runs_for_one_user_are_all_stored_in_dynamodb(dynamodb: Any) -> None:
    # Small, as moto is slow; the faults suite runs 8 x 25 (tests/faults/test_data_faults.py).
    service = SkillService(build_skill(DynamoDbPersistenceAdapter("runs", dynamodb)))
    tally = log_runs_concurrently(service.dispatch, threads=4, per_thread=5)
    stored = stored_dynamodb_runs(dynamodb)
    assert not tally.lost(stored), f"{len(tally.lost(stored))} acknowledged runs were lost"
    # A refusal must be the honest "couldn't save", and it must be rare.
    assert set(tally.refused.values()) <= {SAVE_FAILED}
    assert len(tally.acknowledged) >= 15, tally.refused
    assert stored == tally.acknowledged


def request_for(user: str) -> RequestEnvelope:
    payload = intent("GetRecoveryPlanIntent", datetime.now(UTC), user_id=user)
    envelope: RequestEnvelope = DefaultSerializer().deserialize(
        json.dumps(payload), RequestEnvelope
    )
    return envelope
