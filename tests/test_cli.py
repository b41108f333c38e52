"""The recovery-coach command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from skill.cli import main


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("RECOVERY_COACH_DATABASE", str(tmp_path / "cli.sqlite3"))
    monkeypatch.delenv("RECOVERY_COACH_SKILL_ID", raising=False)
    monkeypatch.delenv("RECOVERY_COACH_CONFIG", raising=False)
    return CliRunner()


def test_ask_prints_speech_and_card(runner: CliRunner) -> None:
    result = runner.invoke(main, ["ask", "how should I recover"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Alexa: Here's how to recover after a run.")
    assert "[Card] Your recovery plan" in result.output


def test_ask_remembers_runs_between_calls(runner: CliRunner) -> None:
    runner.invoke(main, ["ask", "I finished a marathon"])
    result = runner.invoke(main, ["ask", "how should I recover"])
    assert "your marathon" in result.output


def test_ask_json_prints_the_response_envelope(runner: CliRunner) -> None:
    result = runner.invoke(main, ["ask", "I ran ten kilometres", "--locale", "en-GB", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert "10 kilometre run" in document["response"]["outputSpeech"]["ssml"]


def test_chat_keeps_the_session(runner: CliRunner) -> None:
    result = runner.invoke(main, ["chat"], input="I just ran six miles\nyes\nyes\nquit\n")
    assert result.exit_code == 0, result.output
    speeches = [line for line in result.output.splitlines() if "Alexa:" in line]
    assert "Want your recovery plan?" in speeches[0]
    assert "your 6 mile run" in speeches[1]
    assert "Keep a water bottle" in speeches[2]


def test_serve_refuses_to_verify_without_a_skill_id(runner: CliRunner) -> None:
    result = runner.invoke(main, ["serve", "--port", "0"])
    assert result.exit_code != 0
    assert "skill_id" in result.output


def test_bad_config_is_reported_not_raised(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("colour: red\n")
    result = runner.invoke(main, ["serve", "--config", str(config)])
    assert result.exit_code != 0
    assert "colour: unknown key" in result.output


def test_ask_against_an_unreachable_server_says_so(runner: CliRunner) -> None:
    result = runner.invoke(main, ["ask", "help", "--url", "http://127.0.0.1:9/alexa"])
    assert result.exit_code != 0
    assert "cannot reach the skill" in result.output
