"""Shelly Gen2 RPC over MQTT: one src per bridge, and error frames answered as errors."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from bridge_support import CoreHarness
from home_support import shelly_home, source_of
from mqtt_support import Spy, wait_until

from mqtt_bridge.adapters import ShellySwitch
from mqtt_bridge.broker import MosquittoBroker
from mqtt_bridge.config import Role
from mqtt_bridge.errors import ConfigError

# --- one src per bridge -------------------------------------------------------------


def test_two_bridges_on_one_broker_each_get_only_their_own_shelly_replies(
    mosquitto: MosquittoBroker, homes: Any
) -> None:
    spy = Spy(mosquitto, "+/rpc")
    try:
        a = homes("home_a", devices=shelly_home("home_a", "shellyplus1-a"))
        b = homes("home_b", devices=shelly_home("home_b", "shellyplus1-b"))
        assert a.request("heat/start", minutes=5)["status"] == "ok"
        assert b.request("heat/start", minutes=5)["status"] == "ok"
        assert a.request("heat/stop")["status"] == "ok"
        assert b.request("heat/stop")["status"] == "ok"
    finally:
        spy.stop()
    sources = {}
    for home, device in ((a, "shellyplus1-a"), (b, "shellyplus1-b")):
        adapter = home.config.switch(Role.HEATING_PAD)
        assert isinstance(adapter, ShellySwitch)
        # One src for the whole life of a bridge: every request carries it.
        requests = [json.loads(p) for p in spy.on(f"{device}/rpc")]
        assert len(requests) >= 3 and {r["src"] for r in requests} == {adapter.source}
        sources[device] = adapter.source
    assert sources["shellyplus1-a"] != sources["shellyplus1-b"]
    for device, source in sources.items():
        # The device answers on <src>/rpc: everything there is from this home's own device.
        replies = [json.loads(p) for p in spy.on(f"{source}/rpc")]
        assert len(replies) >= 3 and {r["src"] for r in replies} == {device}
    # And each bridge listens on its own reply topic only.
    subscriptions = {h.config.home: h.bridge_subscriptions() for h in (a, b)}
    assert f"{sources['shellyplus1-a']}/rpc" not in subscriptions["home_b"]
    assert f"{sources['shellyplus1-b']}/rpc" not in subscriptions["home_a"]


def test_the_shelly_src_is_the_bridges_own_client_id(tmp_path: Path) -> None:
    # The broker allows one connection per client id: no other bridge can hold the same src.
    home = CoreHarness(tmp_path, devices=shelly_home("test_home", "shellyplus1-a"))
    assert source_of(home.config) == "recovery-coach-bridge-test_home"
    assert "recovery-coach-bridge-test_home/rpc" in home.core.subscriptions()
    devices = shelly_home("test_home", "shellyplus1-a")
    named = CoreHarness(tmp_path, devices=devices, broker={"client_id": "pi-b"})
    assert source_of(named.config) == "pi-b"
    with pytest.raises(ConfigError, match=r"broker\.client_id: 'pi/b' is the Shelly RPC src"):
        CoreHarness(tmp_path, devices=devices, broker={"client_id": "pi/b"})


# --- Shelly: RPC error frames ---------------------------------------------------------------


def test_a_shelly_rpc_error_is_answered_as_an_error_at_once(homes: Any) -> None:
    # The bridge asks for switch 1; the device has only switch 0 and says so in an error frame.
    safety = {"confirm_timeout_s": 7, "heat": {"quiet_hours": None, "min_gap_minutes": 0}}
    home = homes(
        "test_home",
        devices=shelly_home("test_home", "shellyplus1-a", 1),
        safety=safety,
        start=False,
    )
    home[Role.HEATING_PAD].switch_id = 0
    home.start()
    asked = time.monotonic()
    reply = home.request("heat/start", minutes=5)
    waited = time.monotonic() - asked
    assert reply["status"] == "error", reply
    assert reply["code"] == "device_error"
    assert "Bad id=1" in reply["error"] and reply["error"].startswith("the heating pad")
    # Well before the 7 s the bridge would otherwise wait for a confirmation.
    assert waited < 3.5, waited
    assert home[Role.HEATING_PAD].on is False


def test_a_refusing_shelly_fails_the_request_and_the_bridge_stops_asking_it_on(homes: Any) -> None:
    home = homes("test_home", devices=shelly_home("test_home", "shellyplus1-a"))
    pad = home[Role.HEATING_PAD]
    pad.refuse = (-109, "Output is locked by overtemperature protection")
    reply = home.request("heat/start", minutes=5)
    assert reply["status"] == "error" and reply["code"] == "device_error"
    assert "overtemperature" in reply["error"]
    assert pad.on is False
    pad.refuse = None
    # The failed start leaves no session: OFF is sent until the device confirms it.
    assert wait_until(lambda: home.request("status")["data"]["timers"] == [], timeout=10)


def test_an_rpc_error_for_another_device_or_without_a_pending_command_changes_nothing(
    tmp_path: Path,
) -> None:
    home = CoreHarness(tmp_path)
    source = source_of(home.config, Role.BATH_VALVE)
    home.leak(False)
    home.request("bath/fill", transaction="f")
    frame = {"id": 9, "dst": source, "error": {"code": -105, "message": "Bad id=0"}}
    home.raw(f"{source}/rpc", json.dumps({**frame, "src": "someone-else"}))
    assert home.replies("bath/fill") == []
    home.raw(f"{source}/rpc", json.dumps({**frame, "src": "shellyplus1-bath"}))
    (reply,) = home.replies("bath/fill")
    assert reply["code"] == "device_error" and "Bad id=0" in reply["error"]
    assert home.core.snapshot(home.now).bath.status == "idle"
    home.raw(f"{source}/rpc", json.dumps({**frame, "src": "shellyplus1-bath"}))
    assert len(home.replies("bath/fill")) == 1
