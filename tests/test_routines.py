"""Stretches, routine files and the routine engine, with a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from routines import BodyArea, RunContext
from routines.engine import Announce, FillBath, RoutineRun, StartHeat, Status, StopDevice
from routines.routine import RoutineError, builtin_routines, load_routines, parse_routine
from routines.stretches import load_library, speech_seconds

T0 = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)


def run_to_end(
    run: RoutineRun, step_s: float = 1.0, limit_s: float = 3600
) -> list[tuple[float, object]]:
    """Tick every `step_s` seconds, recording (seconds since start, action)."""
    log: list[tuple[float, object]] = []
    now = T0
    log += [(0.0, a) for a in run.start(now)]
    while (
        run.status not in (Status.FINISHED, Status.STOPPED) and (now - T0).total_seconds() < limit_s
    ):
        now += timedelta(seconds=step_s)
        log += [((now - T0).total_seconds(), a) for a in run.tick(now)]
    return log


# --- stretches -----------------------------------------------------------------------------


def test_library_covers_the_areas_the_articles_name() -> None:
    library = load_library()
    served = set().union(*(s.areas for s in library.stretches.values()))
    assert {
        BodyArea.CALVES,
        BodyArea.HAMSTRINGS,
        BodyArea.QUADS,
        BodyArea.HIPS,
        BodyArea.HIP_FLEXORS,
        BodyArea.GLUTES,
        BodyArea.LOWER_BACK,
    } <= served
    for stretch in library.stretches.values():
        assert 10 <= stretch.hold_s <= 60


def test_session_puts_sore_areas_first() -> None:
    library = load_library()
    default = [s.id for s in library.session()]
    assert default[:3] == ["calf_wall", "hamstring_step", "quad_standing"]
    calves = [s.id for s in library.session(RunContext(sore_areas=frozenset({BodyArea.CALVES})))]
    assert calves[:2] == ["calf_wall", "calf_bent_knee"]
    back = [s.id for s in library.session(RunContext(sore_areas=frozenset({BodyArea.LOWER_BACK})))]
    assert back[0] in ("knees_to_chest", "childs_pose")


def test_long_runs_get_a_fuller_cool_down() -> None:
    library = load_library()
    short = [s.id for s in library.session(RunContext(distance_km=5))]
    long = [s.id for s in library.session(RunContext(distance_km=30))]
    assert len(short) == 6
    assert long[:6] == short and set(long[6:]) == {"butterfly", "knees_to_chest"}


def test_cues_leave_time_to_speak_and_breathe() -> None:
    library = load_library()
    stretch = library.get("calf_wall")
    cues = library.cues(stretch)
    assert cues[0].text.startswith("Standing calf stretch.") and "ease off" in cues[0].text
    assert cues[1].at_s >= speech_seconds(cues[0].text), "the first hold starts after the cue"
    texts = [c.text for c in cues]
    assert texts.count("Breathe slowly and deeply.") == 2
    assert "And relax. Now switch to your left side." in texts
    assert texts[-1] == "And relax."
    assert [c.at_s for c in cues] == sorted(c.at_s for c in cues)


# --- routine files -------------------------------------------------------------------------


def test_builtin_routines_load() -> None:
    routines = builtin_routines()
    assert set(routines) == {"cool_down", "long_run_recovery", "sore_calves"}
    assert routines["long_run_recovery"].title == "long-run recovery"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "name: x\ntitle: X\nsteps:\n  - say: hi\n  - stretch: toe_curl\n",
            "r.yaml:5: unknown stretch 'toe_curl'",
        ),
        (
            "name: x\ntitle: X\nsteps:\n  - heat: 90\n",
            "r.yaml:4: heat minutes must be a whole number from 1 to 60",
        ),
        (
            "name: x\ntitle: X\nsteps:\n  - say: hi\n    wait: 3\n",
            "r.yaml:4: a step has exactly one action",
        ),
        ("name: x\ntitle: X\nsteps:\n  - dance: yes\n", "r.yaml:4: unknown step 'dance'"),
        (
            "name: x\ntitle: X\nsteps:\n  - wait_for: tea\n",
            "r.yaml:4: wait_for is one of bath_ready, heat_done",
        ),
        ("name: x\ntitle: X\nsteps:\n  - say: hi\n    background: true\n", "only heat and bath"),
        ("name: Bad Name\ntitle: X\nsteps: [{say: hi}]\n", "r.yaml:1: name must be"),
        ("name: x\nsteps: [{say: hi}]\n", "r.yaml:1: title is required"),
        ("name: x\ntitle: X\nsteps: []\n", "r.yaml:3: steps must be a non-empty list"),
        ("name: x\ntitle: X\ncolour: red\nsteps: [{say: hi}]\n", "r.yaml:3: unknown key 'colour'"),
        ("name: x\ntitle: X\nsteps:\n  - say: [unclosed\n", "r.yaml:"),
    ],
)
def test_invalid_routines_say_file_line_and_reason(text: str, message: str) -> None:
    with pytest.raises(RoutineError) as raised:
        parse_routine(text, "r.yaml")
    assert message in str(raised.value)


def test_user_routines_are_added_and_can_replace_builtins(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text(
        "name: evening\ntitle: evening wind-down\nsteps:\n  - stretch: childs_pose\n"
    )
    (tmp_path / "cool.yaml").write_text(
        "name: cool_down\ntitle: my cool-down\nsteps:\n  - stretch: butterfly\n"
    )
    routines = load_routines(tmp_path)
    assert routines["evening"].title == "evening wind-down"
    assert routines["cool_down"].title == "my cool-down"
    assert "long_run_recovery" in routines


# --- the engine ----------------------------------------------------------------------------


def test_cool_down_announces_in_order_and_on_time() -> None:
    routine = builtin_routines()["cool_down"]
    library = load_library()
    log = run_to_end(RoutineRun(routine), step_s=0.5)
    texts = [a.text for _, a in log if isinstance(a, Announce)]
    assert texts[0].startswith("Let's cool down with some gentle stretches")
    assert texts[1].startswith("Standing calf stretch.")
    assert texts[-1].startswith("Well done.")
    # Expected schedule: each stretch starts when the one before ends.
    expected_start = speech_seconds(routine.steps[0].text) + 3  # type: ignore[union-attr]
    starts = [
        t
        for t, a in log
        if isinstance(a, Announce)
        and a.text.split(".")[0] in {s.title for s in library.stretches.values()}
    ]
    for stretch_id, started in zip(library.cool_down, starts, strict=True):
        assert abs(started - expected_start) <= 0.5
        expected_start += library.duration_s(library.get(stretch_id))


def test_no_drift_with_irregular_ticks() -> None:
    routine = builtin_routines()["cool_down"]
    regular = [t for t, _ in run_to_end(RoutineRun(routine), step_s=0.1)]
    irregular = [t for t, _ in run_to_end(RoutineRun(routine), step_s=7.3)]
    assert len(regular) == len(irregular)
    # Each action is late by at most one tick, never by an accumulated amount.
    assert all(0 <= b - a <= 7.3 + 1e-6 for a, b in zip(regular, irregular, strict=True))
    assert regular[-1] > 400, "a routine of several minutes"


def test_pause_shifts_everything_still_to_come() -> None:
    routine = builtin_routines()["cool_down"]
    run = RoutineRun(routine)
    run.start(T0)
    first_cue = run.next_wakeup()
    assert first_cue is not None
    assert run.pause(T0 + timedelta(seconds=1)) == [
        Announce("Paused. Say resume when you're ready.")
    ]
    assert run.tick(T0 + timedelta(minutes=30)) == []
    assert run.next_wakeup() is None
    resumed = run.resume(T0 + timedelta(seconds=61))
    assert resumed[0] == Announce("Resuming.")
    assert run.next_wakeup() == first_cue + timedelta(seconds=60)


def test_skip_moves_to_the_next_step_now() -> None:
    routine = builtin_routines()["cool_down"]
    run = RoutineRun(routine)
    run.start(T0)
    run.tick(T0 + timedelta(seconds=20))  # inside the calf stretch
    actions = run.skip(T0 + timedelta(seconds=21))
    assert isinstance(actions[0], Announce) and actions[0].text.startswith(
        "Standing hamstring stretch."
    )


def long_run() -> RoutineRun:
    return RoutineRun(builtin_routines()["long_run_recovery"])


def _until(run: RoutineRun, kind: type, start: datetime) -> tuple[datetime, list[object]]:
    now, seen = start, []
    while not any(isinstance(a, kind) for a in seen):
        now += timedelta(seconds=1)
        seen += run.tick(now)
        assert now - start < timedelta(hours=1)
    return now, seen


def test_long_run_starts_heat_then_the_bath_and_waits_for_both() -> None:
    run = long_run()
    run.start(T0)
    heat_at, actions = _until(run, StartHeat, T0)
    assert StartHeat(15) in actions
    bath_at, actions = _until(run, FillBath, heat_at)
    assert FillBath(None, True) in actions
    assert bath_at - heat_at == timedelta(minutes=5)
    assert run.status is Status.WAITING
    assert run.tick(bath_at + timedelta(minutes=1)) == []
    assert run.status is Status.WAITING, "nothing moves until the heat is done"
    # The bath got ready first; the heat ends ten minutes after the bath started.
    run.condition("bath_ready", bath_at + timedelta(minutes=9))
    done = run.condition("heat_done", heat_at + timedelta(minutes=15))
    texts = [a.text for a in done if isinstance(a, Announce)]
    assert texts[0].startswith("Soak for fifteen to twenty minutes")


def test_failed_bath_is_said_and_its_then_is_not() -> None:
    run = long_run()
    run.start(T0)
    bath_at, _ = _until(run, FillBath, T0)
    run.condition("bath_ready", bath_at, ok=False)
    actions = run.condition("heat_done", bath_at + timedelta(minutes=10))
    texts = [a.text for a in actions if isinstance(a, Announce)]
    assert "The bath didn't start, so let's skip that part." in texts
    assert not any(t.startswith("Soak for") for t in texts)


def test_waits_time_out() -> None:
    run = RoutineRun(
        parse_routine(
            "name: x\ntitle: X\nsteps:\n"
            "  - wait_for: {condition: bath_ready, timeout_minutes: 2}\n  - say: after\n"
        )
    )
    run.start(T0)
    assert run.tick(T0 + timedelta(seconds=119)) == []
    actions = run.tick(T0 + timedelta(seconds=120))
    assert actions[0] == Announce("I waited long enough for the bath, so let's move on.")
    assert Announce("after") in actions


def test_condition_during_a_pause_is_kept() -> None:
    run = RoutineRun(
        parse_routine("name: x\ntitle: X\nsteps:\n  - wait_for: heat_done\n  - say: after\n")
    )
    run.start(T0)
    run.pause(T0 + timedelta(seconds=5))
    run.condition("heat_done", T0 + timedelta(seconds=10))
    assert Announce("after") in run.resume(T0 + timedelta(seconds=20))


def test_stop_stops_what_the_routine_started() -> None:
    run = long_run()
    run.start(T0)
    heat_at, _ = _until(run, StartHeat, T0)
    actions = run.stop(heat_at + timedelta(minutes=1))
    assert actions == [StopDevice("heat"), Announce("Routine stopped.")]
    assert run.status is Status.STOPPED and run.tick(heat_at + timedelta(hours=1)) == []
