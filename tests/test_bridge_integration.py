"""The bridge against a real Mosquitto, with simulated Tasmota, Shelly and Zigbee2MQTT devices."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from home_support import started_homes
from mqtt_support import BridgeProcess, Spy, integration_config, integration_document, wait_until

from mqtt_bridge.bridge import Bridge
from mqtt_bridge.broker import MosquittoBroker
from mqtt_bridge.client import BridgeClient
from mqtt_bridge.clock import ScaledClock
from mqtt_bridge.config import BridgeConfig, Role, parse_config
from mqtt_bridge.errors import NoAnswer
from mqtt_bridge.simulators import SimulatedHome

SCALE = 60.0  # one minute of heat takes one second


class Home:
    """Bridge + simulated devices + a client, all on one broker."""

    def __init__(
        self,
        config: BridgeConfig,
        broker: MosquittoBroker,
        scale: float = SCALE,
        tap_c: float = 39.0,
    ) -> None:
        self.config = config
        self.clock = ScaledClock(scale)
        self.events: list[str] = []
        self.devices = SimulatedHome(
            config, broker.host, broker.port, scale=scale, on_event=self.events.append, tap_c=tap_c
        )
        self.bridge = Bridge(config, self.clock)
        self.client = BridgeClient(config.broker)

    def start(self) -> None:
        self.devices.start()
        self.bridge.start()
        assert self.bridge.connected.wait(5)
        self.client.start()
        assert wait_until(lambda: self.client.availability(self.config.home) == "online")
        # Let the bridge hear the devices' retained states.
        assert wait_until(
            lambda: (
                self.request("status")["data"]["devices"]["floor_leak"]["wet"] is False
                if "floor_leak" in self.names
                else True
            )
        )

    @property
    def names(self) -> set[str]:
        return {device.name for device in self.config.devices}

    def stop(self) -> None:
        self.client.stop()
        self.bridge.stop()
        self.devices.stop()

    def request(self, verb: str, **params: Any) -> dict[str, Any]:
        return self.client.request(self.config.home, verb, params, timeout=8)

    def __getitem__(self, role: Role) -> Any:
        return self.devices[role]


@pytest.fixture
def make_home(mosquitto: MosquittoBroker, tmp_path: Path) -> Iterator[Any]:
    with started_homes() as start:

        def make(
            broker: MosquittoBroker | None = None, tap_c: float = 39.0, **changes: Any
        ) -> Home:
            chosen = broker or mosquitto
            return start(Home(integration_config(chosen, tmp_path, **changes), chosen, tap_c=tap_c))

        yield make


PAD_ADAPTERS = {
    "tasmota": {"type": "tasmota", "topic": "heatpad"},
    "shelly": {"type": "shelly", "device_id": "shellyplus1-pad"},
    "zigbee2mqtt": {"type": "zigbee2mqtt", "friendly_name": "heat pad plug", "auto_off": "on_time"},
}


def with_pad(adapter: dict[str, Any]) -> dict[str, Any]:
    from bridge_support import HOME

    devices = dict(HOME["devices"])
    devices["heating_pad"] = {"role": "heating_pad", "adapter": adapter}
    return devices


@pytest.mark.parametrize("kind", list(PAD_ADAPTERS))
def test_heat_session_on_each_adapter(make_home: Any, kind: str) -> None:
    home = make_home(devices=with_pad(PAD_ADAPTERS[kind]))
    pad = home[Role.HEATING_PAD]
    started = time.monotonic()
    reply = home.request("heat/start", minutes=2)
    assert reply["status"] == "ok", reply
    assert reply["data"]["minutes"] == 2 and reply["data"]["device_auto_off"] is True
    assert pad.on
    # The device-side failsafe was programmed for the same two minutes.
    if kind == "tasmota":
        assert pad.pulse_time == 220
    # Two minutes at 60x: off after about two seconds, by the bridge's timer.
    assert wait_until(lambda: not pad.on, timeout=6)
    assert 1.5 <= time.monotonic() - started <= 4.5
    assert wait_until(lambda: home.request("status")["data"]["timers"] == [])
    assert wait_until(lambda: "Your heating pad session is over." in home[Role.SPEAKER].spoken)


def test_heat_stop_and_status(make_home: Any) -> None:
    home = make_home()
    assert home.request("heat/start", minutes=20)["status"] == "ok"
    status = home.request("status")["data"]
    assert status["heat"]["running"] is True and status["devices"]["heating_pad"]["on"] is True
    assert home.request("heat/stop")["data"] == {"was_on": True}
    assert not home[Role.HEATING_PAD].on


def test_limit_applies_over_mqtt(make_home: Any) -> None:
    home = make_home()
    reply = home.request("heat/start", minutes=90)
    assert reply["data"]["minutes"] == 20 and reply["data"]["limited"] is True
    assert home[Role.HEATING_PAD].pulse_time == 1300


def test_offline_device_gets_an_honest_error(make_home: Any) -> None:
    home = make_home()
    home[Role.HEATING_PAD].stop(offline=True)
    assert wait_until(
        lambda: home.request("status")["data"]["devices"]["heating_pad"]["online"] is False
    )
    reply = home.request("heat/start")
    assert reply["status"] == "error" and reply["error"] == "the heating pad is offline"


def test_device_that_does_not_answer_is_reported(make_home: Any) -> None:
    home = make_home()
    home[Role.HEATING_PAD].responsive = False
    started = time.monotonic()
    reply = home.request("heat/start")
    assert reply["code"] == "device_timeout" and reply["error"] == "the heating pad did not answer"
    assert 1.5 <= time.monotonic() - started <= 4, "the configured 2 s confirmation timeout"


def test_duplicate_and_malformed_requests(make_home: Any, mosquitto: MosquittoBroker) -> None:
    home = make_home()
    spy = Spy(mosquitto, "cmnd/heatpad/Backlog0", "recovery/test_home/response/#")
    try:
        request = json.dumps({"transaction": "same-one", "minutes": 5})
        spy.publish("recovery/test_home/request/heat/start", request)
        assert wait_until(lambda: spy.on("recovery/test_home/response/heat/start"))
        spy.publish("recovery/test_home/request/heat/start", request)
        assert wait_until(lambda: len(spy.on("recovery/test_home/response/heat/start")) == 2)
        first, second = spy.on("recovery/test_home/response/heat/start")
        assert first == second and json.loads(first)["status"] == "ok"
        ons = [p for p in spy.on("cmnd/heatpad/Backlog0") if p.endswith("Power1 ON")]
        assert len(ons) == 1, "executed once"
        spy.publish("recovery/test_home/request/bath/fill", "{this is not json")
        assert wait_until(lambda: spy.on("recovery/test_home/response/bath/fill"))
        error = json.loads(spy.on("recovery/test_home/response/bath/fill")[0])
        assert error["status"] == "error" and error["code"] == "invalid_request"
        assert home.request("status")["status"] == "ok", "the bridge stays up"
    finally:
        spy.stop()


def test_bath_fills_and_is_announced_ready(make_home: Any) -> None:
    home = make_home()
    reply = home.request("bath/fill", temperature_c=39, epsom=True)
    assert reply["status"] == "ok" and reply["data"]["epsom"]["cups"] == 2
    valve = home[Role.BATH_VALVE]
    assert valve.on
    # Ten minutes of filling at 60x.
    assert wait_until(lambda: not valve.on, timeout=15)
    speaker = home[Role.SPEAKER]
    assert wait_until(
        lambda: any(s.startswith("Your bath is ready, at 39") for s in speaker.spoken)
    )
    assert home.request("status")["data"]["bath"]["status"] == "ready"


def test_hot_water_closes_the_valve(make_home: Any) -> None:
    home = make_home(tap_c=48.0)
    assert home.request("bath/fill", temperature_c=38)["status"] == "ok"
    valve = home[Role.BATH_VALVE]
    assert wait_until(lambda: not valve.on, timeout=10)
    assert home.request("status")["data"]["bath"]["status"] == "too_hot"
    assert any("too hot" in s for s in home[Role.SPEAKER].spoken)


def test_leak_closes_the_valve(make_home: Any) -> None:
    home = make_home()
    assert home.request("bath/fill")["status"] == "ok"
    home[Role.LEAK_SENSOR].set(wet=True)
    assert wait_until(lambda: not home[Role.BATH_VALVE].on)
    assert home.request("bath/fill")["error"] == "the leak sensor is wet, so I won't run water"


def test_home_assistant_discovery_is_retained(make_home: Any, mosquitto: MosquittoBroker) -> None:
    make_home()
    spy = Spy(mosquitto, "homeassistant/device/recovery_coach_test_home/config")
    try:
        assert wait_until(lambda: len(spy.messages) >= 1)
        assert all(retained for _, _, retained in spy.messages)
        assert len(json.loads(spy.messages[0][1])["cmps"]) == 8
    finally:
        spy.stop()


def test_home_assistant_switch_turns_the_pad_on(make_home: Any, mosquitto: MosquittoBroker) -> None:
    home = make_home()
    spy = Spy(mosquitto)
    try:
        spy.publish("recovery/test_home/ha/heat/set", "ON")
        assert wait_until(lambda: home[Role.HEATING_PAD].on)
        spy.publish("recovery/test_home/ha/stop_all/press", "PRESS")
        assert wait_until(lambda: not home[Role.HEATING_PAD].on)
    finally:
        spy.stop()


def test_broker_restart_mid_heat(private_broker: MosquittoBroker, tmp_path: Path) -> None:
    home = Home(integration_config(private_broker, tmp_path), private_broker, scale=30)
    home.start()
    try:
        pad = home[Role.HEATING_PAD]
        assert home.request("heat/start", minutes=3)["status"] == "ok"  # 6 s at 30x
        started = time.monotonic()
        private_broker.restart()
        # Everyone reconnects; the bridge re-subscribes and answers again.
        assert wait_until(lambda: home.bridge.connected.is_set(), timeout=15)
        assert wait_until(lambda: home.client.availability("test_home") == "online", timeout=15)
        status = home.request("status")
        assert status["data"]["heat"]["running"] is True
        assert wait_until(lambda: not pad.on, timeout=10)
        assert time.monotonic() - started <= 6 + 3
    finally:
        home.stop()


# --- the bridge as a process: killed and restarted ---------------------------------------------


def _process_home(
    broker: MosquittoBroker, tmp_path: Path, scale: float, **changes: Any
) -> tuple[BridgeProcess, SimulatedHome, BridgeClient, BridgeConfig]:
    document = integration_document(broker, tmp_path, **changes)
    origin = time.time()
    process = BridgeProcess(document, tmp_path, scale, origin)
    config = parse_config(document, env={})
    devices = SimulatedHome(config, broker.host, broker.port, scale=scale)
    devices.start()
    process.start(broker)
    client = BridgeClient(config.broker)
    client.start()
    return process, devices, client, config


def test_sigkill_mid_heat_device_failsafe_and_restart(
    private_broker: MosquittoBroker, tmp_path: Path
) -> None:
    process, devices, client, _ = _process_home(private_broker, tmp_path, scale=30)
    pad = devices[Role.HEATING_PAD]
    try:
        assert (
            client.request("test_home", "heat/start", {"minutes": 2}, timeout=8)["status"] == "ok"
        )
        started = time.monotonic()  # two minutes at 30x: the deadline is 4 s away
        process.kill()
        # The bridge is dead: the plug's own PulseTime switches it off by the deadline.
        assert wait_until(lambda: not pad.on, timeout=8)
        assert time.monotonic() - started <= 4 + 2
        # Someone switches the pad on by hand while the bridge is down...
        pad.press(True)
        process.start(private_broker)
        # ...and the restarted bridge, finding it on with no timer, switches it off.
        assert wait_until(lambda: not pad.on, timeout=5)
        assert wait_until(
            lambda: client.request("test_home", "status", timeout=8)["data"]["timers"] == []
        )
    finally:
        client.stop()
        process.terminate()
        devices.stop()


def test_sigkill_and_restart_before_the_deadline_keeps_the_timer(
    private_broker: MosquittoBroker, tmp_path: Path
) -> None:
    from bridge_support import HOME

    # A generic plug has no device-side auto-off: only the persisted bridge timer can stop it.
    devices_cfg = dict(HOME["devices"])
    devices_cfg["heating_pad"] = {
        "role": "heating_pad",
        "adapter": {"type": "zigbee2mqtt", "friendly_name": "plain plug"},
    }
    process, devices, client, _ = _process_home(
        private_broker, tmp_path, scale=30, devices=devices_cfg
    )
    pad = devices[Role.HEATING_PAD]
    try:
        pad.scale = 1e-6  # this plug ignores on_time, as some firmware does
        assert (
            client.request("test_home", "heat/start", {"minutes": 3}, timeout=8)["status"] == "ok"
        )
        started = time.monotonic()  # the deadline is 6 s away
        process.kill()
        time.sleep(1)
        assert pad.on
        process.start(private_broker)
        assert wait_until(lambda: not pad.on, timeout=10)
        elapsed = time.monotonic() - started
        assert 5 <= elapsed <= 6 + 3, f"off after {elapsed:.1f}s, deadline 6s"
    finally:
        client.stop()
        process.terminate()
        devices.stop()


def test_sigterm_turns_heat_off(private_broker: MosquittoBroker, tmp_path: Path) -> None:
    process, devices, client, _ = _process_home(private_broker, tmp_path, scale=1)
    spy = Spy(private_broker, "recovery/test_home/availability")
    try:
        assert (
            client.request("test_home", "heat/start", {"minutes": 20}, timeout=8)["status"] == "ok"
        )
        assert devices[Role.HEATING_PAD].on
        assert process.terminate() == 0
        assert wait_until(lambda: not devices[Role.HEATING_PAD].on, timeout=5)
        assert wait_until(lambda: spy.on("recovery/test_home/availability")[-1:] == ["offline"])
    finally:
        spy.stop()
        client.stop()
        devices.stop()


def test_a_hung_bridge_never_carries_out_what_the_user_heard_failed(
    private_broker: MosquittoBroker, tmp_path: Path
) -> None:
    """Issue #10: the skill said "couldn't", and the pad came on after the bridge resumed."""
    process, devices, client, _ = _process_home(private_broker, tmp_path, scale=1)
    pad = devices[Role.HEATING_PAD]
    spy = Spy(private_broker, "cmnd/heatpad/#", "recovery/test_home/request/#")
    assert process.process is not None
    try:
        process.process.send_signal(signal.SIGSTOP)
        with pytest.raises(NoAnswer) as failure:
            client.request("test_home", "heat/start", {"minutes": 5}, timeout=1.5)
        assert failure.value.undo == "heat/stop"
        assert wait_until(lambda: spy.on("recovery/test_home/request/heat/stop"))
        request = json.loads(spy.on("recovery/test_home/request/heat/start")[0])
        assert request["expires_at"], "the request says when its caller stops waiting"
        time.sleep(1.0)  # hung past the caller's deadline
        process.process.send_signal(signal.SIGCONT)
        # The resumed bridge answers again, and the late start was never acted on.
        assert client.request("test_home", "status", timeout=8)["status"] == "ok"
        time.sleep(0.5)
        assert not [p for p in spy.on("cmnd/heatpad/Backlog0") if p.endswith("Power1 ON")]
        assert "ON" not in spy.on("cmnd/heatpad/POWER")
        assert not pad.on
    finally:
        if process.process is not None and process.process.poll() is None:
            process.process.send_signal(signal.SIGCONT)
        spy.stop()
        client.stop()
        process.terminate()
        devices.stop()
