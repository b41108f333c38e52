"""Zigbee2MQTT auto-off: `on_time`, Tuya's `countdown`, or none, against simulated firmware.

Zigbee2MQTT sends `on_time` as onWithTimedOff in tenths of a second; Tuya plugs such as the
TS011F read that as a toggle countdown in seconds (Koenkk/zigbee2mqtt#22182), so the device-side
auto-off is chosen per device, and the bridge's own timer always runs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from home_support import RunningHome, started_homes
from mqtt_support import BridgeProcess, Spy, integration_document, wait_until

from mqtt_bridge.adapters import Zigbee2MqttDevice
from mqtt_bridge.broker import MosquittoBroker
from mqtt_bridge.client import BridgeClient
from mqtt_bridge.config import BridgeConfig, Role, parse_config
from mqtt_bridge.errors import ConfigError
from mqtt_bridge.simulators import SimulatedHome, TuyaCountdownPlug, Zigbee2MqttSwitch

PLUG = "pad plug"
SET = f"zigbee2mqtt/{PLUG}/set"
GET = f"zigbee2mqtt/{PLUG}/get"


def payloads(messages: list[Any]) -> list[tuple[str, Any]]:
    return [(message.topic, json.loads(message.payload)) for message in messages]


# --- what the adapter sends ----------------------------------------------------------------


def test_without_a_choice_no_device_timer_is_sent_and_the_state_is_read_back() -> None:
    plug = Zigbee2MqttDevice(PLUG)
    assert plug.auto_off is False
    assert payloads(plug.turn_on(300)) == [(SET, {"state": "ON"}), (GET, {"state": ""})]
    assert payloads(plug.turn_off()) == [(SET, {"state": "OFF"}), (GET, {"state": ""})]


def test_on_time_is_seconds_as_zigbee2mqtt_exposes_it() -> None:
    plug = Zigbee2MqttDevice(PLUG, auto_off_command="on_time")
    assert plug.auto_off is True
    assert payloads(plug.turn_on(300)) == [
        (SET, {"state": "ON", "on_time": 300}),
        (GET, {"state": ""}),
    ]


def test_tuya_countdown_is_seconds_within_its_twelve_hours() -> None:
    plug = Zigbee2MqttDevice(PLUG, auto_off_command="countdown")
    assert plug.auto_off is True
    assert payloads(plug.turn_on(1200)) == [
        (SET, {"state": "ON", "countdown": 1200}),
        (GET, {"state": ""}),
    ]
    # Longer than the converter accepts: the device goes off early rather than never.
    assert payloads(plug.turn_on(50_000))[0] == (SET, {"state": "ON", "countdown": 43200})
    # A plain OFF also cancels a running countdown (the converter sends the state first).
    assert payloads(plug.turn_off())[0] == (SET, {"state": "OFF"})


def _pad(adapter: dict[str, Any], role: str = "heating_pad") -> dict[str, Any]:
    return {"home": "h", "devices": {"pad": {"role": role, "adapter": adapter}}}


@pytest.mark.parametrize(
    ("value", "expected"),
    [("on_time", "on_time"), ("countdown", "countdown"), ("none", "none"), (False, "none")],
)
def test_auto_off_is_read_from_the_config(value: object, expected: str) -> None:
    adapter = {"type": "zigbee2mqtt", "friendly_name": PLUG, "auto_off": value}
    device = parse_config(_pad(adapter), env={}).devices[0].adapter
    assert isinstance(device, Zigbee2MqttDevice)
    assert device.auto_off_command == expected


@pytest.mark.parametrize(
    ("adapter", "role", "message"),
    [
        (
            {"auto_off": "pulse"},
            "heating_pad",
            "devices.pad.adapter.auto_off: must be on_time, countdown or none",
        ),
        (
            {"auto_off": True},
            "heating_pad",
            "devices.pad.adapter.auto_off: must be on_time, countdown or none",
        ),
        (
            {"auto_off": "on_time"},
            "bath_temperature",
            "devices.pad.adapter.auto_off: only a heating_pad or bath_valve switches off",
        ),
    ],
)
def test_a_bad_auto_off_names_its_key(adapter: dict[str, Any], role: str, message: str) -> None:
    document = _pad({"type": "zigbee2mqtt", "friendly_name": PLUG, **adapter}, role)
    with pytest.raises(ConfigError, match=message):
        parse_config(document, env={})


# --- the simulated firmware ----------------------------------------------------------------


def test_a_tuya_plug_sent_on_time_stays_off_and_toggles_ten_times_late(
    mosquitto: MosquittoBroker,
) -> None:
    plug = TuyaCountdownPlug("tuya", mosquitto.host, mosquitto.port, scale=100.0)
    plug.start()
    spy = Spy(mosquitto)
    try:
        assert plug.connected.wait(5)
        spy.publish("zigbee2mqtt/tuya/set", json.dumps({"state": "ON", "on_time": 1}))
        assert wait_until(lambda: plug.timers_armed == [10.0])
        assert not plug.on  # not switched on: only a countdown armed
        assert wait_until(lambda: plug.on, timeout=2)  # 10 s at 100x, and it turned ON
    finally:
        spy.stop()
        plug.stop()


# --- the bridge with each kind of device, on a real Mosquitto ------------------------------

SCALE = 60.0  # one minute of heat takes one second


class Z2mHome(RunningHome):
    """The bridge, a Zigbee2MQTT pad plug of a chosen kind and a client, on one broker."""

    def __init__(self, config: BridgeConfig, broker: MosquittoBroker, plug: Zigbee2MqttSwitch):
        super().__init__(config, broker)
        self.events: list[str] = []
        self.devices.devices[Role.HEATING_PAD] = plug  # the firmware under test
        self.plug = plug


def _document(broker: MosquittoBroker, tmp_path: Path, auto_off: str | None) -> dict[str, Any]:
    from bridge_support import HOME

    adapter: dict[str, Any] = {"type": "zigbee2mqtt", "friendly_name": PLUG}
    if auto_off is not None:
        adapter["auto_off"] = auto_off
    devices = dict(HOME["devices"])
    devices["heating_pad"] = {"role": "heating_pad", "adapter": adapter}
    return integration_document(broker, tmp_path, devices=devices)


KINDS = {
    # A genOnOff plug that honours on_time and does not report by itself: only /get answers.
    "on_time": lambda broker, reports=False, **kw: Zigbee2MqttSwitch(
        PLUG, broker.host, broker.port, reports=reports, **kw
    ),
    "countdown": lambda broker, reports=False, **kw: TuyaCountdownPlug(
        PLUG, broker.host, broker.port, reports=reports, **kw
    ),
}


@pytest.fixture
def make_home(mosquitto: MosquittoBroker, tmp_path: Path) -> Iterator[Any]:
    with started_homes() as start:

        def make(kind: str, auto_off: str | None) -> Z2mHome:
            config = parse_config(_document(mosquitto, tmp_path, auto_off), env={})
            return start(Z2mHome(config, mosquitto, KINDS[kind](mosquitto, scale=SCALE)))

        yield make


def test_an_existing_config_on_a_tuya_plug_switches_on_now_and_arms_no_toggle(
    make_home: Any,
) -> None:
    """Before: `on_time` left the plug off (a toggle armed for 10x later) and the start failed."""
    home = make_home("countdown", auto_off=None)
    reply = home.request("heat/start", minutes=2)
    assert reply["status"] == "ok", reply
    assert reply["data"]["device_auto_off"] is False
    assert home.plug.on
    assert home.plug.timers_armed == [], "no toggle may be armed on a plug nobody described"
    assert wait_until(lambda: not home.plug.on, timeout=6)  # the bridge's own timer


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_gets_its_own_timer_in_seconds_and_the_bridge_still_sends_off(
    make_home: Any, mosquitto: MosquittoBroker, kind: str
) -> None:
    spy = Spy(mosquitto, SET)
    try:
        home = make_home(kind, auto_off=kind)
        started = time.monotonic()
        reply = home.request("heat/start", minutes=2)
        # A device that publishes nothing after on_time is confirmed by the /get answer.
        assert reply["status"] == "ok", reply
        assert reply["data"]["device_auto_off"] is True
        assert home.plug.on
        assert home.plug.timers_armed == [120.0], "the device's own timer is two minutes"
        # The bridge's timer runs as well: OFF at the deadline, whatever the device does.
        assert wait_until(lambda: {"state": "OFF"} in map(json.loads, spy.on(SET)), timeout=6)
        assert 1.5 <= time.monotonic() - started <= 4.5
        assert wait_until(lambda: not home.plug.on)
        assert wait_until(lambda: home.request("status")["data"]["timers"] == [])
        assert json.loads(spy.on(SET)[0]) == {"state": "ON", kind: 120}
    finally:
        spy.stop()


class DeadBridgeHome:
    """The bridge as a process (to kill), a pad plug of a chosen kind and a client."""

    def __init__(
        self, broker: MosquittoBroker, tmp_path: Path, kind: str, scale: float, **plug: Any
    ) -> None:
        document = _document(broker, tmp_path, kind)
        config = parse_config(document, env={})
        self.events: list[tuple[float, str]] = []
        self.plug = KINDS[kind](
            broker,
            scale=scale,
            on_event=lambda line: self.events.append((time.monotonic(), line)),
            **plug,
        )
        self.devices = SimulatedHome(config, broker.host, broker.port, scale=scale)
        self.devices.devices[Role.HEATING_PAD] = self.plug
        self.devices.start()
        self.process = BridgeProcess(document, tmp_path, scale, time.time())
        self.process.start(broker)
        self.client = BridgeClient(config.broker)
        self.client.start()

    def request(self, verb: str, **params: Any) -> dict[str, Any]:
        return self.client.request("test_home", verb, params, timeout=8)

    def stop(self) -> None:
        self.client.stop()
        self.process.terminate()
        self.devices.stop()


@pytest.mark.parametrize("kind", list(KINDS))
def test_with_the_bridge_dead_each_kind_switches_itself_off_on_time(
    private_broker: MosquittoBroker, tmp_path: Path, kind: str
) -> None:
    home = DeadBridgeHome(private_broker, tmp_path, kind, scale=30.0)
    try:
        reply = home.request("heat/start", minutes=2)
        assert reply["status"] == "ok", reply
        started = time.monotonic()  # two minutes at 30x: the deadline is 4 s away
        home.process.kill()
        # Only the device's own timer is left; ten times late would be 40 s.
        assert wait_until(lambda: not home.plug.on, timeout=10)
        (off_at, line) = home.events[-1]
        assert "OFF (" in line and "by hand" not in line, line
        assert 3.0 <= off_at - started <= 4 + 2, f"off after {off_at - started:.1f}s, due 4s"
    finally:
        home.stop()


def test_a_countdown_left_by_an_early_off_is_cancelled_before_it_can_toggle_on(
    private_broker: MosquittoBroker, tmp_path: Path
) -> None:
    """Switched off by hand mid-session, a Tuya countdown would toggle the pad back ON."""
    home = DeadBridgeHome(private_broker, tmp_path, "countdown", scale=30.0, reports=True)
    try:
        assert home.request("heat/start", minutes=2)["status"] == "ok"
        assert home.plug.countdown == 120
        home.plug.press(False)
        # The bridge hears the early off and cancels the countdown with a state command...
        assert wait_until(lambda: home.plug.countdown == 0, timeout=3)
        home.process.kill()
        # ...so with the bridge dead, nothing switches the pad on at the deadline (4 s away).
        time.sleep(5)
        assert not home.plug.on, home.events
    finally:
        home.stop()
