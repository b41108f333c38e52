"""A system clock that steps (NTP, a dead RTC battery, a hand) never stretches a session."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from bridge_support import CoreHarness

from mqtt_bridge import clock as clock_module
from mqtt_bridge.clock import ScaledClock
from mqtt_bridge.core import BridgeCore
from mqtt_bridge.store import Timer, TimerStore


class SteppedTime:
    """time.time() that can be stepped while time.monotonic() runs on untouched."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.monotonic() + 1_800_000_000.0 + self.offset


@pytest.fixture
def stepped(monkeypatch: pytest.MonkeyPatch) -> SteppedTime:
    fake = SteppedTime()
    monkeypatch.setattr(clock_module.time, "time", fake)
    return fake


@pytest.mark.parametrize("step_s", [-3600.0, 3600.0])
def test_the_bridge_clock_follows_elapsed_time_not_wall_steps(
    stepped: SteppedTime, step_s: float
) -> None:
    clock = ScaledClock(1.0, origin=0.0)
    before = clock.now()
    stepped.offset += step_s
    after = clock.now()
    assert abs((after - before).total_seconds()) < 1.0


def test_wall_time_of_now_follows_the_stepped_wall_clock(stepped: SteppedTime) -> None:
    """Callers' deadlines are in wall time: compare them with the wall clock as it is now."""
    clock = ScaledClock(1.0, origin=0.0)
    stepped.offset -= 3600.0
    wall_now = clock.wall(clock.now()).timestamp()
    assert abs(wall_now - clock_module.time.time()) < 1.0


def test_a_restored_deadline_further_than_any_session_is_cut_to_the_limit(tmp_path: Path) -> None:
    """Stored before the clock stepped back an hour: the session must not grow by an hour."""
    home = CoreHarness(tmp_path)
    store = TimerStore(home.config.database)
    far = Timer("heating_pad", "heat", home.now, home.now + timedelta(minutes=80))
    store.put(far)
    core = BridgeCore(home.config, store)
    core.start(home.now)
    (restored,) = core.timers.values()
    assert restored.deadline == home.now + timedelta(minutes=20)
    assert store.timers()[0].deadline == restored.deadline
