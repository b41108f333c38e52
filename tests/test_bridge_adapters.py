"""Device adapters: the exact topics and payloads of each firmware, both ways."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mqtt_bridge.adapters import (
    GenericDevice,
    HermesSpeaker,
    Observation,
    ShellySwitch,
    TasmotaSwitch,
    TopicSpeaker,
    Zigbee2MqttDevice,
    pulse_seconds,
    pulse_time,
)
from mqtt_bridge.errors import ConfigError


@pytest.mark.parametrize(
    ("seconds", "value"),
    [
        (0, 0),
        (0.5, 5),
        (11.1, 111),
        (11.2, 112),
        (12, 112),
        (60, 160),
        (1200, 1300),
        (3600, 3700),
        (10**6, 64900),
    ],
)
def test_pulsetime_encoding(seconds: float, value: int) -> None:
    assert pulse_time(seconds) == value


@pytest.mark.parametrize(("value", "seconds"), [(0, 0), (5, 0.5), (111, 11.1), (1300, 1200)])
def test_pulsetime_decoding(value: int, seconds: float) -> None:
    assert pulse_seconds(value) == pytest.approx(seconds)


def test_tasmota_single_relay() -> None:
    plug = TasmotaSwitch("heatpad")
    # One message on one topic: the plug runs PulseTime before Power ON, never the other way.
    assert [(m.topic, m.payload) for m in plug.turn_on(1200)] == [
        ("cmnd/heatpad/Backlog0", "PulseTime1 1300; Power1 ON")
    ]
    assert [(m.topic, m.payload) for m in plug.turn_off()] == [
        ("cmnd/heatpad/Backlog0", "Power1 OFF; PulseTime1 0")
    ]
    assert all(not m.retain for m in plug.turn_on(60) + plug.turn_off()), "never retain commands"
    assert plug.parse("stat/heatpad/RESULT", b'{"POWER":"ON"}') == Observation(on=True, online=True)
    assert plug.parse("stat/heatpad/POWER", b"OFF") == Observation(on=False, online=True)
    assert plug.parse("tele/heatpad/LWT", b"Offline") == Observation(online=False)
    assert plug.parse("tele/heatpad/STATE", b'{"Time":"x","POWER":"ON"}') == Observation(
        on=True, online=True
    )
    assert plug.query()[0].payload == ""


@pytest.mark.parametrize(
    ("reply", "seconds"),
    [
        (b'{"PulseTime1":{"Set":1300,"Remaining":1300}}', 1200.0),
        (b'{"PulseTime1":{"Set":5,"Remaining":0}}', 0.5),
        (b'{"PulseTime1":{"Set":0,"Remaining":0}}', 0.0),
    ],
)
def test_tasmota_pulsetime_reply_is_read_as_the_auto_off_it_holds(
    reply: bytes, seconds: float
) -> None:
    plug = TasmotaSwitch("heatpad")
    assert plug.parse("stat/heatpad/RESULT", reply) == Observation(online=True, auto_off_s=seconds)


@pytest.mark.parametrize(
    "reply",
    [
        b'{"PulseTime2":{"Set":1300,"Remaining":1300}}',  # another relay's
        b'{"PulseTime1":{"Set":"1300"}}',
        b'{"PulseTime1":{"Set":true}}',
        b'{"PulseTime1":{"Set":-5}}',
        b'{"PulseTime1":1300}',
        b'{"PulseTime":{"Set":[1300,0,0,0,0,0,0,0]}}',  # the all-relays listing
    ],
)
def test_tasmota_other_pulsetime_replies_say_nothing(reply: bytes) -> None:
    assert TasmotaSwitch("heatpad").parse("stat/heatpad/RESULT", reply) is None


@pytest.mark.parametrize("relay", [None, 1])
def test_tasmota_relay_one_answers_as_power_or_power1(relay: int | None) -> None:
    # SetOption26 1 makes a one-relay plug say POWER1 in every reply; 0 (the default) says POWER.
    plug = TasmotaSwitch("heatpad", relay=relay)
    assert {"stat/heatpad/POWER", "stat/heatpad/POWER1"} <= set(plug.subscriptions())
    for name in ("POWER", "POWER1"):
        on = Observation(on=True, online=True)
        assert plug.parse(f"stat/heatpad/{name}", b"ON") == on
        assert plug.parse("stat/heatpad/RESULT", f'{{"{name}":"ON"}}'.encode()) == on
        assert plug.parse("tele/heatpad/STATE", f'{{"{name}":"OFF"}}'.encode()) == Observation(
            on=False, online=True
        )


def test_tasmota_multi_relay_uses_numbered_power() -> None:
    strip = TasmotaSwitch("strip", relay=2)
    assert "stat/strip/POWER2" in strip.subscriptions()
    assert [(m.topic, m.payload) for m in strip.turn_on(30)] == [
        ("cmnd/strip/Backlog0", "PulseTime2 130; Power2 ON")
    ]
    assert strip.parse("stat/strip/RESULT", b'{"PulseTime2":{"Set":130}}') == Observation(
        online=True, auto_off_s=30.0
    )
    assert strip.parse("stat/strip/RESULT", b'{"POWER1":"ON"}') is None
    assert strip.parse("stat/strip/RESULT", b'{"POWER2":"ON"}') == Observation(on=True, online=True)


def test_shelly_rpc() -> None:
    valve = ShellySwitch("shellyplus1-abc", 0)
    (message,) = valve.turn_on(600)
    request = json.loads(message.payload)
    assert message.topic == "shellyplus1-abc/rpc"
    assert request["method"] == "Switch.Set" and request["src"] == valve.source
    # Without a configuration to name it after the bridge, each adapter gets a src of its own.
    assert valve.source.startswith("recovery-coach-") and valve.source != ShellySwitch("x").source
    assert request["params"] == {"id": 0, "on": True, "toggle_after": 600}
    assert valve.parse("shellyplus1-abc/status/switch:0", b'{"id":0,"output":true}') == Observation(
        on=True, online=True
    )
    notify = {"method": "NotifyStatus", "params": {"ts": 1, "switch:0": {"id": 0, "output": False}}}
    assert valve.parse("shellyplus1-abc/events/rpc", json.dumps(notify).encode()) == Observation(
        on=False, online=True
    )
    other = {"method": "NotifyStatus", "params": {"switch:1": {"output": True}}}
    assert valve.parse("shellyplus1-abc/events/rpc", json.dumps(other).encode()) is None
    assert f"{valve.source}/rpc" in valve.subscriptions()
    reply: dict[str, Any] = {
        "id": 3,
        "src": "shellyplus1-abc",
        "dst": valve.source,
        "result": {"output": True},
    }
    assert valve.parse(f"{valve.source}/rpc", json.dumps(reply).encode()) == Observation(
        on=True, online=True
    )
    failed = {**reply, "error": {"code": -105, "message": "Bad id=0"}}
    del failed["result"]
    assert valve.parse(f"{valve.source}/rpc", json.dumps(failed).encode()) == Observation(
        online=True, error="Bad id=0 (code -105)"
    )
    reply["src"] = "another-shelly"
    assert valve.parse(f"{valve.source}/rpc", json.dumps(reply).encode()) is None
    assert valve.parse("shellyplus1-abc/online", b"false") == Observation(online=False)


def test_zigbee2mqtt() -> None:
    plug = Zigbee2MqttDevice("bath valve", auto_off_command="on_time")
    message, read_back = plug.turn_on(300)
    assert message.topic == "zigbee2mqtt/bath valve/set"
    assert json.loads(message.payload) == {"state": "ON", "on_time": 300}
    assert read_back.topic == "zigbee2mqtt/bath valve/get"
    assert json.loads(plug.query()[0].payload) == {"state": ""}
    assert plug.parse("zigbee2mqtt/bath valve", b'{"state":"ON","linkquality":80}') == Observation(
        on=True
    )
    assert plug.parse("zigbee2mqtt/bath valve/availability", b'{"state":"offline"}') == Observation(
        online=False
    )
    assert plug.parse("zigbee2mqtt/bath valve/availability", b"online") == Observation(online=True)
    sensor = Zigbee2MqttDevice("leak", base_topic="z2m")
    assert sensor.parse("z2m/leak", b'{"water_leak":true,"battery":80}') == Observation(wet=True)
    assert sensor.parse("z2m/leak", b'{"temperature":"38.5"}') == Observation(temperature_c=38.5)
    assert sensor.parse("z2m/leak", b'{"battery":80}') is None


def test_generic_device_with_json_path() -> None:
    device = GenericDevice(
        state_topic="home/pad/state",
        command_topic="home/pad/cmd",
        value_path="relay.0",
        state_on="1",
        state_off="0",
        availability_topic="home/pad/lwt",
    )
    assert [(m.topic, m.payload) for m in device.turn_on(60)] == [("home/pad/cmd", "ON")]
    assert device.auto_off is False
    assert device.parse("home/pad/state", b'{"relay":[1]}') == Observation(on=True)
    assert device.parse("home/pad/lwt", b"offline") == Observation(online=False)
    assert device.parse("home/pad/state", b"garbage") is None


def test_speakers() -> None:
    satellite = HermesSpeaker("bedroom", "en-GB")
    (say,) = satellite.say("Bath ready", "id-1")
    assert say.topic == "hermes/tts/say"
    assert json.loads(say.payload) == {
        "text": "Bath ready",
        "siteId": "bedroom",
        "id": "id-1",
        "sessionId": "id-1",
        "lang": "en-GB",
    }
    finished = json.dumps({"id": "id-1", "siteId": "bedroom"}).encode()
    assert satellite.finished("hermes/tts/sayFinished", finished) == "id-1"
    elsewhere = json.dumps({"id": "id-1", "siteId": "kitchen"}).encode()
    assert satellite.finished("hermes/tts/sayFinished", elsewhere) is None
    plain = TopicSpeaker("home/tts")
    assert [(m.topic, m.payload) for m in plain.say("Hi", "x")] == [("home/tts", "Hi")]
    assert plain.confirms is False


@pytest.mark.parametrize(
    "build",
    [
        lambda: TasmotaSwitch("has/slash"),
        lambda: TasmotaSwitch("plug", relay=40),
        lambda: ShellySwitch("bad#id"),
        lambda: Zigbee2MqttDevice("x/set"),
        lambda: GenericDevice(state_topic="a/#"),
        lambda: TopicSpeaker(""),
    ],
)
def test_bad_adapter_settings_are_refused(build: object) -> None:
    with pytest.raises(ConfigError):
        build()  # type: ignore[operator]


@pytest.mark.parametrize(
    ("full_topic", "cmnd", "stat", "tele"),
    [
        ("%prefix%/%topic%/", "cmnd/pad/Backlog0", "stat/pad/RESULT", "tele/pad/LWT"),
        ("home/%topic%/%prefix%/", "home/pad/cmnd/Backlog0", "home/pad/stat/RESULT", None),
        ("%prefix%/flat/%topic%", "cmnd/flat/pad/Backlog0", "stat/flat/pad/RESULT", None),
        # Without %prefix% the firmware adds it to commands only; replies carry none.
        ("house/%topic%/", "house/pad/cmnd/Backlog0", "house/pad/RESULT", "house/pad/LWT"),
    ],
)
def test_tasmota_full_topic(full_topic: str, cmnd: str, stat: str, tele: str | None) -> None:
    plug = TasmotaSwitch("pad", full_topic=full_topic)
    assert plug.turn_on(60)[0].topic == cmnd
    assert stat in plug.subscriptions()
    assert plug.parse(stat, b'{"POWER":"ON"}') == Observation(on=True, online=True)
    if tele is not None:
        assert tele in plug.subscriptions()
        assert plug.parse(tele, b"Offline") == Observation(online=False)


@pytest.mark.parametrize(
    "full_topic",
    ["%prefix%/plug/", "%prefix%/%topic%/#", "a b/%topic%", "%prefix%/%hostname%/%topic%", ""],
)
def test_tasmota_full_topic_is_checked(full_topic: str) -> None:
    with pytest.raises(ConfigError, match=r"adapter\.full_topic"):
        TasmotaSwitch("pad", full_topic=full_topic)
