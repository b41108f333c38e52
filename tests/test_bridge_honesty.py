"""The bridge never acts late, never claims what a device did not confirm, and always sends stops.

Each test here was written from a defect in issue #10 and failed before its fix.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from bridge_support import PAD_COMMANDS, PAD_OFF, CoreHarness, pad_switch

from mqtt_bridge.core import BridgeCore
from mqtt_bridge.errors import StoreError
from mqtt_bridge.store import Timer, TimerStore

GENERIC_PAD = {
    "role": "heating_pad",
    "adapter": {
        "type": "generic",
        "state_topic": "plug/pad/state",
        "command_topic": "plug/pad/set",
        "availability_topic": "plug/pad/availability",
    },
}


@pytest.fixture
def home(tmp_path: Path) -> CoreHarness:
    return CoreHarness(tmp_path)


@pytest.fixture
def generic(tmp_path: Path) -> CoreHarness:
    from bridge_support import HOME

    devices = {**HOME["devices"], "heating_pad": GENERIC_PAD}
    return CoreHarness(tmp_path, devices=devices)


def pad_commands(home: CoreHarness) -> list[str]:
    # An empty POWER payload is Tasmota's state query, not a command.
    switched = [
        pad_switch(m) or (m.payload if m.topic == "plug/pad/set" else None) for m in home.sent
    ]
    return [state for state in switched if state]


def valve_commands(home: CoreHarness) -> list[bool]:
    return [
        json.loads(m.payload)["params"]["on"]
        for m in home.to("shellyplus1-bath/rpc")
        if json.loads(m.payload)["method"] == "Switch.Set"
    ]


def state(home: CoreHarness) -> dict[str, Any]:
    states = [m for m in home.sent if m.topic == "recovery/test_home/state"]
    return dict(json.loads(states[-1].payload))


def iso(home: CoreHarness, seconds: float) -> str:
    return (home.now + timedelta(seconds=seconds)).isoformat()


# --- 1. a request the caller gave up on is never carried out ----------------------------------


def test_an_expired_request_is_refused_and_nothing_is_switched(home: CoreHarness) -> None:
    home.clear()
    home.request("heat/start", transaction="late", expires_at=iso(home, -0.5))
    assert pad_commands(home) == []
    (reply,) = home.replies("heat/start")
    assert reply["status"] == "error" and reply["code"] == "expired"
    assert home.store.timers() == []


def test_a_request_in_time_is_carried_out(home: CoreHarness) -> None:
    home.request("heat/start", transaction="t", expires_at=iso(home, 4))
    assert pad_commands(home) == ["ON"]
    home.pad("ON")
    assert home.replies("heat/start")[0]["status"] == "ok"


@pytest.mark.parametrize("bad", ["tomorrow", 17, "2026-11-23T18:00:00", None, True])
def test_a_malformed_deadline_is_a_clear_error(home: CoreHarness, bad: object) -> None:
    home.clear()
    home.request("heat/start", transaction="t", expires_at=bad)
    (reply,) = home.replies("heat/start")
    assert reply["status"] == "error" and "expires_at" in reply["error"]
    assert pad_commands(home) == []


def test_the_confirmation_wait_ends_at_the_callers_deadline(home: CoreHarness) -> None:
    # confirm_timeout_s is 3 s; the caller only waits 1 s.
    home.request("heat/start", transaction="t", expires_at=iso(home, 1))
    home.clear()
    home.advance(1)
    (reply,) = home.replies("heat/start")
    assert reply["status"] == "error" and reply["code"] == "device_timeout"
    assert pad_commands(home) == ["OFF"], "the unconfirmed ON is undone at once"


def test_a_confirmation_that_arrives_after_the_deadline_is_undone(home: CoreHarness) -> None:
    """A hung bridge resumes with the device's ON queued behind the caller's deadline."""
    home.request("heat/start", transaction="t", expires_at=iso(home, 1))
    home.now += timedelta(seconds=5)  # hung: no tick ran
    home.clear()
    home.pad("ON")
    replies = home.replies("heat/start")
    assert [r["status"] for r in replies] == ["error"], "never a late ok"
    assert "OFF" in pad_commands(home)
    live = [t for t in home.store.timers() if not t.detail.get("expired")]
    assert live == [], "no live session left behind"
    home.pad("OFF")
    assert home.store.timers() == []


# --- 2. one OFF on a state topic does not end the bridge's watch -------------------------------


def test_a_plug_that_reports_off_then_on_is_switched_off(generic: CoreHarness) -> None:
    generic.request("heat/start", minutes=10, transaction="t")
    generic.raw("plug/pad/state", "ON")
    generic.advance(60)
    generic.raw("plug/pad/state", "OFF")  # a lie, or a hand on the button
    generic.clear()
    generic.raw("plug/pad/state", "ON")
    assert pad_commands(generic) == ["OFF"], "an ON nobody asked for is switched off"


def test_the_deadline_holds_after_an_early_off(generic: CoreHarness) -> None:
    generic.request("heat/start", minutes=10, transaction="t")
    generic.raw("plug/pad/state", "ON")
    generic.advance(60)
    generic.raw("plug/pad/state", "OFF")
    assert [t.device for t in generic.store.timers()] == ["heating_pad"], "the watch stays"
    generic.clear()
    generic.advance(9 * 60)
    assert "OFF" in pad_commands(generic), "OFF is sent at the deadline regardless"


def test_a_second_start_after_an_early_off_keeps_the_session_limit(home: CoreHarness) -> None:
    home.request("heat/start", minutes=20, transaction="a")
    home.pad("ON")
    home.advance(8 * 60)
    home.pad("OFF")
    home.advance(60)
    home.request("heat/start", minutes=20, transaction="b")
    home.pad("ON")
    data = home.replies("heat/start")[-1]["data"]
    assert data["minutes"] == 11 and data["limited"] is True
    assert data["ends_at"] == "2026-11-23T18:20:00+00:00"


def test_an_early_off_is_told_truthfully_and_needs_no_session_over(home: CoreHarness) -> None:
    home.request("heat/start", minutes=10, transaction="t")
    home.pad("ON")
    home.advance(60)
    home.pad("OFF")
    assert state(home)["heat"]["running"] is False
    home.advance(9 * 60)
    home.pad("OFF")
    assert "Your heating pad session is over." not in home.said()
    assert home.store.timers() == []


# --- 3. a stop is always sent -------------------------------------------------------------------


def test_heat_stop_is_sent_to_an_offline_pad_and_retried(home: CoreHarness) -> None:
    home.request("heat/start", minutes=10, transaction="t")
    home.pad("ON")
    home.raw("tele/heatpad/LWT", "Offline")
    home.clear()
    home.request("heat/stop", transaction="s")
    assert pad_commands(home) == ["OFF"], "sent even though the pad looks offline"
    (reply,) = home.replies("heat/stop")
    assert reply["status"] == "error" and reply["code"] == "device_offline"
    assert "keep sending" in reply["error"]
    home.clear()
    home.advance(10)
    assert pad_commands(home) == ["OFF"], "retried"
    home.raw("tele/heatpad/LWT", "Online")
    home.pad("OFF")
    home.clear()
    home.advance(60)
    assert pad_commands(home) == [], "retries end once the pad confirms"
    assert home.store.timers() == []


def test_retries_end_when_the_devices_own_auto_off_has_run(home: CoreHarness) -> None:
    home.request("heat/start", minutes=2, transaction="t")
    home.pad("ON")
    home.raw("tele/heatpad/LWT", "Offline")
    home.request("heat/stop", transaction="s")
    home.advance(10)
    home.advance(10)
    home.advance(2 * 60)  # PulseTime has switched the pad off by itself by now
    home.clear()
    home.advance(10)
    home.advance(10)
    assert pad_commands(home) == []
    assert home.store.timers() == []


def test_a_generic_pad_is_retried_until_it_confirms(generic: CoreHarness) -> None:
    generic.request("heat/start", minutes=2, transaction="t")
    generic.raw("plug/pad/state", "ON")
    generic.raw("plug/pad/availability", "offline")
    generic.request("heat/stop", transaction="s")
    generic.advance(10 * 60)
    generic.clear()
    generic.advance(10)
    assert pad_commands(generic) == ["OFF"], "no device auto-off: the bridge never gives up"


def test_bath_stop_is_sent_to_an_offline_valve(home: CoreHarness) -> None:
    home.leak(False)
    home.request("bath/fill", transaction="f")
    home.valve(True)
    home.raw("shellyplus1-bath/online", "false")
    home.clear()
    home.request("bath/stop", transaction="s")
    assert valve_commands(home) == [False]
    assert home.replies("bath/stop")[0]["code"] == "device_offline"
    assert state(home)["bath"]["status"] == "stopping"


# --- 4. the bath is ready only when the valve confirmed it closed -------------------------------


def test_bath_is_not_ready_until_the_valve_confirms_it_closed(home: CoreHarness) -> None:
    home.leak(False)
    home.request("bath/fill", transaction="f")
    home.valve(True)
    home.raw("shellyplus1-bath/online", "false")
    home.clear()
    home.advance(10 * 60)  # the fill time is up
    assert valve_commands(home) == [False]
    assert state(home)["bath"]["status"] == "closing"
    assert not any("ready" in words for words in home.said())
    home.raw("shellyplus1-bath/online", "true")
    home.valve(False)
    assert state(home)["bath"]["status"] == "ready"
    assert any("Your bath is ready" in words for words in home.said())


def test_unconfirmed_bath_stop_does_not_read_stopped(home: CoreHarness) -> None:
    home.leak(False)
    home.request("bath/fill", transaction="f")
    home.valve(True)
    home.request("bath/stop", transaction="s")
    assert state(home)["bath"]["status"] == "stopping"
    home.advance(4)
    assert home.replies("bath/stop")[0]["status"] == "error"
    assert state(home)["bath"]["status"] == "stopping"
    home.valve(False)
    assert state(home)["bath"]["status"] == "stopped"


# --- 5. the retained state carries its own expiry -----------------------------------------------


def test_the_state_says_until_when_it_holds_and_is_refreshed_before(home: CoreHarness) -> None:
    published = state(home)
    expires = published["expires_at"]
    assert expires > published["updated_at"]
    home.clear()
    home.advance(31)
    refreshed = state(home)
    assert refreshed["expires_at"] > expires, "refreshed while idle too"


def test_shutdown_leaves_a_state_that_has_already_expired(home: CoreHarness) -> None:
    home.request("heat/start", minutes=10, transaction="t")
    home.pad("ON")
    home.clear()
    home._record(home.core.shutdown(home.now))
    final = state(home)
    assert final["expires_at"] <= final["updated_at"]


# --- the timer database failing does not stop an OFF ---------------------------------------------


@pytest.fixture
def locked(home: CoreHarness) -> Iterator[sqlite3.Connection]:
    """Another process holding the timer database's write lock."""
    locker = sqlite3.connect(home.config.database, isolation_level=None)
    yield locker
    locker.close()


def test_a_locked_database_never_holds_back_an_off(
    home: CoreHarness, locked: sqlite3.Connection
) -> None:
    home.request("heat/start", minutes=10, transaction="t")
    home.pad("ON")
    locked.execute("BEGIN EXCLUSIVE")
    home.clear()
    home.advance(10 * 60)
    assert pad_commands(home) == ["OFF"], "the deadline's OFF goes out though it can't be stored"
    home.clear()
    home.advance(10)
    assert pad_commands(home) == ["OFF"], "and is retried from memory"
    home.pad("OFF")
    locked.execute("ROLLBACK")
    assert home.store.timers() == [] or home.core.timers == {}


def test_a_locked_database_refuses_a_start_with_an_answer(
    home: CoreHarness, locked: sqlite3.Connection
) -> None:
    locked.execute("BEGIN EXCLUSIVE")
    home.clear()
    home.request("heat/start", minutes=10, transaction="t")
    assert pad_commands(home) == [], "no ON without a stored deadline"
    (reply,) = home.replies("heat/start")
    assert reply["status"] == "error" and reply["code"] == "storage_failed"
    home.request("heat/stop", transaction="s")
    assert pad_commands(home) == ["OFF"], "a stop needs no database"
    home.pad("OFF")
    assert home.replies("heat/stop")[0]["status"] == "ok"


class UnreadableStore(TimerStore):
    """A timer database that no longer reads back (a seam: WAL reads go through locks)."""

    def timers(self) -> list[Timer]:
        raise StoreError("the timer database failed: database disk image is malformed")


def test_a_bridge_that_cannot_read_its_timers_switches_everything_off(home: CoreHarness) -> None:
    fresh = BridgeCore(home.config, UnreadableStore(home.config.database))
    topics = {m.topic: m.payload for m in fresh.start(home.now)}
    assert (PAD_COMMANDS, topics[PAD_COMMANDS]) == PAD_OFF
    assert json.loads(topics["shellyplus1-bath/rpc"])["params"]["on"] is False


def test_an_unconfirmed_off_is_sent_again_the_moment_the_device_is_back(
    home: CoreHarness,
) -> None:
    home.request("heat/start", minutes=10, transaction="t")
    home.pad("ON")
    home.raw("tele/heatpad/LWT", "Offline")
    home.request("heat/stop", transaction="s")
    home.clear()
    home.advance(2)
    home.raw("tele/heatpad/LWT", "Online")
    assert pad_commands(home) == ["OFF"], "no waiting for the next retry"


def test_a_false_off_just_before_the_deadline_still_gets_the_deadlines_off(
    generic: CoreHarness,
) -> None:
    """Found by the fault matrix: an OFF within the auto-off tolerance used to end the watch."""
    generic.request("heat/start", minutes=10, transaction="t")
    generic.raw("plug/pad/state", "ON")
    generic.advance(10 * 60 - 3)
    generic.raw("plug/pad/state", "OFF")
    generic.clear()
    generic.advance(3)
    assert pad_commands(generic) == ["OFF"]


def test_an_on_switched_off_inside_a_watched_session_keeps_its_limit(home: CoreHarness) -> None:
    home.request("heat/start", minutes=20, transaction="a")
    home.pad("ON")
    home.advance(5 * 60)
    home.pad("OFF")
    home.pad("ON")  # it was on all along
    assert pad_commands(home)[-1] == "OFF"
    home.pad("OFF")
    home.advance(60)
    home.request("heat/start", minutes=20, transaction="b")
    home.pad("ON")
    assert home.replies("heat/start")[-1]["data"]["ends_at"] == "2026-11-23T18:20:00+00:00"


def test_the_promised_end_is_the_real_deadline_and_the_device_never_runs_past_it(
    home: CoreHarness,
) -> None:
    """Found by the fault matrix: ends_at was cut to the second, the deadline was not."""
    home.now += timedelta(microseconds=900_000)
    home.clear()
    home.request("heat/start", minutes=10, transaction="t")
    pulse = home.pulse_asked()
    assert pulse is not None
    home.pad("ON")
    ends_at = home.replies("heat/start")[0]["data"]["ends_at"]
    (timer,) = home.core.timers.values()
    assert timer.deadline.isoformat() == ends_at
    assert pulse == 700, "ten minutes exactly on the device"
    assert home.now + timedelta(seconds=pulse - 100) <= timer.deadline
    assert home.replies("heat/start")[0]["data"]["minutes"] == 10
