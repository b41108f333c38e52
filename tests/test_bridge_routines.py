"""Routines run by the bridge core, with a fake clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from bridge_support import CoreHarness, pad_on, pad_switch

from mqtt_bridge.core import BridgeCore
from mqtt_bridge.reply_types import RoutineState
from mqtt_bridge.store import TimerStore


@pytest.fixture
def home(tmp_path: Path) -> CoreHarness:
    return CoreHarness(tmp_path, safety={"heat": {"min_gap_minutes": 0}})


def state(home: CoreHarness) -> dict[str, object]:
    home.request("status", transaction=f"s{len(home.sent)}")
    data: dict[str, object] = home.replies("status")[-1]["data"]
    return data


def run_for(home: CoreHarness, seconds: float, step: float = 1.0) -> None:
    for _ in range(int(seconds / step)):
        home.advance(step)
        # Devices answer as firmware does: confirm every command at once.
        for message in [m for m in home.sent if pad_switch(m)][-1:]:
            state = pad_switch(message)
            if state is not None and getattr(home, "_pad", None) != state:
                home._pad = state  # type: ignore[attr-defined]
                home.pad(state)


def test_sore_calves_routine_announces_stretches_then_runs_heat(home: CoreHarness) -> None:
    home.request("routine/start", transaction="r", name="sore_calves")
    reply = home.replies("routine/start")[0]
    assert reply["data"] == {
        "name": "sore_calves",
        "title": "sore calves",
        "steps": 8,
        "uses": ["stretches", "heat"],
    }
    assert home.said()[0].startswith("Let's look after those calves.")
    run_for(home, 240)
    spoken = home.said()
    assert any(s.startswith("Standing calf stretch.") for s in spoken)
    assert any(s.startswith("Bent-knee calf stretch.") for s in spoken)
    routine = state(home)["routine"]
    assert routine["status"] == "waiting" and routine["step_title"] == "15 minutes of heat"  # type: ignore[index]
    assert pad_on(1000) in [(m.topic, m.payload) for m in home.sent]
    run_for(home, 15 * 60 + 20)
    assert home.said()[-2:][0] == "Heat's done."
    assert home.said()[-1].startswith("Compression socks")
    assert state(home)["routine"]["status"] == "finished"  # type: ignore[index]


def test_routine_heat_obeys_quiet_hours(tmp_path: Path) -> None:
    night = CoreHarness(tmp_path, start=datetime(2026, 11, 23, 23, 0, tzinfo=UTC))
    night.request("routine/start", transaction="r", name="sore_calves")
    run_for(night, 240)
    assert any(s.startswith("The heating pad can't start: it's quiet hours") for s in night.said())
    assert "The heating pad didn't start, so let's skip that part." in night.said()
    assert not [m for m in night.sent if pad_switch(m) == "ON"]


def test_pause_next_and_stop(home: CoreHarness) -> None:
    home.request("routine/start", transaction="r", name="cool_down")
    home.request("routine/pause", transaction="p")
    assert home.replies("routine/pause")[0]["data"]["status"] == "paused"
    before = len(home.said())
    home.advance(120)
    assert len(home.said()) == before, "nothing is said while paused"
    home.request("routine/resume", transaction="u")
    home.request("routine/next", transaction="n")
    assert home.said()[-1].startswith("Standing hamstring stretch.")
    home.request("routine/stop", transaction="s")
    assert home.said()[-1] == "Routine stopped."
    assert home.replies("routine/stop")[0]["data"]["status"] == "stopped"


def test_routine_errors(home: CoreHarness) -> None:
    home.request("routine/start", transaction="a", name="marathon_in_bed")
    unknown = home.replies("routine/start")[0]
    assert unknown["code"] == "invalid_request" and "known: cool_down" in unknown["error"]
    home.request("routine/pause", transaction="b")
    assert home.replies("routine/pause")[0]["code"] == "not_running"
    home.request("routine/start", transaction="c", name="cool_down")
    home.request("routine/start", transaction="d", name="sore_calves")
    busy = home.replies("routine/start")[-1]
    assert (
        busy["code"] == "busy" and "cool-down stretches routine is already running" in busy["error"]
    )


def test_home_assistant_select_starts_and_stops_a_routine(home: CoreHarness) -> None:
    home.raw("recovery/test_home/ha/routine/set", "cool_down")
    assert state(home)["routine"]["name"] == "cool_down"  # type: ignore[index]
    home.raw("recovery/test_home/ha/routine/set", "none")
    assert state(home)["routine"]["status"] == "stopped"  # type: ignore[index]


def test_restart_mid_routine_reports_it_interrupted(home: CoreHarness) -> None:
    home.request("routine/start", transaction="r", name="sore_calves")
    run_for(home, 240)  # the heat is on now
    later = home.now + timedelta(minutes=1)
    fresh = BridgeCore(home.config, TimerStore(home.config.database))
    out = fresh.start(later)
    says = [json.loads(m.payload)["text"] for m in out if m.topic == "hermes/tts/say"]
    assert says[0].startswith("Your sore calves routine was interrupted")
    assert fresh.snapshot(later).routine == RoutineState(
        name="sore_calves", title="sore calves", status="interrupted"
    )
    # The heat it started is still under its persisted timer.
    assert [t.device for t in TimerStore(home.config.database).timers()] == ["heating_pad"]
