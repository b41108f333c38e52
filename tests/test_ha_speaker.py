"""The Home Assistant speaker: config, its REST call on a real local server, core, bridge."""

from __future__ import annotations

import copy
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from bridge_support import home_document
from ha_support import TOKEN, FakeHomeAssistant
from mqtt_support import integration_document

from mqtt_bridge.adapters.speakers import HomeAssistantSpeaker, Utterance
from mqtt_bridge.bridge import Bridge
from mqtt_bridge.broker import MosquittoBroker
from mqtt_bridge.client import BridgeClient
from mqtt_bridge.config import BridgeConfig, Role, parse_config
from mqtt_bridge.core import BridgeCore
from mqtt_bridge.errors import ConfigError
from mqtt_bridge.ha_speech import SPEAKER_FAILED, HomeAssistantVoice, Spoken, speak
from mqtt_bridge.protocol import TIMEOUT
from mqtt_bridge.store import TimerStore

ENV = {"HA_TOKEN": TOKEN}


def ha_adapter(url: str = "http://127.0.0.1:8123", **changes: Any) -> dict[str, Any]:
    adapter: dict[str, Any] = {
        "type": "homeassistant",
        "url": url,
        "token_env": "HA_TOKEN",
        "tts_entity": "tts.piper",
        "media_player": "media_player.bathroom",
    }
    adapter.update(changes)
    return {key: value for key, value in adapter.items() if value is not None}


def with_ha_speaker(document: dict[str, Any], **adapter: Any) -> dict[str, Any]:
    document = copy.deepcopy(document)
    document["devices"]["speaker"] = {"role": "speaker", "adapter": ha_adapter(**adapter)}
    return document


def ha_config(tmp_path: Path, env: dict[str, str] = ENV, **adapter: Any) -> BridgeConfig:
    document = with_ha_speaker(home_document(), **adapter)
    document["timer_database"] = str(tmp_path / "bridge.sqlite3")
    return parse_config(document, env=env)


def speaker_of(config: BridgeConfig) -> HomeAssistantSpeaker:
    device = config.device(Role.SPEAKER)
    assert device is not None and isinstance(device.adapter, HomeAssistantSpeaker)
    return device.adapter


@pytest.fixture
def fake_ha() -> Iterator[FakeHomeAssistant]:
    server = FakeHomeAssistant()
    yield server
    server.close()


# --- configuration -------------------------------------------------------------------------


def test_the_token_comes_from_the_variable_the_config_names_and_is_never_shown(
    tmp_path: Path,
) -> None:
    config = ha_config(tmp_path, env={"HA_TOKEN": f" {TOKEN}\n"})
    speaker = speaker_of(config)
    assert speaker.token == TOKEN
    assert (speaker.service, speaker.timeout_s) == ("tts.speak", 10.0)
    assert TOKEN not in repr(config)


def test_a_missing_token_is_a_keyed_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^devices\.speaker\.adapter\.token_env: HA_TOKEN"):
        ha_config(tmp_path, env={})


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"url": "ftp://ha.local"}, "url"),
        ({"url": "http://user:pw@ha.local:8123"}, "url"),
        ({"url": None}, "url"),
        ({"token_env": "HA TOKEN"}, "token_env"),
        ({"media_player": "light.bathroom"}, "media_player"),
        ({"media_player": None}, "media_player"),
        ({"tts_entity": None}, "tts_entity"),
        ({"tts_entity": "media_player.bathroom"}, "tts_entity"),
        ({"service": "tts.cloud_say"}, "service"),
        ({"service": "notify.send_message", "media_player": "notify.kitchen"}, "tts_entity"),
        ({"timeout_s": "fast"}, "timeout_s"),
        ({"timeout_s": 0}, "timeout_s"),
        ({"volume": 3}, "volume"),
    ],
)
def test_bad_settings_are_keyed_errors(tmp_path: Path, changes: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError, match=rf"^devices\.speaker\.adapter\.{key}: "):
        ha_config(tmp_path, **changes)


def test_the_other_services_target_their_own_entities(tmp_path: Path) -> None:
    notify = speaker_of(
        ha_config(
            tmp_path, service="notify.send_message", media_player="notify.kitchen", tts_entity=None
        )
    )
    assert notify.call("Hi") == (
        "http://127.0.0.1:8123/api/services/notify/send_message",
        {"entity_id": "notify.kitchen", "message": "Hi"},
    )
    satellite = speaker_of(
        ha_config(
            tmp_path,
            service="assist_satellite.announce",
            media_player="assist_satellite.kitchen",
            tts_entity=None,
        )
    )
    assert satellite.call("Hi")[0].endswith("/api/services/assist_satellite/announce")


# --- one call against a real HTTP server ----------------------------------------------------


def test_an_accepted_call_is_said(tmp_path: Path, fake_ha: FakeHomeAssistant) -> None:
    speaker = speaker_of(ha_config(tmp_path, url=fake_ha.url))
    assert speak(speaker, "Time to stretch.", 5) == Spoken("")
    (call,) = fake_ha.service_calls()
    assert call.path == "/api/services/tts/speak"
    assert call.authorization == f"Bearer {TOKEN}"
    assert call.body == {
        "entity_id": "tts.piper",
        "media_player_entity_id": "media_player.bathroom",
        "message": "Time to stretch.",
    }


def test_a_refused_token_fails_naming_the_variable_not_the_token(
    tmp_path: Path, fake_ha: FakeHomeAssistant
) -> None:
    speaker = speaker_of(ha_config(tmp_path, url=fake_ha.url, env={"HA_TOKEN": "stale-token"}))
    spoken = speak(speaker, "Hello", 5)
    assert spoken.code == SPEAKER_FAILED
    assert "401" in spoken.reason and "HA_TOKEN" in spoken.reason
    assert "stale-token" not in spoken.reason


def test_a_server_error_fails_with_its_status(tmp_path: Path, fake_ha: FakeHomeAssistant) -> None:
    fake_ha.status = 500
    spoken = speak(speaker_of(ha_config(tmp_path, url=fake_ha.url)), "Hello", 5)
    assert (spoken.code, "500" in spoken.reason) == (SPEAKER_FAILED, True)


def test_a_slow_home_assistant_times_out(tmp_path: Path, fake_ha: FakeHomeAssistant) -> None:
    fake_ha.delay_s = 3.0
    started = time.monotonic()
    spoken = speak(speaker_of(ha_config(tmp_path, url=fake_ha.url)), "Hello", 0.5)
    assert spoken.code == TIMEOUT and "0.5 s" in spoken.reason
    assert time.monotonic() - started < 2.5  # the timeout holds, not the server's 3 s


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        ({"tts.piper": "unknown"}, "no entity media_player.bathroom"),
        ({"media_player.bathroom": "idle"}, "no entity tts.piper"),
        ({"tts.piper": "unknown", "media_player.bathroom": "unavailable"}, "is unavailable"),
    ],
)
def test_a_missing_or_unavailable_entity_fails_before_the_call(
    tmp_path: Path, fake_ha: FakeHomeAssistant, states: dict[str, str], expected: str
) -> None:
    # Home Assistant itself answers 200 to a call on such entities, having done nothing.
    fake_ha.states = states
    spoken = speak(speaker_of(ha_config(tmp_path, url=fake_ha.url)), "Hello", 5)
    assert spoken.code == SPEAKER_FAILED and expected in spoken.reason
    assert fake_ha.service_calls() == []


def test_a_redirect_is_not_followed_with_the_token(
    tmp_path: Path, fake_ha: FakeHomeAssistant
) -> None:
    elsewhere = FakeHomeAssistant()
    try:
        fake_ha.redirect_to = f"{elsewhere.url}/api/services/tts/speak"
        spoken = speak(speaker_of(ha_config(tmp_path, url=fake_ha.url)), "Hello", 5)
        assert spoken.code == SPEAKER_FAILED and "redirected" in spoken.reason
        assert elsewhere.calls == []
    finally:
        elsewhere.close()


def test_an_unreachable_home_assistant_fails(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    spoken = speak(speaker_of(ha_config(tmp_path, url=f"http://127.0.0.1:{port}")), "Hello", 5)
    assert spoken.code == SPEAKER_FAILED and "cannot reach" in spoken.reason


def test_the_worker_reports_each_utterance_under_its_id(
    tmp_path: Path, fake_ha: FakeHomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    reports: list[Spoken] = []
    done = threading.Event()

    def report(spoken: Spoken) -> None:
        reports.append(spoken)
        if len(reports) == 2:
            done.set()

    voice = HomeAssistantVoice(speaker_of(ha_config(tmp_path, url=fake_ha.url)), report)
    voice.start()
    try:
        voice.say(Utterance("req-1", "One"))
        voice.say(Utterance("req-2", "Two"))
        assert done.wait(10)
    finally:
        voice.stop()
    assert [(s.say_id, s.code) for s in reports] == [("req-1", None), ("req-2", None)]
    assert [c.body["message"] for c in fake_ha.service_calls()] == ["One", "Two"]
    assert TOKEN not in caplog.text


# --- the core: an announcement is answered by what Home Assistant said ----------------------


class HaCore:
    def __init__(self, tmp_path: Path) -> None:
        self.core = BridgeCore(ha_config(tmp_path), TimerStore(tmp_path / "bridge.sqlite3"))
        self.now = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
        self.core.start(self.now)
        self.core.connected(self.now)

    def announce(self, text: str, transaction: str = "t1") -> list[dict[str, Any]]:
        payload = json.dumps({"text": text, "transaction": transaction}).encode()
        sent = self.core.message("recovery/test_home/request/announce", payload, self.now)
        return replies(sent)


def replies(messages: list[Any]) -> list[dict[str, Any]]:
    return [
        json.loads(m.payload) for m in messages if m.topic == "recovery/test_home/response/announce"
    ]


def test_the_core_answers_an_announcement_only_when_home_assistant_said_it(
    tmp_path: Path,
) -> None:
    ha = HaCore(tmp_path)
    assert ha.announce("Time to stretch.") == []
    (utterance,) = ha.core.utterances()
    assert utterance.words == "Time to stretch." and ha.core.utterances() == []
    (reply,) = replies(ha.core.spoken(utterance.say_id, None, "", ha.now))
    assert reply["status"] == "ok" and reply["data"] == {"id": utterance.say_id, "confirmed": True}


def test_the_core_answers_a_failed_call_as_an_error(tmp_path: Path) -> None:
    ha = HaCore(tmp_path)
    ha.announce("Time to stretch.")
    (utterance,) = ha.core.utterances()
    reason = "Home Assistant refused the token in HA_TOKEN (401)"
    (reply,) = replies(ha.core.spoken(utterance.say_id, SPEAKER_FAILED, reason, ha.now))
    assert (reply["status"], reply["code"], reply["error"]) == ("error", SPEAKER_FAILED, reason)


def test_the_core_gives_up_if_no_report_ever_comes(tmp_path: Path) -> None:
    ha = HaCore(tmp_path)
    ha.announce("Time to stretch.")
    ha.core.utterances()
    assert replies(ha.core.tick(ha.now + timedelta(seconds=14))) == []
    (reply,) = replies(ha.core.tick(ha.now + timedelta(seconds=16)))  # timeout_s 10 + 5
    assert reply["code"] == TIMEOUT


def test_a_routine_step_home_assistant_could_not_say_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ha = HaCore(tmp_path)
    payload = json.dumps({"name": "sore_calves", "transaction": "r1"}).encode()
    ha.core.message("recovery/test_home/request/routine/start", payload, ha.now)
    said = ha.core.utterances()
    assert said, "the routine's first step is announced"
    with caplog.at_level(logging.WARNING):
        out = ha.core.spoken(said[0].say_id, TIMEOUT, "Home Assistant did not answer", ha.now)
    # As for any speaker: nobody asked, so the error goes out without a transaction (and is logged).
    (reply,) = replies(out)
    assert (reply["transaction"], reply["code"]) == (None, TIMEOUT)
    assert "did not answer" in caplog.text


# --- the bridge on a real Mosquitto ---------------------------------------------------------


@pytest.fixture
def ha_home(
    mosquitto: MosquittoBroker, tmp_path: Path, fake_ha: FakeHomeAssistant
) -> Iterator[Any]:
    started: list[tuple[Bridge, BridgeClient]] = []

    def start(env: dict[str, str] = ENV) -> BridgeClient:
        document = with_ha_speaker(integration_document(mosquitto, tmp_path), url=fake_ha.url)
        config = parse_config(document, env=env)
        bridge = Bridge(config)
        client = BridgeClient(config.broker)
        bridge.start()
        assert bridge.connected.wait(5)
        client.start()
        started.append((bridge, client))
        return client

    yield start
    for bridge, client in started:
        client.stop()
        bridge.stop()


def test_the_bridge_answers_ok_only_after_home_assistant_got_the_call(
    ha_home: Any, fake_ha: FakeHomeAssistant
) -> None:
    fake_ha.delay_s = 1.0
    client = ha_home()
    started = time.monotonic()
    reply = client.request("test_home", "announce", {"text": "Time to stretch."}, timeout=8)
    assert reply["status"] == "ok" and reply["data"]["confirmed"] is True
    assert time.monotonic() - started >= 1.0  # not before Home Assistant finished the call
    (call,) = fake_ha.service_calls()
    assert call.body["message"] == "Time to stretch."


def test_the_bridge_answers_a_refused_token_as_an_error(
    ha_home: Any, fake_ha: FakeHomeAssistant
) -> None:
    client = ha_home(env={"HA_TOKEN": "wrong"})
    reply = client.request("test_home", "announce", {"text": "Time to stretch."}, timeout=8)
    assert reply["status"] == "error" and reply["code"] == SPEAKER_FAILED
    assert "401" in reply["error"]


def test_a_slow_home_assistant_does_not_hold_up_other_requests(
    ha_home: Any, fake_ha: FakeHomeAssistant
) -> None:
    fake_ha.delay_s = 4.0
    client = ha_home()
    announced: list[dict[str, Any]] = []
    waiting = threading.Thread(
        target=lambda: announced.append(
            client.request("test_home", "announce", {"text": "Slowly."}, timeout=9)
        )
    )
    waiting.start()
    assert _wait(lambda: fake_ha.service_calls() != [])
    # Answered while Home Assistant still holds the announcement's call.
    assert client.request("test_home", "status", timeout=3)["status"] == "ok"
    assert announced == []
    waiting.join(10)
    assert announced[0]["status"] == "ok"


def _wait(predicate: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False
