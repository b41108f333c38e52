"""Hermes speech: real session ids, hermes/error/tts heard, and the espeak-ng daemon's failures."""

from __future__ import annotations

import json
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bridge_support import CoreHarness
from home_support import shelly_home
from mqtt_support import Spy, wait_until

from mqtt_bridge.broker import MosquittoBroker
from mqtt_bridge.config import BrokerConfig, Role
from mqtt_bridge.errors import BridgeError
from mqtt_bridge.speaker import SpeakerDaemon

# --- Hermes ---------------------------------------------------------------------------------


def test_hermes_say_carries_a_real_session_id_and_the_configured_site(tmp_path: Path) -> None:
    first, second = CoreHarness(tmp_path), CoreHarness(tmp_path)
    for harness in (first, second):
        harness.request("announce", transaction="a", text="Time to stretch")
        harness.request("announce", transaction="b", text="And again")
    says = [
        json.loads(m.payload)
        for h in (first, second)
        for m in h.sent
        if m.topic == "hermes/tts/say"
    ]
    assert len(says) == 4 and {s["siteId"] for s in says} == {"bathroom"}
    # Unique per announcement and per bridge start, so a reply can't be mistaken for another's.
    assert len({s["sessionId"] for s in says}) == 4 and all(s["sessionId"] for s in says)


def test_a_hermes_error_fails_the_announcement_at_once(homes: Any) -> None:
    home = homes("test_home", devices=shelly_home("test_home", "shellyplus1-a"))
    speaker = home[Role.SPEAKER]
    speaker.fail_with = "voice en-ZZ not found"
    asked = time.monotonic()
    reply = home.request("announce", text="Time to stretch your calves")
    waited = time.monotonic() - asked
    assert reply["status"] == "error", reply
    assert reply["code"] == "device_error"
    assert "voice en-ZZ not found" in reply["error"]
    # The bridge would otherwise wait 5 s and more for sayFinished.
    assert waited < 3, waited
    speaker.fail_with = None
    assert home.request("announce", text="Now it works")["status"] == "ok"


def test_a_hermes_error_for_a_routine_step_is_answered_as_an_error(tmp_path: Path) -> None:
    home = CoreHarness(tmp_path)
    home.request("routine/start", transaction="r", name="cool_down")
    say = next(json.loads(m.payload) for m in home.sent if m.topic == "hermes/tts/say")
    other = {"error": "nope", "siteId": "kitchen", "sessionId": say["sessionId"]}
    home.raw("hermes/error/tts", json.dumps(other))
    home.raw("hermes/error/tts", json.dumps({**other, "siteId": "bathroom", "sessionId": "x"}))
    assert home.replies("announce") == []
    failure = {"error": "speaker unplugged", "siteId": "bathroom", "sessionId": say["sessionId"]}
    home.raw("hermes/error/tts", json.dumps(failure))
    (reply,) = home.replies("announce")
    assert reply["status"] == "error" and reply["transaction"] is None
    assert "speaker unplugged" in reply["error"]


# --- the espeak-ng speaker daemon -----------------------------------------------------------


def failing_espeak(folder: Path) -> Path:
    script = folder / "espeak-ng"
    script.write_text("#!/bin/sh\necho 'espeak-ng: no voice for en-zz' >&2\nexit 1\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


@pytest.fixture
def daemon_and_spy(mosquitto: MosquittoBroker, tmp_path: Path) -> Iterator[Any]:
    espeak = failing_espeak(tmp_path)
    daemon = SpeakerDaemon(BrokerConfig(url=mosquitto.url), "bedroom", espeak=str(espeak))
    daemon.start()
    assert daemon.connected.wait(5)
    spy = Spy(mosquitto, "hermes/error/tts", "hermes/tts/sayFinished")
    yield daemon, spy, espeak
    spy.stop()
    daemon.stop()


def say_until(spy: Spy, topic: str, say: dict[str, Any]) -> list[dict[str, Any]]:
    def answered() -> bool:
        if not spy.on(topic):
            spy.publish("hermes/tts/say", json.dumps(say))
            time.sleep(0.3)
        return bool(spy.on(topic))

    assert wait_until(answered, timeout=10)
    return [json.loads(p) for p in spy.on(topic)]


def test_the_speaker_daemon_reports_a_failing_espeak(daemon_and_spy: Any) -> None:
    _, spy, _ = daemon_and_spy
    say = {"text": "Your bath is ready", "siteId": "bedroom", "id": "s1", "sessionId": "sess-1"}
    error = say_until(spy, "hermes/error/tts", say)[0]
    assert error["siteId"] == "bedroom" and error["sessionId"] == "sess-1"
    assert error["context"] == "s1" and "no voice for en-zz" in error["error"]
    assert spy.on("hermes/tts/sayFinished") == []


def test_the_speaker_daemon_reports_a_missing_espeak(daemon_and_spy: Any) -> None:
    _, spy, espeak = daemon_and_spy
    espeak.unlink()
    say = {"text": "Your bath is ready", "siteId": "bedroom", "id": "s2", "sessionId": "sess-2"}
    error = say_until(spy, "hermes/error/tts", say)[0]
    assert error["sessionId"] == "sess-2" and "espeak-ng" in error["error"]
    assert spy.on("hermes/tts/sayFinished") == []


def test_the_speaker_daemon_refuses_to_start_without_its_binary(
    mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    daemon = SpeakerDaemon(BrokerConfig(url=mosquitto.url), espeak=str(tmp_path / "nothing"))
    with pytest.raises(BridgeError, match="nothing"):
        daemon.start()
