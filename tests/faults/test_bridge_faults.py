"""The bridge process killed (SIGKILL) or hung (SIGSTOP) mid-heat, mid-bath and mid-routine."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fault_harness import BRIDGE_TICK_S, FaultHome, bath_truthful, heat_truthful
from fault_table import AUTO_OFF_GOAL_S, Row
from mqtt_support import wait_until

pytestmark = pytest.mark.faults

Home = Callable[..., FaultHome]
Record = Callable[[Row], Row]


def _timers(home: FaultHome) -> list[str]:
    return [timer["device"] for timer in home.status()["timers"]]


def test_sigkill_mid_heat_left_dead(make_home: Home, record: Record) -> None:
    home = make_home(pad="tasmota")
    asked = home.ask("heat/start", minutes=2)
    assert asked.ok, asked.reply
    deadline = home.real(asked.data["ends_at"])
    home.settle()
    home.kill()
    # Nobody is left to switch it off but the plug's own PulseTime.
    home.sleep_until(deadline + 0.5)
    truthful_dead = heat_truthful(home.state(), home.pad.on, home.clock_now())
    home.start_bridge()
    assert wait_until(lambda: _timers(home) == [])
    truthful = heat_truthful(home.state(), home.pad.on, home.clock_now())
    row = record(
        home.row(
            "bridge SIGKILL mid-heat, down past the deadline",
            deadline,
            AUTO_OFF_GOAL_S,
            lost=0,
            truthful=truthful_dead and truthful,
            note="state read by a new consumer while the bridge was dead past the deadline,"
            f" then after restart (dead: {'true' if truthful_dead else 'says running'})",
        )
    )
    assert row.overrun_s is not None and row.overrun_s <= AUTO_OFF_GOAL_S
    assert truthful, "after the restart"
    assert row.meets_goals, row


def test_sigkill_mid_heat_restarted_before_the_deadline(make_home: Home, record: Record) -> None:
    home = make_home(pad="generic")
    asked = home.ask("heat/start", minutes=3)
    assert asked.ok, asked.reply
    deadline = home.real(asked.data["ends_at"])
    home.settle()
    home.kill()
    time.sleep(0.5)
    home.start_bridge()
    # The acknowledged session must have survived the kill: it is the plug's only timer.
    lost = 0 if _timers(home) == ["heating_pad"] else 1
    assert wait_until(lambda: not home.pad.on, timeout=deadline - time.time() + 3)
    assert wait_until(lambda: _timers(home) == [])
    row = record(
        home.row(
            "bridge SIGKILL mid-heat, restarted before the deadline",
            deadline,
            BRIDGE_TICK_S,
            lost=lost,
            truthful=home.heat_told_truly(),
            note="only the persisted bridge timer can stop this plug",
        )
    )
    assert row.meets_goals, row


@pytest.mark.parametrize("pad", ["tasmota", "generic"])
def test_sigstop_mid_heat(make_home: Home, record: Record, pad: str) -> None:
    home = make_home(pad=pad)
    asked = home.ask("heat/start", minutes=2)
    assert asked.ok, asked.reply
    deadline = home.real(asked.data["ends_at"])
    home.settle()
    home.hang()
    home.sleep_until(deadline + 1.0)
    back = time.time()
    home.resume()
    assert wait_until(lambda: not home.pad.on, timeout=5)
    assert wait_until(lambda: _timers(home) == [])
    # With no device-side auto-off the hung bridge is the only timer: the goal is a tick after
    # SIGCONT. With PulseTime the plug keeps the promise on its own.
    goal = AUTO_OFF_GOAL_S if pad == "tasmota" else back - deadline + BRIDGE_TICK_S
    off_after_back = max(0.0, (home.pad_history.last_on_after(back) or back) - back)
    row = record(
        home.row(
            "bridge SIGSTOP (hung) mid-heat, 1 s past the deadline",
            deadline,
            goal,
            truthful=home.heat_told_truly(),
            note=f"off {off_after_back:.2f} s after SIGCONT",
        )
    )
    assert row.meets_goals, row


@pytest.mark.parametrize("fault", ["kill", "hang"])
def test_bridge_killed_or_hung_mid_bath(make_home: Home, record: Record, fault: str) -> None:
    home = make_home()
    asked = home.ask("bath/fill")
    assert asked.ok, asked.reply
    deadline = home.real(asked.data["ends_at"])
    home.settle()
    killed = fault == "kill"
    if killed:
        home.kill()
        home.sleep_until(deadline + 0.5)
        home.start_bridge()
    else:
        home.hang()
        home.sleep_until(deadline + 1.0)
        home.resume()
    assert wait_until(lambda: _timers(home) == [])
    row = record(
        home.row(
            "bridge SIGKILL mid-bath, down past the deadline"
            if killed
            else "bridge SIGSTOP (hung) mid-bath, 1 s past the deadline",
            deadline,
            AUTO_OFF_GOAL_S,
            valve=True,
            truthful=bath_truthful(home.state(), home.valve.on),
            note=f"bath status after {'restart' if killed else 'SIGCONT'}:"
            f" {home.status()['bath']['status']}",
            lost=0 if killed else None,
        )
    )
    assert row.meets_goals, row


ROUTINE = """name: fault_heat
title: fault heat
steps:
  - say: Heat now.
  - heat: 2
  - wait_for: heat_done
  - say: Heat's done.
"""


def _routine_home(make_home: Home, tmp_path: Path) -> FaultHome:
    folder = tmp_path / "routines"
    folder.mkdir()
    (folder / "fault_heat.yaml").write_text(ROUTINE)
    return make_home(pad="tasmota", routines_dir=str(folder))


def _routine_deadline(home: FaultHome) -> float:
    assert home.ask("routine/start", name="fault_heat").ok
    assert wait_until(lambda: home.pad.on and home.status()["heat"]["ends_at"], timeout=5)
    ends_at = home.status()["heat"]["ends_at"]
    assert isinstance(ends_at, str)
    return home.real(ends_at)


@pytest.mark.parametrize("fault", ["SIGKILL", "SIGSTOP"])
def test_fault_mid_routine(make_home: Home, record: Record, tmp_path: Path, fault: str) -> None:
    home = _routine_home(make_home, tmp_path)
    deadline = _routine_deadline(home)
    home.settle()
    if fault == "SIGKILL":
        home.kill()
        time.sleep(0.5)
        home.start_bridge()  # before the deadline: the routine is reported interrupted
    else:
        home.hang()
        home.sleep_until(deadline + 1.0)
        home.resume()
    assert wait_until(lambda: not home.pad.on, timeout=deadline - time.time() + 3)
    assert wait_until(lambda: _timers(home) == [])
    routine = home.status()["routine"] or {}
    row = record(
        home.row(
            f"bridge {fault} mid-routine (its heat step running)",
            deadline,
            AUTO_OFF_GOAL_S,
            lost=None,
            truthful=home.heat_told_truly(),
            note=f"routine afterwards: {routine.get('status', 'none')}",
        )
    )
    assert row.meets_goals, row
