"""The same skill as an AWS Lambda handler."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from envelopes import SKILL_ID, intent

from skill import lambda_handler
from skill.errors import BadRequestError, SettingsError
from skill.lambda_function import _service, persistence_for
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


def test_dynamodb_needs_its_adapter_installed(tmp_path: Path) -> None:
    try:
        import ask_sdk_dynamodb  # noqa: F401
    except ImportError:
        with pytest.raises(SettingsError, match="recovery-coach\\[lambda\\]"):
            persistence_for(Settings(database=tmp_path / "x", dynamodb_table="runs"))
    else:
        pytest.skip("the DynamoDB adapter is installed here")
