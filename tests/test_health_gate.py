"""The health state, urgency by sign and the one safety gate: pure, with a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from routines import BodyArea, PainFlag
from routines.engine import Announce, FillBath, RoutineRun, StartHeat
from routines.gate import (
    BathRequest,
    HeatRequest,
    RoutineRequest,
    RunRequest,
    StepRequest,
    StretchRequest,
    Verdict,
    decide,
)
from routines.health import RED_FLAGS, HealthState, RedFlag, Urgency
from routines.routine import builtin_routines, parse_routine
from routines.stretches import load_library
from routines.urgency import DOCTOR_SIGNS, clear_question, recheck_question, red_flag_advice

T0 = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
LIBRARY = load_library()
ROUTINES = builtin_routines()


def flagged(sign: PainFlag, area: BodyArea | None = None, at: datetime = T0) -> HealthState:
    return HealthState().report([sign], area, at)


# --- the health state --------------------------------------------------------------------------


def test_flags_hold_until_cleared_and_never_expire() -> None:
    state = flagged(PainFlag.SWELLING, BodyArea.ANKLES)
    later = T0 + timedelta(days=30)
    assert [f.sign for f in state.active] == [PainFlag.SWELLING], "a month on it still holds"
    cleared, which = state.clear(later, BodyArea.ANKLES)
    assert [f.sign for f in which] == [PainFlag.SWELLING]
    assert cleared.active == () and cleared.flags[0].cleared_at == later


def test_clearing_one_area_keeps_the_others() -> None:
    state = flagged(PainFlag.SWELLING, BodyArea.ANKLES).report([PainFlag.SHARP], BodyArea.KNEES, T0)
    state, which = state.clear(T0, BodyArea.ANKLES)
    assert [(f.sign, f.area) for f in state.active] == [(PainFlag.SHARP, BodyArea.KNEES)]
    state, which = state.clear(T0)
    assert state.active == () and len(which) == 1


def test_reporting_again_keeps_the_first_report_and_ignores_soreness_signs() -> None:
    state = flagged(PainFlag.SWELLING, BodyArea.ANKLES)
    again = state.report(
        [PainFlag.SWELLING, PainFlag.CANT_WALK_STAIRS], BodyArea.ANKLES, T0 + timedelta(days=1)
    )
    assert len(again.flags) == 1 and again.flags[0].reported_at == T0
    assert PainFlag.CANT_WALK_STAIRS not in RED_FLAGS, "very sore is not an injury"


def test_the_state_round_trips_through_strings_only() -> None:
    state = flagged(PainFlag.DARK_URINE).report([PainFlag.SHARP], BodyArea.KNEES, T0)
    state, _ = state.clear(T0 + timedelta(hours=1), BodyArea.KNEES)
    document = state.to_dict()

    def strings_only(value: object) -> bool:
        if isinstance(value, dict):
            return all(isinstance(k, str) and strings_only(v) for k, v in value.items())
        if isinstance(value, list):
            return all(strings_only(v) for v in value)
        return isinstance(value, str)

    assert strings_only(document), "no floats: DynamoDB takes it as it is"
    assert HealthState.from_dict(document) == state


def test_recheck_is_due_after_a_few_days_and_not_again_right_after_asking() -> None:
    state = flagged(PainFlag.SWELLING, BodyArea.ANKLES)
    assert state.due_recheck(T0 + timedelta(days=2)) is None
    due = state.due_recheck(T0 + timedelta(days=3))
    assert due is not None
    assert recheck_question(due, T0 + timedelta(days=4)) == (
        "4 days ago you told me your ankle is swollen. Is that better now?"
    )
    asked = state.asked(T0 + timedelta(days=4))
    assert asked.due_recheck(T0 + timedelta(days=5)) is None
    assert asked.due_recheck(T0 + timedelta(days=7)) is not None


def test_cleared_flags_are_kept_for_a_while_then_dropped() -> None:
    state, _ = flagged(PainFlag.SHARP, BodyArea.KNEES).clear(T0)
    assert len(state.report([], None, T0 + timedelta(days=30)).flags) == 1
    assert state.report([], None, T0 + timedelta(days=91)).flags == ()


def test_bad_stored_flags_are_refused() -> None:
    with pytest.raises(ValueError):
        RedFlag.from_dict({"sign": "sore", "reported_at": T0.isoformat()})
    with pytest.raises(ValueError):
        HealthState.from_dict({"flags": "none"})
    with pytest.raises(ValueError):
        RedFlag(PainFlag.SHARP, None, datetime(2026, 1, 1))


# --- urgency by sign ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sign", "soreness", "urgency", "opening"),
    [
        (PainFlag.CHEST_PAIN, None, Urgency.NOW, "Call emergency services now"),
        (PainFlag.FAINTING, None, Urgency.NOW, "Get medical help now"),
        (PainFlag.DARK_URINE, 8, Urgency.NOW, "Get medical help now"),
        (PainFlag.DARK_URINE, None, Urgency.TODAY, "Please get medical help today"),
        (PainFlag.SWELLING, None, Urgency.CHECK, "Have a doctor or physiotherapist check"),
        (PainFlag.SHARP, 9, Urgency.CHECK, "Have a doctor or physiotherapist check"),
        (PainFlag.CANT_BEAR_WEIGHT, None, Urgency.CHECK, "Have a doctor or physiotherapist"),
        (PainFlag.NUMBNESS, None, Urgency.CHECK, "Have a doctor or physiotherapist check"),
    ],
)
def test_urgency_by_sign_says_the_action_first_in_under_40_words(
    sign: PainFlag, soreness: int | None, urgency: Urgency, opening: str
) -> None:
    state = flagged(sign, BodyArea.ANKLES if urgency is Urgency.CHECK else None)
    assert state.urgency(soreness) is urgency
    advice = red_flag_advice(state, soreness)
    assert advice is not None and advice.startswith(opening)
    assert len(advice.split()) < 40
    for padding in ("ibuprofen", "pain reliever", "stretch with", "physiotherapist check it"):
        assert padding not in advice or urgency is Urgency.CHECK


def test_ordinary_soreness_needs_no_doctor() -> None:
    assert HealthState().urgency(9) is Urgency.NONE
    assert red_flag_advice(HealthState(), 9) is None


def test_doctor_signs_list_every_red_flag_without_assuming_one() -> None:
    for words in ("chest pain", "fainting", "dark", "swelling", "sharp", "numbness", "bear weight"):
        assert words in DOCTOR_SIGNS
    assert "same day" in DOCTOR_SIGNS and "Please get medical care today" not in DOCTOR_SIGNS


def test_clearing_an_urgent_sign_asks_about_a_doctor() -> None:
    assert "Has a doctor seen you" in clear_question(flagged(PainFlag.CHEST_PAIN).active)
    swollen = flagged(PainFlag.SWELLING, BodyArea.ANKLES).active
    assert clear_question(swollen).startswith("You told me your ankle is swollen.")


# --- the gate ----------------------------------------------------------------------------------

EVERY_FLAG = [
    (sign, BodyArea.ANKLES if sign not in {PainFlag.CHEST_PAIN, PainFlag.DARK_URINE} else None)
    for sign in sorted(RED_FLAGS)
]


@pytest.mark.parametrize(("sign", "area"), EVERY_FLAG)
def test_every_red_flag_stops_heat_hot_water_and_running(
    sign: PainFlag, area: BodyArea | None
) -> None:
    state = flagged(sign, area)
    for request in (HeatRequest(), BathRequest(), RunRequest()):
        decision = decide(state, request)
        assert decision.verdict is Verdict.REFUSED, (sign, request)
        assert decision.reason and len(decision.reason.split()) < 40


def test_nothing_reported_allows_everything() -> None:
    session = LIBRARY.session()
    assert decide(HealthState(), HeatRequest()).verdict is Verdict.ALLOWED
    assert decide(HealthState(), StretchRequest(session)).stretches == session
    routine = ROUTINES["long_run_recovery"]
    assert decide(HealthState(), RoutineRequest(routine)).routine == routine


def test_heat_on_a_swollen_ankle_says_why_and_suggests_ice() -> None:
    reason = decide(flagged(PainFlag.SWELLING, BodyArea.ANKLES), HeatRequest()).reason
    assert reason == (
        "I won't turn on the heating pad while your ankle is swollen: heat can make fresh "
        "swelling worse. An ice pack suits a fresh, tender spot."
    )


@pytest.mark.parametrize(
    "sign",
    [
        PainFlag.SHARP,
        PainFlag.SWELLING,
        PainFlag.CANT_BEAR_WEIGHT,
        PainFlag.NUMBNESS,
        PainFlag.CHEST_PAIN,
        PainFlag.DARK_URINE,
        PainFlag.FAINTING,
    ],
)
def test_no_stretching_session_over_sharp_pain_swelling_or_urgent_signs(sign: PainFlag) -> None:
    decision = decide(flagged(sign, BodyArea.SHINS), StretchRequest(LIBRARY.session()))
    assert decision.verdict is Verdict.REFUSED and decision.stretches == ()


def test_localised_pain_keeps_stretches_that_avoid_the_area() -> None:
    session = LIBRARY.session()
    decision = decide(flagged(PainFlag.LOCALISED, BodyArea.ANKLES), StretchRequest(session))
    assert decision.verdict is Verdict.CHANGED
    kept = {s.id for s in decision.stretches}
    assert "calf_wall" not in kept, "a calf stretch loads the Achilles and ankle"
    assert "childs_pose" not in kept
    assert "hamstring_step" in kept
    assert decision.reason == "I've left out the stretches that load your ankle."


def test_a_whole_region_rules_out_its_parts() -> None:
    decision = decide(
        flagged(PainFlag.LASTING_DAYS, BodyArea.LEGS), StretchRequest(LIBRARY.session())
    )
    assert decision.verdict is Verdict.REFUSED, "every stretch loads the legs somewhere"


def test_pain_in_one_spot_with_no_area_refuses_stretching() -> None:
    decision = decide(flagged(PainFlag.LOCALISED), StretchRequest(LIBRARY.session()))
    assert decision.verdict is Verdict.REFUSED


def test_a_routine_is_refused_when_nothing_useful_is_left() -> None:
    decision = decide(
        flagged(PainFlag.SWELLING, BodyArea.ANKLES), RoutineRequest(ROUTINES["sore_calves"])
    )
    assert decision.verdict is Verdict.REFUSED
    assert decision.reason.startswith(
        "I won't start the sore calves routine while your ankle is swollen: it uses the heat "
        "and the stretches"
    )


def test_a_routine_is_trimmed_and_says_which() -> None:
    decision = decide(
        flagged(PainFlag.LOCALISED, BodyArea.KNEES), RoutineRequest(ROUTINES["long_run_recovery"])
    )
    assert decision.verdict is Verdict.CHANGED and decision.routine is not None
    assert decision.reason == (
        "I've left out the heat, the bath, the standing hamstring stretch, the standing quad "
        "stretch and the kneeling hip flexor stretch from the long-run recovery routine while "
        "you have pain in one spot in your knee."
    )
    kinds = {type(step).__name__ for step in decision.routine.steps}
    assert {"Heat", "Bath", "WaitFor"}.isdisjoint(kinds)
    texts = [getattr(step, "text", "") for step in decision.routine.steps]
    assert not any("heating pad" in text for text in texts), "its heat announcement goes too"


def test_a_trimmed_routine_runs_without_heat_or_water() -> None:
    decision = decide(
        flagged(PainFlag.LOCALISED, BodyArea.KNEES), RoutineRequest(ROUTINES["long_run_recovery"])
    )
    assert decision.routine is not None
    run = RoutineRun(decision.routine, LIBRARY)
    actions = run.start(T0)
    for second in range(1, 3600):
        actions += run.tick(T0 + timedelta(seconds=second))
    assert not [a for a in actions if isinstance(a, StartHeat | FillBath)]
    assert run.status.value == "finished"


def test_the_engine_asks_the_gate_before_every_step_and_skips_refused_ones() -> None:
    routine = ROUTINES["long_run_recovery"]
    health = HealthState()

    def check(index: int) -> str | None:
        decision = decide(health, StepRequest(routine, index), LIBRARY)
        return None if decision.allowed else decision.reason

    run = RoutineRun(routine, LIBRARY, check=check)
    actions = run.start(T0)
    # A minute in, the runner reports a swollen ankle: the heat, the bath and the rest of the
    # stretches are left out, said once, and the routine still finishes on time.
    moment = T0
    for _ in range(60):
        moment += timedelta(seconds=1)
        actions += run.tick(moment)
    health = flagged(PainFlag.SWELLING, BodyArea.ANKLES, moment)
    for _ in range(3600):
        moment += timedelta(seconds=1)
        actions += run.tick(moment)
    assert not [a for a in actions if isinstance(a, StartHeat | FillBath)]
    refusals = [a.text for a in actions if isinstance(a, Announce) and "I won't" in a.text]
    assert refusals == [
        "I won't guide stretches while your ankle is swollen: a swollen area shouldn't be "
        "stretched until it's been checked.",
        "I won't turn on the heating pad while your ankle is swollen: heat can make fresh "
        "swelling worse. An ice pack suits a fresh, tender spot.",
        "I won't run a hot bath while your ankle is swollen: heat can make fresh swelling worse.",
    ]
    assert run.status.value == "finished"


def test_skipping_a_step_keeps_what_follows_on_time() -> None:
    routine = parse_routine(
        "name: t\ntitle: t\nsteps:\n"
        "  - say: one\n"
        "  - stretch: calf_wall\n"
        "  - say: after the stretch\n"
    )
    refuse = {1}
    run = RoutineRun(routine, LIBRARY, check=lambda i: "no" if i in refuse else None)
    said: list[tuple[float, str]] = []
    for second in range(0, 30):
        moment = T0 + timedelta(seconds=second)
        for action in run.start(moment) if second == 0 else run.tick(moment):
            assert isinstance(action, Announce)
            said.append((second, action.text))
    assert [text for _, text in said] == ["one", "no", "after the stretch"]
    assert said[-1][0] <= 5, "the skipped stretch leaves no silent gap"
