"""Training load rules on hand-computed tables: loads, averages, easy share, rest, weeks, answers.

The two daily steps, used throughout the arithmetic in the comments:
    fatigue step a = 1 - e^(-1/7)  = 0.133122
    fitness step c = 1 - e^(-1/42) = 0.023528
and with no training, fatigue keeps e^(-h/168) and fitness e^(-h/1008) of itself after h hours.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routines.context import BodyArea, DistanceUnit, PainFlag, RunType
from routines.easy_share import EasyBasis, easy_share, typical_pace
from routines.errors import InvalidContextError
from routines.fitness import (
    FATIGUE_STEP,
    FITNESS_STEP,
    LoadPoint,
    fitness_now,
    hours_until_form,
    load_series,
)
from routines.health import RED_FLAGS, HealthState
from routines.load import LoadMethod, run_load
from routines.load_answers import (
    NO_RUNS,
    hard_again_answer,
    tired_answer,
    week_answer,
    week_card,
)
from routines.readiness import (
    HardKind,
    Limit,
    Tired,
    form_level,
    hard_kind,
    how_tired,
    when_hard_again,
)
from routines.training import RunRecord, training_load
from routines.urgency import red_flag_advice
from routines.week import week_summary, weekly_km

NOW = datetime(2024, 5, 15, 18, 0, tzinfo=UTC)
KM = DistanceUnit.KILOMETERS
MILES = DistanceUnit.MILES


def _ago(hours: float) -> datetime:
    return NOW - timedelta(hours=hours)


def _trimp(hours_ago: float, load: float, **fields: object) -> RunRecord:
    return RunRecord(at=_ago(hours_ago), load=load, load_method="trimp", **fields)  # type: ignore[arg-type]


# --- one run's load ----------------------------------------------------------------------------


def test_the_step_constants_are_the_exponential_ones() -> None:
    assert abs(FATIGUE_STEP - 0.133122) < 1e-6
    assert abs(FITNESS_STEP - 0.023528) < 1e-6


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        # A stored load is used as it is, with its method.
        (RunRecord(at=NOW, load=88.0, load_method="trimp"), (88.0, LoadMethod.TRIMP)),
        (RunRecord(at=NOW, load=50.0, load_method="srpe"), (50.0, LoadMethod.SRPE)),
        # Stored without its method: both stored methods are TRIMP units.
        (RunRecord(at=NOW, load=42.0), (42.0, LoadMethod.TRIMP)),
        # Session RPE: 45 minutes x RPE 6 = 270 units / 2.75 = 98.18 TRIMP units.
        (RunRecord(at=NOW, duration_s=2700, rpe=6), (98.1818, LoadMethod.SRPE)),
        # The stored load wins over the effort the runner said.
        (RunRecord(at=NOW, duration_s=2700, rpe=6, load=60.0), (60.0, LoadMethod.TRIMP)),
        # No effort: an easy run is assumed RPE 3: 30 x 3 / 2.75 = 32.73.
        (
            RunRecord(at=NOW, duration_s=1800, run_type=RunType.EASY),
            (32.7273, LoadMethod.ASSUMED),
        ),
        # An interval session is assumed RPE 7: 50 x 7 / 2.75 = 127.27.
        (
            RunRecord(at=NOW, duration_s=3000, run_type=RunType.INTERVALS),
            (127.2727, LoadMethod.ASSUMED),
        ),
    ],
)
def test_run_load(run: RunRecord, expected: tuple[float, LoadMethod]) -> None:
    found = run_load(run)
    assert found is not None
    assert found[0] == pytest.approx(expected[0], abs=1e-4)
    assert found[1] is expected[1]


def test_a_run_with_no_time_or_load_has_no_load() -> None:
    assert run_load(RunRecord(at=NOW, distance_km=10.0, rpe=5)) is None
    assert run_load(RunRecord(at=NOW, run_type=RunType.MARATHON)) is None


# --- fatigue, fitness, form --------------------------------------------------------------------


def test_one_run_of_trimp_100_decays_as_computed_by_hand() -> None:
    series = load_series([_trimp(7 * 24, 100.0)], NOW, UTC, days=8)
    day0, day1, day7 = series[0], series[1], series[7]
    # Day of the run: fatigue 100 x 0.133122 = 13.3122, fitness 100 x 0.023528 = 2.3528.
    assert (day0.load, day0.fatigue, day0.fitness) == pytest.approx((100.0, 13.3122, 2.3528), 1e-4)
    assert day0.form == pytest.approx(2.3528 - 13.3122, abs=1e-3)
    # A day later: 13.3122 x e^(-1/7) = 11.5401; 2.3528 x e^(-1/42) = 2.2975.
    assert (day1.load, day1.fatigue, day1.fitness) == pytest.approx((0.0, 11.5401, 2.2975), 1e-4)
    # A week later: 13.3122 x e^(-1) = 4.8973; 2.3528 x e^(-1/6) = 1.9916.
    assert (day7.fatigue, day7.fitness) == pytest.approx((4.8973, 1.9916), 1e-4)
    assert day7.day == NOW.date()


def test_runs_fall_on_the_runners_local_day() -> None:
    # 03:00 UTC on 15 May is 22:00 on 14 May five hours west of Greenwich.
    west = timezone(timedelta(hours=-5))
    run = RunRecord(at=datetime(2024, 5, 15, 3, 0, tzinfo=UTC), duration_s=3600, rpe=5)
    local = load_series([run], NOW, west, days=2)
    assert [(p.day.isoformat(), round(p.load, 2)) for p in local] == [
        ("2024-05-14", 109.09),  # 60 x 5 / 2.75
        ("2024-05-15", 0.0),
    ]
    in_utc = load_series([run], NOW, UTC, days=2)
    assert [p.load for p in in_utc] == [0.0, pytest.approx(109.09, abs=0.01)]


def test_two_runs_on_a_day_add_up_and_older_runs_still_count() -> None:
    runs = [_trimp(2, 30.0), _trimp(4, 20.0), _trimp(10 * 24, 100.0)]
    today = load_series(runs, NOW, UTC, days=1)
    assert len(today) == 1
    # The old run's day, nine days of decay to yesterday, then today's 50:
    # fatigue 13.3122 x e^(-9/7) = 3.6802 -> 3.6802 + (50 - 3.6802) x 0.133122 = 9.8464
    # fitness 2.3528 x e^(-9/42) = 1.8990 -> 1.8990 + (50 - 1.8990) x 0.023528 = 3.0307
    assert (today[0].load, today[0].fatigue, today[0].fitness) == pytest.approx(
        (50.0, 9.8464, 3.0307), abs=1e-3
    )


def test_runs_after_now_are_left_out() -> None:
    assert load_series([_trimp(-2, 80.0)], NOW, UTC, days=1)[0].load == 0.0


def test_a_steady_load_settles_at_that_load() -> None:
    runs = [_trimp(24 * day, 50.0) for day in range(200)]
    today = load_series(runs, NOW, UTC, days=1)[0]
    # After 200 days: fitness 50 x (1 - e^(-200/42)) = 49.57; fatigue 50 x (1 - e^(-200/7)) = 50.
    assert today.fatigue == pytest.approx(50.0, abs=1e-6)
    assert today.fitness == pytest.approx(49.572, abs=1e-3)


def test_fitness_now_counts_its_runs_by_method() -> None:
    runs = [
        _trimp(30, 70.0),
        RunRecord(at=_ago(50), duration_s=1800, rpe=4),
        RunRecord(at=_ago(70), duration_s=1800),
        RunRecord(at=_ago(90), distance_km=5.0),
    ]
    fitness = fitness_now(runs, NOW, UTC)
    assert fitness.weighed_runs == 3 and fitness.unweighed_runs == 1
    assert fitness.methods == (
        (LoadMethod.TRIMP, 1),
        (LoadMethod.SRPE, 1),
        (LoadMethod.ASSUMED, 1),
    )
    assert fitness.estimated
    # The oldest weighed run was on 12 May (70 h before 18:00 on the 15th): 4 days of runs.
    assert fitness.days_of_data == 4 and not fitness.settled


@pytest.mark.parametrize("days", [0, -1, 1.5, True])
def test_a_bad_series_length_is_refused(days: object) -> None:
    with pytest.raises(InvalidContextError, match="days"):
        load_series([], NOW, UTC, days=days)  # type: ignore[arg-type]


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(InvalidContextError, match="now"):
        load_series([], NOW.replace(tzinfo=None), UTC)


def test_load_point_refuses_negative_numbers() -> None:
    with pytest.raises(InvalidContextError, match="fatigue"):
        LoadPoint(NOW.date(), 0.0, -1.0, 0.0)


# --- projected form ----------------------------------------------------------------------------


def test_projected_form_hours_above_the_fitness_floor() -> None:
    # Fatigue 100, fitness 50: form is at least -30% of fitness when F(t) <= 1.3 C(t),
    # t = ln(100 / 65) / (1/168 - 1/1008) = 0.43078 / 0.0049603 = 86.85 -> the 87th hour
    # (fitness is then 50 x e^(-87/1008) = 45.9, still above the floor of 40).
    assert hours_until_form(100.0, 50.0) == 87


def test_projected_form_hours_below_the_fitness_floor() -> None:
    # One run of 180 today: fatigue 180 x 0.133122 = 23.962, fitness 180 x 0.023528 = 4.2351,
    # judged against the floor of 40: form >= -12.
    # At 68 h: 23.962 x e^(-68/168) = 15.986, 4.2351 x e^(-68/1008) = 3.9588: -12.03 (-30.07%)
    # At 69 h: 23.962 x e^(-69/168) = 15.891, 4.2351 x e^(-69/1008) = 3.9549: -11.94 (-29.84%)
    assert hours_until_form(23.962, 4.2351) == 69


def test_form_already_fine_needs_no_wait() -> None:
    assert hours_until_form(50.0, 50.0) == 0
    assert hours_until_form(0.0, 0.0) == 0


# --- how tired ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pct", "level"),
    [
        (20.0, Tired.FRESH),
        (5.1, Tired.FRESH),
        (5.0, Tired.NORMAL),
        (-10.0, Tired.NORMAL),
        (-10.1, Tired.TIRED),
        (-30.0, Tired.TIRED),
        (-30.1, Tired.VERY_TIRED),
    ],
)
def test_form_bands(pct: float, level: Tired) -> None:
    assert form_level(pct) is level


def test_one_hard_day_makes_a_new_runner_tired() -> None:
    tired = how_tired([_trimp(3, 100.0)], NOW, UTC)
    # Form 2.3528 - 13.3122 = -10.959, against the floor of 40: -27.4%.
    assert tired.form_pct == pytest.approx(-27.398, abs=1e-3)
    assert tired.level is Tired.TIRED and not tired.raised_by_soreness


@pytest.mark.parametrize(
    ("soreness", "level"),
    [
        (None, Tired.NORMAL),
        (3, Tired.NORMAL),
        (4, Tired.TIRED),
        (6, Tired.TIRED),
        (7, Tired.VERY_TIRED),
    ],
)
def test_soreness_raises_tiredness(soreness: int | None, level: Tired) -> None:
    # A month-old run: form is back near 0 (neutral band).
    tired = how_tired([_trimp(30 * 24, 100.0)], NOW, UTC, soreness)
    assert tired.form_level is Tired.NORMAL
    assert tired.level is level


def test_soreness_never_lowers_tiredness() -> None:
    assert how_tired([_trimp(1, 400.0)], NOW, UTC, 0).level is Tired.VERY_TIRED


@pytest.mark.parametrize("soreness", [11, -1, 2.5, True])
def test_bad_soreness_is_refused(soreness: object) -> None:
    with pytest.raises(InvalidContextError, match="soreness"):
        how_tired([], NOW, UTC, soreness)  # type: ignore[arg-type]


# --- when can I run hard again -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("run", "kind", "hours"),
    [
        (RunRecord(at=NOW, run_type=RunType.MARATHON), HardKind.MARATHON, 168),
        (RunRecord(at=NOW, distance_km=42.2), HardKind.MARATHON, 168),
        (RunRecord(at=NOW, run_type=RunType.HALF_MARATHON), HardKind.LONG_RACE, 72),
        (RunRecord(at=NOW, distance_km=22.0), HardKind.LONG_RACE, 72),
        (RunRecord(at=NOW, run_type=RunType.LONG), HardKind.LONG_RUN, 48),
        (RunRecord(at=NOW, duration_s=95 * 60), HardKind.LONG_RUN, 48),
        (RunRecord(at=NOW, run_type=RunType.PARKRUN), HardKind.RACE, 48),
        (RunRecord(at=NOW, run_type=RunType.TEMPO), HardKind.SESSION, 48),
        # RPE 7 for 40 minutes: 40 x 7 / 2.75 = 101.8, 2.55 a minute, past the 2.38 of 80% HRr.
        (RunRecord(at=NOW, duration_s=2400, rpe=7), HardKind.INTENSE, 48),
    ],
)
def test_hard_runs_and_their_rest(run: RunRecord, kind: HardKind, hours: float) -> None:
    assert hard_kind(run) == (kind, hours)


@pytest.mark.parametrize(
    "run",
    [
        RunRecord(at=NOW, run_type=RunType.EASY, distance_km=8.0),
        # RPE 6: 6 / 2.75 = 2.18 a minute, under 2.38.
        RunRecord(at=NOW, duration_s=2400, rpe=6),
        # TRIMP 100 in 60 minutes: 1.67 a minute.
        RunRecord(at=NOW, duration_s=3600, load=100.0, load_method="trimp"),
    ],
)
def test_easy_runs_need_no_rest(run: RunRecord) -> None:
    assert hard_kind(run) is None


def test_rest_after_a_half_marathon_counts_from_the_run() -> None:
    hard = when_hard_again(
        [RunRecord(at=_ago(20), run_type=RunType.HALF_MARATHON)], None, HealthState(), NOW, UTC
    )
    # 72 - 20 = 52 hours (the run has no time, so no load and no form wait).
    assert hard.hours == 52
    assert [(w.limit, w.kind) for w in hard.setting] == [(Limit.AFTER_RUN, HardKind.LONG_RACE)]
    assert hard.until == NOW + timedelta(hours=52)


def test_the_longest_wait_wins() -> None:
    runs = [RunRecord(at=_ago(10), run_type=RunType.TEMPO), RunRecord(at=_ago(30), distance_km=5.0)]
    # Tempo 10 h ago: 48 - 10 = 38; soreness 7 reported 4 h ago: 48 - 4 = 44.
    hard = when_hard_again(runs, 7, HealthState(), NOW, UTC, soreness_at=_ago(4))
    assert hard.hours == 44
    assert [w.limit for w in hard.waits] == [Limit.SORENESS, Limit.AFTER_RUN]
    assert [w.hours for w in hard.waits] == [44, 38]


@pytest.mark.parametrize(("soreness", "hours"), [(3, 0), (4, 24), (6, 24), (7, 48), (10, 48)])
def test_soreness_sets_a_minimum_from_now(soreness: int, hours: int) -> None:
    assert when_hard_again([], soreness, HealthState(), NOW, UTC).hours == hours


def test_projected_form_can_set_the_wait() -> None:
    # 80 minutes at TRIMP 180 (2.25 a minute: not intense, not long) this morning:
    # the 69 hours of test_projected_form_hours_below_the_fitness_floor.
    run = RunRecord(at=_ago(8), duration_s=80 * 60, load=180.0, load_method="trimp")
    hard = when_hard_again([run], None, HealthState(), NOW, UTC)
    assert hard.hours == 69
    assert [w.limit for w in hard.setting] == [Limit.FORM]


def test_nothing_holding_back_means_now() -> None:
    hard = when_hard_again([_trimp(5 * 24, 60.0)], 2, HealthState(), NOW, UTC)
    assert hard.hours == 0 and hard.now and hard.setting == ()


def _flagged(sign: PainFlag, area: BodyArea | None) -> HealthState:
    return HealthState().report([sign], area, _ago(30))


RUNS = st.builds(
    RunRecord,
    at=st.floats(min_value=0, max_value=30 * 24).map(_ago),
    distance_km=st.none() | st.floats(min_value=0, max_value=60),
    duration_s=st.none() | st.floats(min_value=0, max_value=6 * 3600),
    run_type=st.none() | st.sampled_from(RunType),
    rpe=st.none() | st.integers(1, 10),
)


@settings(max_examples=60, deadline=None)
@given(
    runs=st.lists(RUNS, max_size=8),
    soreness=st.none() | st.integers(0, 10),
    sign=st.sampled_from(sorted(RED_FLAGS)),
    area=st.none() | st.sampled_from(BodyArea),
)
def test_an_active_red_flag_never_allows_hard_running(
    runs: list[RunRecord], soreness: int | None, sign: PainFlag, area: BodyArea | None
) -> None:
    health = _flagged(sign, area)
    hard = when_hard_again(runs, soreness, health, NOW, UTC)
    assert hard.hours is None and not hard.now and hard.until is None
    answer = hard_again_answer(hard, KM)
    advice = red_flag_advice(health, soreness)
    assert advice is not None and answer.startswith(advice)
    assert "No hard running until that's cleared." in answer
    # Cleared, the same runs and soreness give a number of hours.
    cleared, _ = health.clear(NOW)
    assert when_hard_again(runs, soreness, cleared, NOW, UTC).hours is not None


# --- easy share --------------------------------------------------------------------------------


def test_easy_share_by_heart_rate() -> None:
    runs = [
        RunRecord(at=_ago(24), duration_s=3600, easy_s=3000),
        RunRecord(at=_ago(48), duration_s=1800, easy_s=600),
    ]
    easy = easy_share(runs, NOW)
    # (3000 + 600) / (3600 + 1800) = 0.6667
    assert easy.share == pytest.approx(0.6667, abs=1e-4)
    assert easy.basis is EasyBasis.HEART_RATE and easy.runs_by_heart_rate == 2


def _paced(hours_ago: float, pace_s_per_km: float, **fields: object) -> RunRecord:
    return RunRecord(at=_ago(hours_ago), distance_km=10.0, duration_s=10 * pace_s_per_km, **fields)  # type: ignore[arg-type]


def test_easy_share_by_pace() -> None:
    runs = [_paced(24, 360), _paced(72, 350), _paced(120, 300), _paced(168, 370)]
    easy = easy_share(runs, NOW)
    # Median of 300, 350, 360, 370 = 355 s/km; easy at 355 x 0.95 = 337.25 s/km or slower:
    # 3600 + 3500 + 3700 = 10800 s easy of 13800 s = 0.7826 (the 300 s/km run is hard).
    assert easy.typical_pace_s_per_km == 355
    assert easy.share == pytest.approx(0.7826, abs=1e-4)
    assert easy.basis is EasyBasis.PACE and easy.runs_by_pace == 4


def test_easy_share_mixed_with_named_types_and_left_out_runs() -> None:
    runs = [
        RunRecord(at=_ago(10), duration_s=3600, easy_s=1800),
        # A tempo run at a slow pace is still hard; a long run at a fast one still easy.
        _paced(30, 400, run_type=RunType.TEMPO),
        _paced(50, 200, run_type=RunType.LONG),
        RunRecord(at=_ago(70), distance_km=8.0),  # no time: left out
        RunRecord(at=_ago(29 * 24), duration_s=3600, easy_s=0),  # older than 28 days
    ]
    easy = easy_share(runs, NOW)
    # (1800 + 0 + 2000) / (3600 + 4000 + 2000) = 0.3958
    assert easy.share == pytest.approx(0.3958, abs=1e-4)
    assert easy.basis is EasyBasis.MIXED and easy.runs_left_out == 1


def test_no_runs_means_no_easy_share() -> None:
    easy = easy_share([], NOW)
    assert easy.share is None and easy.basis is EasyBasis.NONE
    assert typical_pace([], NOW) is None


# --- the week and the 10% rule -----------------------------------------------------------------


def _week_runs() -> list[RunRecord]:
    return [
        RunRecord(
            at=_ago(24),
            distance_km=10.0,
            duration_s=3000,
            elevation_gain_m=100.0,
            load=80.0,
            load_method="trimp",
            easy_s=2400,
        ),
        RunRecord(at=_ago(72), distance_km=8.0, duration_s=2400, rpe=5),
        RunRecord(at=_ago(100), distance_km=12.0),
        RunRecord(at=_ago(8 * 24), distance_km=20.0, duration_s=7200),
    ]


def test_week_summary_adds_up_the_last_seven_days() -> None:
    week = week_summary(_week_runs(), NOW, UTC)
    this = week.this_week
    # 10 + 8 + 12 km; 3000 + 2400 s; 100 m; 80 + 40 x 5 / 2.75 = 152.73; the 12 km run unweighed.
    assert (this.runs, this.km, this.moving_s, this.elevation_m) == (3, 30.0, 5400.0, 100.0)
    assert this.load == pytest.approx(152.727, abs=1e-3) and this.unweighed_runs == 1
    assert week.last_week.km == 20.0 and week.km_change == pytest.approx(0.5)
    assert week.training == training_load(_week_runs(), NOW)
    assert week.training.over_ten_percent
    # Easy: 2400 s by heart rate of the first; the 8 km run at 300 s/km against the median of
    # 300, 300 and 360 s/km (the 20 km run of last week is in the 4 weeks) is easy: 2400 more.
    assert week.easy.share == pytest.approx((2400 + 2400) / 5400)
    assert week.easy.basis is EasyBasis.MIXED


def _weeks(*km_oldest_first: float) -> list[RunRecord]:
    count = len(km_oldest_first)
    return [
        RunRecord(at=_ago((count - 1 - i) * 7 * 24 + 12), distance_km=km)
        for i, km in enumerate(km_oldest_first)
        if km
    ]


def test_weekly_km_with_the_cap_that_applied() -> None:
    chart = weekly_km(_weeks(20, 20, 20, 30, 21, 10), NOW, weeks=3)
    assert [week.km for week in chart] == [30, 21, 10]
    # 30 after 20, 20, 20: cap 22, over. 21 after 20, 20, 30: cap 22 (30 was a spike).
    # 10 after 20, 30, 21: last normal 21, cap 23.1 -- TrainingLoad's cap for this week.
    assert [week.cap_km for week in chart] == pytest.approx([22.0, 22.0, 23.1])
    assert [week.over for week in chart] == [True, False, False]
    assert [week.start for week in chart] == [NOW - timedelta(days=d) for d in (21, 14, 7)]
    training = training_load(_weeks(20, 20, 20, 30, 21, 10), NOW)
    assert chart[-1].cap_km == pytest.approx(training.reference_km * 1.1)


def test_weekly_km_without_a_base_has_no_cap() -> None:
    chart = weekly_km(_weeks(10), NOW, weeks=2)
    assert [(week.km, week.cap_km) for week in chart] == [(0.0, None), (10.0, None)]
    with pytest.raises(InvalidContextError, match="weeks"):
        weekly_km([], NOW, weeks=0)


# --- spoken answers ----------------------------------------------------------------------------


def _words(text: str) -> int:
    return len(text.split())


def test_no_runs_at_all_says_how_to_add_one() -> None:
    assert "import one from your watch or Strava" in NO_RUNS
    assert tired_answer(how_tired([], NOW, UTC)) == NO_RUNS
    assert week_answer(week_summary([], NOW, UTC), KM) == NO_RUNS
    assert week_card(week_summary([], NOW, UTC), KM) == NO_RUNS
    assert NO_RUNS in hard_again_answer(when_hard_again([], None, HealthState(), NOW, UTC), KM)


def test_runs_that_cannot_be_weighed_ask_for_time_and_effort() -> None:
    said = tired_answer(how_tired([RunRecord(at=_ago(5), distance_km=5.0)], NOW, UTC))
    assert "from 1 to 10" in said


def test_tired_answer_says_the_numbers_and_that_they_are_estimates() -> None:
    said = tired_answer(how_tired([_trimp(3, 100.0)], NOW, UTC))
    # Form -10.96, fitness 2.35, fatigue 13.31.
    assert said.startswith("You're tired")
    for part in ("minus 11", "fitness 2", "fatigue 13", "estimates from your heart rate", "1 day"):
        assert part in said
    assert _words(said) <= 45


def test_tired_answer_names_the_soreness_that_raised_it() -> None:
    said = tired_answer(how_tired([_trimp(30 * 24, 100.0)], NOW, UTC, 8))
    assert said.startswith("You're very tired") and "soreness, 8 out of 10" in said
    assert _words(said) <= 45


def test_hard_again_answers_say_the_wait_and_why() -> None:
    half = when_hard_again(
        [RunRecord(at=_ago(20), run_type=RunType.HALF_MARATHON)], None, HealthState(), NOW, UTC
    )
    said = hard_again_answer(half, KM)
    assert said.startswith("Give it about 2 days")  # 52 hours
    assert "Your half marathon needs 3 days" in said and _words(said) <= 45
    run = RunRecord(at=_ago(20), distance_km=25.0)
    said = hard_again_answer(when_hard_again([run], None, HealthState(), NOW, UTC), MILES)
    assert "Your 15.5 mile run needs 3 days" in said  # 25 km = 15.53 mi
    sore = hard_again_answer(when_hard_again([], 5, HealthState(), NOW, UTC), KM)
    assert sore.startswith("Give it about 24 hours") and "5 out of 10" in sore
    very = hard_again_answer(when_hard_again([], 8, HealthState(), NOW, UTC), KM)
    assert "Rest or walk" in very
    form = hard_again_answer(
        when_hard_again(
            [RunRecord(at=_ago(8), duration_s=4800, load=180.0, load_method="trimp")],
            None,
            HealthState(),
            NOW,
            UTC,
        ),
        KM,
    )
    assert form.startswith("Give it about 3 days") and "minus 20 now" in form  # 69 h; 4.2 - 24.0


def test_a_red_flag_answer_comes_first_and_is_short() -> None:
    health = _flagged(PainFlag.SWELLING, BodyArea.ANKLES)
    said = hard_again_answer(when_hard_again([_trimp(100, 50.0)], 2, health, NOW, UTC), KM)
    assert said.startswith("Have a doctor or physiotherapist check your ankle")
    assert _words(said) <= 45


def test_week_answer_in_the_runners_unit() -> None:
    week = week_summary(_week_runs(), NOW, UTC)
    said = week_answer(week, KM)
    for part in ("3 times", "30 kilometres", "1 hour 30 minutes", "50 percent more"):
        assert part in said
    assert "89 percent was easy, by heart rate and pace" in said
    assert "10 percent rule" in said and _words(said) <= 45
    in_miles = week_answer(week, MILES)
    assert "18.6 miles" in in_miles and "kilometre" not in in_miles  # 30 km = 18.64 mi


def test_week_answer_when_this_week_is_empty() -> None:
    said = week_answer(week_summary(_weeks(12, 0), NOW, UTC), KM)
    assert (
        said == "You haven't run in the last 7 days. The week before, you ran once, 12 kilometres."
    )


def test_week_card_has_the_weeks_numbers() -> None:
    card = week_card(week_summary(_week_runs(), NOW, UTC), KM)
    assert "Last 7 days: 3 runs, 30 kilometres, 1 hour 30 minutes, 100 m climbed, load 153" in card
    assert "The 7 before: 1 run, 20 kilometres, 2 hours" in card
    assert "Easy: 89% (mixed; aim for about 80%)" in card
    assert "(estimates)" in card
    assert "10% rule: over the 10% rule; next week up to about 22 kilometres" in card
    assert "1 run with no time or effort: not in the load" in card
