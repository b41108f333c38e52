"""The home-side commands: request, bridge (with an embedded broker), and the demo's helpers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from mqtt_support import ROOT, integration_config, integration_document, wait_until
from skill_support import home_state

from mqtt_bridge.bridge import Bridge
from mqtt_bridge.broker import MosquittoBroker, free_port
from mqtt_bridge.client import BridgeClient
from mqtt_bridge.config import parse_config
from skill.cli import main
from skill.demo import describe_status, parse_home_command


def test_request_prints_the_reply(mosquitto: MosquittoBroker, tmp_path: Path) -> None:
    document = integration_document(mosquitto, tmp_path)
    config_file = tmp_path / "bridge.yaml"
    config_file.write_text(yaml.safe_dump(document))
    bridge = Bridge(integration_config(mosquitto, tmp_path))
    bridge.start()
    try:
        assert bridge.connected.wait(5)
        runner = CliRunner()
        ok = runner.invoke(main, ["request", "status", "--config", str(config_file)])
        assert ok.exit_code == 0, ok.output
        assert json.loads(ok.output)["data"]["home"] == "test_home"
        refused = runner.invoke(
            main, ["request", "bath/fill", '{"temperature_c": 50}', "--config", str(config_file)]
        )
        assert refused.exit_code == 1 and "too hot" in refused.output
        bad = runner.invoke(main, ["request", "status", "{oops", "--config", str(config_file)])
        assert bad.exit_code != 0 and "PARAMS must be JSON" in bad.output
    finally:
        bridge.stop()


def test_bridge_command_with_an_embedded_broker(tmp_path: Path) -> None:
    port = free_port()
    document = {
        "home": "embedded_home",
        "timer_database": str(tmp_path / "bridge.sqlite3"),
        "broker": {"url": f"embedded://127.0.0.1:{port}"},
        "devices": {},
    }
    config_file = tmp_path / "bridge.yaml"
    config_file.write_text(yaml.safe_dump(document))
    process = subprocess.Popen(
        [sys.executable, "-m", "skill.cli", "bridge", "--config", str(config_file)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    config = parse_config({**document, "broker": {"url": f"mqtt://127.0.0.1:{port}"}}, env={})
    client = BridgeClient(config.broker)
    try:
        assert wait_until(lambda: _try_start(client), timeout=15), "embedded broker never came up"
        assert client.request("embedded_home", "status")["status"] == "ok"
    finally:
        client.stop()
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=15)
    assert process.returncode == 0, output
    assert f"Embedded Mosquitto on mqtt://127.0.0.1:{port}" in output


def _try_start(client: BridgeClient) -> bool:
    try:
        client.start(timeout=0.5)
    except Exception:
        return False
    return True


def test_missing_config_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECOVERY_COACH_CONFIG", raising=False)
    result = CliRunner().invoke(main, ["bridge"])
    assert result.exit_code != 0 and "--config" in result.output


def test_demo_home_commands_parse_json_values() -> None:
    assert parse_home_command("/heat/start minutes=10") == ("heat/start", {"minutes": 10})
    assert parse_home_command("/bath/fill temperature_c=38.5 epsom=true") == (
        "bath/fill",
        {"temperature_c": 38.5, "epsom": True},
    )
    assert parse_home_command("/announce text=hello") == ("announce", {"text": "hello"})


def test_demo_status_line() -> None:
    state = home_state(
        heat={"running": True, "remaining_min": 12},
        bath={"status": "filling", "remaining_min": 4},
        devices={
            "speaker": {"role": "speaker", "online": False},
            "pad": {"role": "heating_pad", "online": True},
        },
    )
    assert (
        describe_status(state)
        == "heating pad on, 12 min left; bath filling, 4 min left; offline: speaker"
    )


def test_routines_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECOVERY_COACH_CONFIG", raising=False)
    runner = CliRunner()
    listed = runner.invoke(main, ["routines", "list"])
    assert listed.exit_code == 0
    assert "long_run_recovery    long-run recovery (13 steps)" in listed.output
    shown = runner.invoke(main, ["routines", "show", "sore_calves"])
    assert "6. 15 minutes of heat" in shown.output
    assert runner.invoke(main, ["routines", "show", "nope"]).exit_code != 0
    good = tmp_path / "good.yaml"
    good.write_text("name: good\ntitle: Good\nsteps:\n  - stretch: butterfly\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\ntitle: Bad\nsteps:\n  - say: hi\n  - wait_for: tea\n")
    result = runner.invoke(main, ["routines", "validate", str(good), str(bad)])
    assert result.exit_code == 1
    assert f"{good}: ok (good, 1 steps)" in result.output
    assert f"{bad}:5: wait_for is one of bath_ready, heat_done" in result.output


def test_speaker_command_renders_to_wav(mosquitto: MosquittoBroker, tmp_path: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "skill.cli",
            "speaker",
            "--broker",
            mosquitto.url,
            "--site-id",
            "bedroom",
            "--to-wav",
            str(tmp_path / "wav"),
        ],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    from mqtt_support import Spy

    spy = Spy(mosquitto, "hermes/tts/sayFinished")
    try:
        say = json.dumps({"text": "Your bath is ready", "siteId": "bedroom", "id": "x1"})
        assert wait_until(lambda: _say_until_finished(spy, say), timeout=15)
        assert [p.name for p in (tmp_path / "wav").glob("*.wav")][:1] == ["0001-x1.wav"]
    finally:
        spy.stop()
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=15)
    assert process.returncode == 0, output
    assert "Speaker for site 'bedroom'" in output


def _say_until_finished(spy: Any, say: str) -> bool:
    # The daemon may still be connecting: ask again until it answers.
    if not spy.on("hermes/tts/sayFinished"):
        spy.publish("hermes/tts/say", say)
        time.sleep(0.3)
    return bool(spy.on("hermes/tts/sayFinished"))
