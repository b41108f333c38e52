"""The guidance core: every article tip is present, triage is safe, plans are ordered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from routines import (
    BodyArea,
    InvalidContextError,
    KnowledgeError,
    PainFlag,
    RunContext,
    RunRecord,
    RunType,
    Timing,
    TrainingLoad,
    Triage,
    build_plan,
    load_knowledge,
    training_load,
    triage,
)
from routines.context import DistanceUnit
from routines.knowledge import parse_knowledge
from routines.plan import Stage
from routines.training import next_week_cap_km

# Each claim of the two articles, the tip that carries it, and a phrase the tip must say.
ARTICLE_CLAIMS: dict[str, list[tuple[str, str]]] = {
    "soreness_blog": [
        ("why_microtears", "tiny tears"),
        ("warm_up", "dynamic stretches"),
        ("cool_down_stretches", "static stretches"),
        ("cool_down_stretches", "breathe deeply"),
        ("hydrate", "before, during and after"),
        ("refuel_carbs_protein", "30 minutes"),
        ("refuel_carbs_protein", "banana with peanut butter"),
        ("refuel_carbs_protein", "yogurt parfait"),
        ("refuel_carbs_protein", "protein smoothie"),
        ("ice_tender_spots", "ice pack"),
        ("heat_if_persists", "heating pad"),
        ("contrast_therapy", "contrast therapy"),
        ("massage", "massage"),
        ("foam_rolling", "foam roller"),
        ("rest_day_low_impact", "walking or"),
        ("rest_day_low_impact", "swimming"),
        ("weekly_rest_days", "rest days"),
        ("rest_after_long_race", "the rest it needs"),
        ("rest_after_long_race", "time to recover"),
        ("otc_pain_relief", "ibuprofen or acetaminophen"),
        ("otc_pain_relief", "recommended dose"),
        ("gradual_increase", "gradually"),
        ("dont_push_through", "pushing through intense pain"),
    ],
    "runtothefinish": [
        ("why_break_down_build_up", "break down to build back up"),
        ("sore_vs_injured", "sore, super sore and injured"),
        ("ten_percent_rule", "10 percent"),
        ("eighty_percent_easy", "80 percent"),
        ("fuel_carbs_protein_fats", "carbs, protein and fats"),
        ("no_run_if_stairs", "walk down the stairs"),
        ("epsom_bath", "Epsom salt bath"),
        ("epsom_bath", "lavender"),
        ("compression", "compression tights or socks"),
        ("compression_long_runs", "extra support"),
        ("magnesium_lotion", "Epsom bath in a bottle"),
        ("magnesium_lotion", "cramps"),
        ("cbd", "localised ache"),
        ("turmeric", "anti-inflammatory"),
        ("turmeric", "don't take it right after"),
        ("pain_reliever_means_more", "never to take one before running"),
        ("light_stretching_range", "restorative yoga"),
        ("light_stretching_range", "range of motion"),
        ("light_stretching_range", "tight hips"),
        ("active_recovery", "easy walk or easy bike ride"),
        ("active_recovery", "vitamin D"),
        ("active_recovery", "mood"),
        ("electrolytes", "electrolytes"),
        ("electrolytes", "potassium"),
        ("sleep_minute_per_mile", "a minute of sleep for every mile"),
        ("sleep_minute_per_mile", "growth hormone"),
        ("sleep_routine_naps", "nap"),
    ],
}


@pytest.mark.parametrize(
    ("source", "tip_id", "phrase"),
    [(source, tip, phrase) for source, claims in ARTICLE_CLAIMS.items() for tip, phrase in claims],
)
def test_every_article_claim_is_in_the_guidance(source: str, tip_id: str, phrase: str) -> None:
    tip = load_knowledge().tip(tip_id)
    assert tip.source == source
    assert phrase.lower() in tip.say.lower()


def test_every_article_tip_is_accounted_for() -> None:
    claimed = {tip for claims in ARTICLE_CLAIMS.values() for tip, _ in claims}
    article_tips = {tip.id for tip in load_knowledge().tips if tip.source != "safety"}
    assert article_tips == claimed


def test_disagreements_say_both_sides() -> None:
    knowledge = load_knowledge()
    ice = knowledge.disagreement("ice_heat")
    pills = knowledge.disagreement("pain_relievers")
    assert ice is not None and pills is not None
    assert "ice pack" in ice.say and "no more ice baths" in ice.say
    assert "ibuprofen" in pills.say and "more than soreness" in pills.say


# --- run context ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"soreness": 11},
        {"soreness": -1},
        {"soreness": 5.5},
        {"soreness": True},
        {"distance_km": -3},
        {"distance_km": float("nan")},
        {"distance_km": 1000},
        {"duration_s": "long"},
        {"hours_since_run": -1},
    ],
)
def test_out_of_range_context_is_refused_with_the_field_named(fields: dict[str, Any]) -> None:
    with pytest.raises(InvalidContextError, match=next(iter(fields))):
        RunContext(**fields)


def test_race_names_carry_their_distance() -> None:
    assert RunContext(run_type=RunType.HALF_MARATHON).distance_km == pytest.approx(21.0975)
    assert RunContext(run_type=RunType.MARATHON).is_long_run
    assert not RunContext(run_type=RunType.FIVE_K).is_long_run


@pytest.mark.parametrize(
    ("context", "long"),
    [
        (RunContext(distance_km=16), True),
        (RunContext(distance_km=15.9), False),
        (RunContext(duration_s=90 * 60), True),
        (RunContext(run_type=RunType.LONG), True),
        (RunContext(), False),
    ],
)
def test_long_run_threshold(context: RunContext, long: bool) -> None:
    assert context.is_long_run is long


# --- triage --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "level"),
    [
        ({PainFlag.SHARP}, Triage.POSSIBLE_INJURY),
        ({PainFlag.LOCALISED}, Triage.POSSIBLE_INJURY),
        ({PainFlag.SWELLING}, Triage.POSSIBLE_INJURY),
        ({PainFlag.LASTING_DAYS}, Triage.POSSIBLE_INJURY),
        ({PainFlag.CANT_WALK_STAIRS}, Triage.VERY_SORE),
        ({PainFlag.DARK_URINE}, Triage.URGENT),
        ({PainFlag.DARK_URINE, PainFlag.SHARP}, Triage.URGENT),
        ({PainFlag.CANT_WALK_STAIRS, PainFlag.SWELLING}, Triage.POSSIBLE_INJURY),
    ],
)
def test_red_flags_set_the_triage_level(flags: set[PainFlag], level: Triage) -> None:
    result = triage(RunContext(pain_flags=frozenset(flags)))
    assert result.level is level
    assert len(result.reasons) == len(flags)


@pytest.mark.parametrize(
    ("soreness", "level"), [(0, Triage.NORMAL), (6, Triage.NORMAL), (7, Triage.VERY_SORE)]
)
def test_soreness_rating_sets_very_sore(soreness: int, level: Triage) -> None:
    assert triage(RunContext(soreness=soreness)).level is level


def test_soreness_past_its_72_hour_peak_is_possible_injury() -> None:
    assert triage(RunContext(soreness=4, hours_since_run=80)).level is Triage.POSSIBLE_INJURY
    assert triage(RunContext(soreness=4, hours_since_run=48)).level is Triage.NORMAL
    assert triage(RunContext(soreness=2, hours_since_run=80)).level is Triage.NORMAL


# --- plans ---------------------------------------------------------------------------------


def _ids(tips: Any) -> list[str]:
    return [tip.id for tip in tips]


def test_plan_steps_are_in_time_order() -> None:
    plan = build_plan(RunContext(distance_km=20, soreness=5))
    order = [list(Timing).index(step.timing) for step in plan.steps]
    assert order == sorted(order)
    assert plan.at(Timing.WITHIN_30_MIN), "refuelling belongs in the first 30 minutes"


def test_sore_areas_move_their_tips_first() -> None:
    calves = build_plan(
        RunContext(soreness=5, sore_areas=frozenset({BodyArea.CALVES}), distance_km=20)
    )
    hips = build_plan(RunContext(soreness=5, sore_areas=frozenset({BodyArea.HIPS}), distance_km=20))
    assert BodyArea.CALVES in calves.at(Timing.TONIGHT)[0].areas
    assert BodyArea.HIPS in hips.at(Timing.TONIGHT)[0].areas


def test_long_run_adds_long_run_tips() -> None:
    short = _ids(t.tip for t in build_plan(RunContext(distance_km=5)).steps)
    long = _ids(t.tip for t in build_plan(RunContext(distance_km=30)).steps)
    assert "compression" in long and "compression" not in short
    assert "sleep_routine_naps" in long and "sleep_routine_naps" not in short


def test_no_soreness_means_no_ice_or_heat() -> None:
    tips = _ids(t.tip for t in build_plan(RunContext(soreness=0)).steps)
    assert not {"ice_tender_spots", "heat_if_persists", "contrast_therapy"} & set(tips)


def test_possible_injury_plan_sends_to_a_professional_and_drops_stretching() -> None:
    plan = build_plan(RunContext(pain_flags=frozenset({PainFlag.SHARP})))
    tips = _ids(t.tip for t in plan.steps)
    assert plan.professional_advice
    assert tips[0] == "dont_push_through"
    assert not {"cool_down_stretches", "foam_rolling", "epsom_bath"} & set(tips)
    assert {"hydrate", "sleep_minute_per_mile"} <= set(tips)
    assert "health professional" in plan.run_tomorrow


def test_urgent_plan_leads_with_medical_care() -> None:
    plan = build_plan(RunContext(pain_flags=frozenset({PainFlag.DARK_URINE})))
    assert plan.steps[0].tip.id == "urgent_care"
    assert "doctor" in plan.run_tomorrow


def test_very_sore_plan_says_rest() -> None:
    plan = build_plan(RunContext(soreness=8))
    assert "rest_day_low_impact" in _ids(plan.at(Timing.TOMORROW))
    assert plan.run_tomorrow.startswith("Not tomorrow")
    assert plan.professional_advice is None


def test_normal_plan_after_a_hard_run_says_easy_tomorrow() -> None:
    assert "easy" in build_plan(RunContext(run_type=RunType.INTERVALS)).run_tomorrow
    assert "80 percent" in build_plan(RunContext(distance_km=5)).run_tomorrow


def test_plan_names_the_disagreement_when_it_gives_ice_or_heat() -> None:
    plan = build_plan(RunContext(soreness=5))
    assert "ice_vs_heat" in [d.id for d in plan.disagreements]
    assert build_plan(RunContext(soreness=0)).disagreements == ()


# --- time since the run ----------------------------------------------------------------------

N, W, D, TN, TM, TR = (
    Timing.NOW,
    Timing.WITHIN_30_MIN,
    Timing.TODAY,
    Timing.TONIGHT,
    Timing.TOMORROW,
    Timing.TRAINING,
)


# Hours since a 10 km run (None: no run time known, as when nothing is logged), the plan's
# stage, and the moments its steps fall in, in order.
@pytest.mark.parametrize(
    ("hours", "stage", "timings"),
    [
        (None, Stage.JUST_FINISHED, [N, W, TN, TM, TR]),
        (0, Stage.JUST_FINISHED, [N, W, TN, TM, TR]),
        (0.5, Stage.JUST_FINISHED, [N, W, TN, TM, TR]),
        (2.9, Stage.JUST_FINISHED, [N, W, TN, TM, TR]),
        (3, Stage.LATER_THAT_DAY, [D, TN, TM, TR]),
        (8, Stage.LATER_THAT_DAY, [D, TN, TM, TR]),
        (11.9, Stage.LATER_THAT_DAY, [D, TN, TM, TR]),
        (12, Stage.NEXT_DAY, [D, TN, TR]),
        (24, Stage.NEXT_DAY, [D, TN, TR]),
        (35.9, Stage.NEXT_DAY, [D, TN, TR]),
        (36, Stage.DAYS_LATER, [D, TN, TR]),
        (60, Stage.DAYS_LATER, [D, TN, TR]),
    ],
)
def test_plan_follows_the_time_since_the_run(
    hours: float | None, stage: Stage, timings: list[Timing]
) -> None:
    plan = build_plan(RunContext(distance_km=10, soreness=5, hours_since_run=hours))
    assert plan.stage is stage
    assert list(dict.fromkeys(step.timing for step in plan.steps)) == timings
    tips = {step.tip.id: step.timing for step in plan.steps}
    right_after = {"cool_down_stretches", "ice_tender_spots", "refuel_carbs_protein"}
    if stage is Stage.JUST_FINISHED:
        assert right_after <= set(tips)
        assert tips["active_recovery"] is TM
    else:
        # The cool-down, ice on a fresh spot and the 30-minute snack are only for right after.
        assert not right_after & set(tips)
        # Water and food still matter all day.
        assert tips["hydrate"] is D and tips["fuel_carbs_protein_fats"] is D
        assert tips["active_recovery"] is (TM if stage is Stage.LATER_THAT_DAY else D)


@pytest.mark.parametrize("run_type", [RunType.HALF_MARATHON, RunType.MARATHON, RunType.ULTRA])
def test_the_day_after_a_long_race_is_about_rest_and_sleep(run_type: RunType) -> None:
    plan = build_plan(RunContext(run_type=run_type, hours_since_run=20))
    today = _ids(plan.at(Timing.TODAY))
    # What was planned for the day after leads, before what carries over from the run itself.
    assert today[:2] == ["rest_after_long_race", "active_recovery"]
    assert "sleep_routine_naps" in today
    assert "sleep_minute_per_mile" in _ids(plan.at(Timing.TONIGHT))
    assert "rest" in plan.run_tomorrow and "short easy run" not in plan.run_tomorrow


def test_rest_after_a_long_race_is_planned_for_tomorrow_right_after_it() -> None:
    plan = build_plan(RunContext(run_type=RunType.MARATHON, hours_since_run=0.5))
    assert _ids(plan.at(Timing.TOMORROW))[:2] == ["rest_after_long_race", "active_recovery"]
    assert "rest_after_long_race" not in _ids(
        t.tip for t in build_plan(RunContext(distance_km=10)).steps
    )


def test_a_half_marathon_distance_counts_as_a_long_race() -> None:
    assert RunContext(distance_km=21.1).is_long_race
    assert not RunContext(distance_km=20).is_long_race
    assert not RunContext(run_type=RunType.TEN_MILER).is_long_race


def test_red_flags_stay_first_whenever_they_are_reported() -> None:
    plan = build_plan(RunContext(pain_flags=frozenset({PainFlag.SHARP}), hours_since_run=30))
    assert plan.steps[0].tip.id == "dont_push_through"
    assert plan.steps[0].timing is Timing.NOW


# --- training load and the 10% rule ---------------------------------------------------------

NOW = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)


def _run(days_ago: float, km: float) -> RunRecord:
    return RunRecord(at=NOW - timedelta(days=days_ago), distance_km=km)


def test_training_load_sums_each_of_the_last_four_weeks() -> None:
    load = training_load([_run(1, 10), _run(3, 10), _run(8, 15), _run(20, 50), _run(30, 9)], NOW)
    assert load.this_week_km == 20
    assert load.last_week_km == 15
    assert load.earlier_weeks_km == (50, 0)
    assert load.runs_this_week == 2
    assert load.over_ten_percent
    # 20 is a spike over 15, so next week grows from 15, not from the spike.
    assert load.next_week_cap_km == pytest.approx(16.5)


# Week pairs (the week before, the last 7 days) in km, and the cap worked out by hand: 10% over
# the latest week that kept to the rule, so a spike week never becomes the base for more.
@pytest.mark.parametrize(
    ("last_week", "this_week", "cap"),
    [
        (20, 20, 22),  # steady: 20 * 1.1
        (20, 22, 24.2),  # exactly 10% more is within the rule: 22 * 1.1
        (20, 22.5, 22),  # 12.5% more is a spike: back to 20 * 1.1
        (20, 30, 22),  # the example: 30 after 20 allows 22 next week, not 33
        (16, 30, 17.6),  # 88% more: 16 * 1.1
        (10, 42.195, 11),  # a marathon on top of a 10 km week
        (30, 20, 22),  # a lighter week is within the rule: 20 * 1.1
        (0, 30, 33),  # nothing logged the week before: this week is all we know
        (30, 0, 33),  # nothing logged this week: last week is the latest normal one
        (0, 0, 0),
    ],
)
def test_ten_percent_rule_never_compounds_a_spike(
    last_week: float, this_week: float, cap: float
) -> None:
    load = TrainingLoad(this_week_km=this_week, last_week_km=last_week, runs_this_week=1)
    assert load.next_week_cap_km == pytest.approx(cap)
    if load.over_ten_percent:
        assert load.next_week_cap_km <= this_week, "after a spike, hold or reduce"


@pytest.mark.parametrize(
    ("weeks", "cap"),
    [
        ((20, 30, 30), 22),  # holding a spike does not make it normal
        ((20, 30, 21), 23.1),  # back within 10% of 20: 21 is the new normal week
        ((20, 22, 24.2), 26.62),  # steady 10% growth compounds, as the rule allows
        ((20, 30, 33, 36), 22),  # a run of spikes all grow from the last normal week
        ((20, 0, 21), 23.1),  # a week with nothing logged is no evidence either way
    ],
)
def test_ten_percent_rule_grows_from_the_last_normal_week(
    weeks: tuple[float, ...], cap: float
) -> None:
    assert next_week_cap_km(weeks) == pytest.approx(cap)


@given(
    st.lists(
        st.floats(min_value=0, max_value=300, allow_nan=False) | st.just(0.0),
        min_size=2,
        max_size=4,
    )
)
def test_ten_percent_cap_after_a_spike_holds_or_reduces(weeks: list[float]) -> None:
    *earlier, last_week, this_week = weeks
    load = TrainingLoad(this_week, last_week, 1, tuple(reversed(earlier)))
    if this_week > 0:
        assert load.next_week_cap_km <= this_week * 1.1 + 1e-9
    if load.over_ten_percent:
        assert load.next_week_cap_km <= this_week


def test_ten_percent_notes_after_a_spike_say_hold_with_the_capped_number() -> None:
    load = training_load([_run(1, 30 * 1.609344), _run(9, 20 * 1.609344)], NOW)
    notes = build_plan(RunContext(), load, unit=DistanceUnit.MILES).training_notes
    assert notes[0] == "You've logged 30 miles in the last 7 days."
    # The "should I run tomorrow" answer reads this second note on its own.
    assert notes[1].startswith("That's 50 percent more than the week before")
    assert "ease back to about 22 miles next week" in notes[1]
    assert "33" not in " ".join(notes)


def test_ten_percent_notes_after_a_held_spike_name_the_last_normal_week() -> None:
    runs = [_run(1, 30), _run(9, 30), _run(16, 20)]
    notes = build_plan(RunContext(), training_load(runs, NOW), unit=DistanceUnit.KILOMETERS)
    text = " ".join(notes.training_notes)
    assert "50 percent more than your last normal week of 20 kilometres" in text
    assert "about 22 kilometres" in text


def test_spoken_cap_is_rounded_down_so_it_never_exceeds_the_rule() -> None:
    load = training_load([_run(1, 16 * 1.609344)], NOW)  # 16 miles: the rule allows 17.6
    notes = build_plan(RunContext(), load, unit=DistanceUnit.MILES).training_notes
    assert "about 17 miles" in notes[0]


def test_ten_percent_advice_uses_the_runners_numbers() -> None:
    load = training_load([_run(1, 16.09344 * 2)], NOW)
    notes = build_plan(RunContext(), load, unit=DistanceUnit.MILES).training_notes
    assert "20 miles" in notes[0] and "22 miles" in notes[0]


def test_increase_over_ten_percent_is_called_out() -> None:
    load = training_load([_run(1, 30), _run(9, 20)], NOW)
    notes = build_plan(RunContext(), load, unit=DistanceUnit.KILOMETERS).training_notes
    assert any("50 percent more" in note for note in notes)


@pytest.mark.parametrize(
    ("run_type", "km"),
    [
        (RunType.FIVE_K, 5.0),
        (RunType.PARKRUN, 5.0),
        (RunType.TEN_K, 10.0),
        (RunType.TEN_MILER, 16.09344),
        (RunType.HALF_MARATHON, 21.0975),
        (RunType.MARATHON, 42.195),
    ],
)
def test_a_logged_race_without_a_number_counts_its_distance(run_type: RunType, km: float) -> None:
    # "I finished a marathon" is logged with no distance of its own.
    race = RunRecord(at=NOW - timedelta(days=1), run_type=run_type)
    load = training_load([race, _run(3, 10)], NOW)
    assert load.this_week_km == pytest.approx(km + 10)
    assert load.runs_this_week == 2


def test_a_race_with_its_own_number_keeps_that_number() -> None:
    race = RunRecord(at=NOW - timedelta(days=1), distance_km=42.5, run_type=RunType.MARATHON)
    assert training_load([race], NOW).this_week_km == pytest.approx(42.5)


def test_runs_must_have_aware_times() -> None:
    with pytest.raises(InvalidContextError):
        RunRecord(at=datetime(2026, 1, 1), distance_km=5)


# --- the data file's own checks ------------------------------------------------------------

AREAS: dict[str, Any] = {
    "not_muscles": ["knees"],
    "not_muscles_note": "Not a muscle: your {area}.",
    "injury_signs": "Check your {area}.",
    "ice_heat_intro": "For your {area}:",
    "why_sore_intro": "Why your {area} {be} sore:",
    "helps_intro": "What helps your {area}:",
}
BASE: dict[str, Any] = {
    "sources": {"a": {"title": "A", "short": "a"}},
    "tips": [{"id": "t", "topic": "x", "source": "a", "when": "now", "say": "Hi."}],
    "professional_advice": "Ask.",
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tips": [BASE["tips"][0], BASE["tips"][0]]}, "used twice"),
        ({"tips": [{**BASE["tips"][0], "source": "b"}]}, "unknown source"),
        ({"tips": [{**BASE["tips"][0], "applies": {"colour": "red"}}]}, "unknown condition"),
        ({"tips": [{**BASE["tips"][0], "when": "someday"}]}, "someday"),
        ({"tips": [{**BASE["tips"][0], "say": "  "}]}, "empty"),
        ({"tips": [{**BASE["tips"][0], "quotes": "Hi."}]}, "quotes must be a list"),
        ({"tips": [{**BASE["tips"][0], "quotes": ["Hi.", " "]}]}, "empty quote"),
        ({"professional_advice": None, "sources": None}, "malformed"),
        ({"not_covered": {"sun": {"what": "sun", "nearby": ["nope"]}}}, "unknown tip"),
        ({"not_covered": {"sun": {"what": "sun"}}}, "nothing nearby"),
        ({"not_covered": {"x": {"what": " "}}}, "'what' is empty"),
        ({"not_covered": {"x": {}}}, "malformed"),
        ({"areas": {**AREAS, "injury_signs": "See a doctor."}}, "must name the"),
        ({"areas": {**AREAS, "not_muscles": ["elbows"]}}, "malformed"),
    ],
)
def test_malformed_guidance_data_is_refused(change: dict[str, Any], message: str) -> None:
    with pytest.raises(KnowledgeError, match=message):
        parse_knowledge({**BASE, **change})


def test_quotes_are_read_with_their_whitespace_collapsed() -> None:
    tip = {**BASE["tips"][0], "quotes": ["Hi  there,\n friend.", "Bye."]}
    knowledge = parse_knowledge({**BASE, "tips": [tip]})
    assert knowledge.tip("t").quotes == ("Hi there, friend.", "Bye.")
    assert parse_knowledge(BASE).tip("t").quotes == ()


def test_a_topic_the_articles_do_not_cover_says_so_with_what_is_nearby() -> None:
    gaps = {"sun": {"what": "sunshine", "nearby": ["t"]}, "x": {"what": "y"}}
    knowledge = parse_knowledge({**BASE, "not_covered": gaps})
    gap = knowledge.gap("sun")
    assert gap is not None
    assert gap.say == "The two articles I draw on don't cover sunshine."
    assert knowledge.nearby("sun") == (knowledge.tip("t"),)
    assert {"sun", "x"} <= knowledge.topics
