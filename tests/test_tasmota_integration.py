"""Tasmota plugs as their firmware really behaves, against a real Mosquitto and the bridge.

SetOption26 (POWER1 on a one-relay plug), Backlog0 (PulseTime and Power in one ordered message),
a PulseTime reply that never comes, and a custom FullTopic.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bridge_support import HOME
from home_support import started_homes
from mqtt_support import Spy, integration_config, wait_until
from test_bridge_integration import Home
from test_voice_home import VoiceHome

from mqtt_bridge.broker import MosquittoBroker
from mqtt_bridge.config import Role

AUTO_OFF_ERROR = (
    "the heating pad switched on but did not confirm its own auto-off timer, "
    "so I've switched it off"
)


def with_pad(**adapter: Any) -> dict[str, Any]:
    devices = dict(HOME["devices"])
    devices["heating_pad"] = {
        "role": "heating_pad",
        "adapter": {"type": "tasmota", "topic": "heatpad", **adapter},
    }
    return devices


@pytest.fixture
def make_home(mosquitto: MosquittoBroker, tmp_path: Path) -> Iterator[Any]:
    with started_homes() as start:
        yield lambda **changes: start(
            Home(integration_config(mosquitto, tmp_path, **changes), mosquitto)
        )


def test_a_plug_with_setoption26_confirms(make_home: Any) -> None:
    home = make_home()
    pad = home[Role.HEATING_PAD]
    pad.set_option26 = True  # it now answers POWER1 where it answered POWER
    reply = home.request("heat/start", minutes=2)
    assert reply["status"] == "ok", reply
    assert pad.on
    status = home.request("status")["data"]
    assert status["heat"]["running"] is True
    assert home.request("heat/stop")["data"] == {"was_on": True}
    assert not pad.on


def test_pulsetime_and_power_go_as_one_backlog0(make_home: Any, mosquitto: MosquittoBroker) -> None:
    home = make_home()
    spy = Spy(mosquitto, "cmnd/heatpad/#")
    try:
        assert home.request("heat/start", minutes=20)["status"] == "ok"
        # One message on one topic: the plug cannot run Power ON before PulseTime.
        assert [(topic, payload) for topic, payload, _ in spy.messages] == [
            ("cmnd/heatpad/Backlog0", "PulseTime1 1300; Power1 ON")
        ]
        assert home[Role.HEATING_PAD].pulse_time == 1300
        assert home.request("heat/stop")["status"] == "ok"
        assert wait_until(lambda: len(spy.messages) == 2)
        assert spy.messages[1][:2] == ("cmnd/heatpad/Backlog0", "Power1 OFF; PulseTime1 0")
        assert all(not retained for _, _, retained in spy.messages), "never retain commands"
    finally:
        spy.stop()


def test_no_pulsetime_reply_means_off_and_an_error(make_home: Any) -> None:
    home = make_home()
    pad = home[Role.HEATING_PAD]
    pad.pulse_replies = False  # it switches on, but never says its auto-off is set
    reply = home.request("heat/start", minutes=20)
    assert reply["status"] == "error", "never 'on' without the device's own auto-off confirmed"
    assert reply["code"] == "device_timeout" and reply["error"] == AUTO_OFF_ERROR
    assert wait_until(lambda: not pad.on), "switched off again"
    # The simulator's flag flips before its OFF report reaches the bridge: wait for the bridge.
    assert wait_until(lambda: home.request("status")["data"]["heat"]["running"] is False)


def test_the_user_hears_that_the_auto_off_failed(
    mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    home = VoiceHome(mosquitto, tmp_path)
    home.start()
    try:
        pad = home[Role.HEATING_PAD]
        pad.pulse_replies = False
        runner = home.runner()
        runner.say("turn on the heating pad for one minute")
        assert runner.say("yes") == f"I couldn't turn on the heating pad: {AUTO_OFF_ERROR}."
        assert wait_until(lambda: not pad.on)
    finally:
        home.stop()


def test_a_custom_full_topic(make_home: Any, mosquitto: MosquittoBroker) -> None:
    spy = Spy(mosquitto, "home/heatpad/#")
    try:
        home = make_home(devices=with_pad(full_topic="home/%topic%/%prefix%/"))
        pad = home[Role.HEATING_PAD]
        assert pad.subscriptions() == ["home/heatpad/cmnd/#"]
        reply = home.request("heat/start", minutes=2)
        assert reply["status"] == "ok", reply
        assert pad.on and pad.pulse_time == 220
        sent = [t for t, _, _ in spy.messages]
        assert "home/heatpad/cmnd/Backlog0" in sent and "home/heatpad/stat/RESULT" in sent
        # Its own auto-off, two minutes at 60x, is heard through the custom topics too.
        assert wait_until(lambda: not pad.on, timeout=6)
        assert wait_until(lambda: home.request("status")["data"]["heat"]["running"] is False)
    finally:
        spy.stop()
