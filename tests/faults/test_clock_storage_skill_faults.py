"""Clock steps around a deadline, the bridge's timer database locked or read-only, and the skill
asking a hung bridge."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import replace

import pytest
from fault_harness import BRIDGE_TICK_S, HOME_NAME, FaultHome
from fault_table import AUTO_OFF_GOAL_S, Row
from mqtt_support import wait_until

from mqtt_bridge.client import BridgeClient
from mqtt_bridge.safety import SafetyLimits
from skill.home import HomeAccess

pytestmark = pytest.mark.faults

Home = Callable[..., FaultHome]
Record = Callable[[Row], Row]
STEP_S = 60.0  # clock seconds: one real second at scale 60


def _timers(home: FaultHome) -> list[str]:
    return [timer["device"] for timer in home.status()["timers"]]


@pytest.mark.parametrize(
    ("pad", "step"),
    [
        pytest.param(
            "generic",
            -STEP_S,
        ),
        ("tasmota", -STEP_S),
        ("generic", STEP_S),
    ],
)
def test_clock_steps_around_the_deadline(
    make_home: Home, record: Record, pad: str, step: float
) -> None:
    # An in-process bridge whose clock is stepped; devices and broker are real.
    home = make_home(pad=pad, in_process=True)
    asked = home.ask("heat/start", minutes=2)
    assert asked.ok, asked.reply
    # The promise in real time: two minutes of heat from now, whatever the clock says later.
    deadline = home.real(asked.data["ends_at"])
    home.settle()
    home.sleep_until(deadline - 0.5)
    home.clock.step(step)
    assert wait_until(lambda: not home.pad.on, timeout=abs(step) / home.scale + 3)
    off = home.pad_history.changes[-1][0]
    assert wait_until(lambda: _timers(home) == [])
    row = record(
        home.row(
            f"clock stepped {'back' if step < 0 else 'forward'} {abs(step):g} s, 0.5 s real"
            " before the deadline",
            deadline,
            AUTO_OFF_GOAL_S if pad == "tasmota" else BRIDGE_TICK_S,
            truthful=home.heat_told_truly(),
            note=f"off {off - deadline:+.2f} s real from the promise; in-process bridge,"
            " the system wall clock under its clock stepped",
            # The bridge's clock runs on the monotonic clock, so the over-run is real time: a
            # step would show here as the whole step (60 s of clock, 1 s real at this scale).
        )
    )
    assert row.meets_goals, row


def test_timer_database_locked_at_the_deadline(make_home: Home, record: Record) -> None:
    home = make_home(pad="generic")
    asked = home.ask("heat/start", minutes=2)
    assert asked.ok, asked.reply
    deadline = home.real(asked.data["ends_at"])
    home.settle()
    home.sleep_until(deadline - 0.5)
    locker = sqlite3.connect(home.tmp_path / "bridge.sqlite3", isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    home.sleep_until(deadline + 2.0)
    locker.execute("ROLLBACK")
    locker.close()
    assert wait_until(lambda: not home.pad.on, timeout=8)
    row = record(
        home.row(
            "bridge timer database locked from 0.5 s before to 2 s after the deadline",
            deadline,
            BRIDGE_TICK_S,
            truthful=home.heat_told_truly(),
            note="another process holds BEGIN EXCLUSIVE on bridge.sqlite3",
        )
    )
    assert row.meets_goals, row


def test_timer_database_read_only_at_the_deadline(make_home: Home, record: Record) -> None:
    home = make_home(pad="generic", in_process=True)
    asked = home.ask("heat/start", minutes=2)
    assert asked.ok, asked.reply
    deadline = home.real(asked.data["ends_at"])
    home.settle()
    assert home.bridge is not None
    # Root ignores file modes, so the bridge's own connection is made read-only instead.
    home.bridge._store.db.execute("PRAGMA query_only = ON")
    home.sleep_until(deadline + 2.0)
    row = record(
        home.row(
            "bridge timer database read-only mid-session",
            deadline,
            BRIDGE_TICK_S,
            truthful=home.heat_told_truly(),
            note="PRAGMA query_only on the bridge's connection (in-process bridge);"
            + (" still on 2 s past the deadline" if home.pad.on else ""),
        )
    )
    assert row.meets_goals, row


@pytest.mark.slow
def test_timer_database_locked_at_heat_start(make_home: Home, record: Record) -> None:
    home = make_home(pad="tasmota")
    locker = sqlite3.connect(home.tmp_path / "bridge.sqlite3", isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    asked = home.ask("heat/start", timeout=5.0, minutes=2)
    time.sleep(1.0)  # past the bridge's own 5 s busy timeout
    locker.execute("ROLLBACK")
    locker.close()
    time.sleep(0.5)
    # Measured before the next request, which switches the pad on legitimately.
    executed = home.pad_history.turned_on_after(asked.answered_at)
    again = home.ask("heat/start", minutes=2)
    assert again.ok, again.reply
    row = home.row(
        "bridge timer database locked during heat/start (6 s)",
        None,
        None,
        starts=1,
        lost=0,
        truthful=home.heat_told_truly(),
        note=f"first answer: {'none' if asked.reply is None else asked.reply.get('status')}"
        "; the next heat/start after the lock works",
    )
    row = record(replace(row, after_failure=executed))
    assert not asked.ok
    assert row.meets_goals, row


@pytest.mark.slow
def test_skill_answers_while_the_bridge_is_hung(make_home: Home, record: Record) -> None:
    home = make_home(pad="tasmota")
    client = BridgeClient(home.config.broker)
    client.start()
    access = HomeAccess(
        client, default_home=HOME_NAME, user_homes={}, safety=SafetyLimits(), timeout_s=5.0
    )
    try:
        hung = time.time()
        home.hang()
        outcome = access.request(HOME_NAME, "heat/start", {"minutes": 2})
        failed_at = time.time()
        assert not outcome.ok, "the skill must not claim a hung bridge did it"
        home.sleep_until(hung + 6.0)  # under the broker's 1.5 x keepalive: the bridge stays
        home.resume()
        time.sleep(3.0)
    finally:
        access.close()
    row = record(
        home.row(
            "skill asks while the bridge is hung (SIGSTOP 6 s), SIGCONT",
            failed_at,
            AUTO_OFF_GOAL_S,
            failed_at=failed_at,
            truthful=home.heat_told_truly(),
            note=f"skill said: {outcome.error}; promised off time: when it said so",
        )
    )
    assert row.meets_goals, row
