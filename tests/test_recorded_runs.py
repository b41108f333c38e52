"""Recorded runs: one stored per run whatever the source, and the plan names them unasked."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from envelopes import USER_ID, intent
from flask.testing import FlaskClient
from storage_support import dynamodb_table

from routines.activity import Activity
from routines.errors import InvalidContextError
from routines.load import HeartRateProfile, trimp_from_samples
from routines.run_merge import merge_runs, same_run
from routines.training import RunRecord
from skill.conversation import plain_text
from skill.dynamodb import DynamoDbPersistenceAdapter
from skill.history import History
from skill.persistence import SQLitePersistenceAdapter
from skill.run_import import import_activities, remove_activity
from skill.run_time import spoken_when
from skill.settings import Runner, Settings
from skill.speech import spoken_duration
from skill.web import create_app

LONDON = ZoneInfo("Europe/London")
# Tuesday 7 October 2025, 10:30 in London (BST, UTC+1).
NOW = datetime(2025, 10, 7, 9, 30, tzinfo=UTC)
MORNING_RUN = datetime(2025, 10, 7, 6, 5, tzinfo=UTC)  # 07:05 in London


def half_marathon(source: str = "fit", source_id: str = "abc", **changes: object) -> Activity:
    """A 21.1 km run in 1:52:03 with a steady heart rate of 150."""
    values: dict[str, object] = {
        "start": MORNING_RUN,
        "distance_km": 21.1,
        "moving_s": 6723.0,
        "source": source,
        "source_id": source_id,
        "avg_hr": 150.0,
        "heart_rate": tuple((float(t), 150.0) for t in range(0, 6724, 5)),
    }
    values.update(changes)
    return Activity(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("at", "spoken"),
    [
        (datetime(2025, 10, 7, 6, 5, tzinfo=UTC), "this morning"),  # 07:05 local
        (datetime(2025, 10, 7, 0, 30, tzinfo=UTC), "this morning"),  # 01:30 local
        (datetime(2025, 10, 6, 23, 30, tzinfo=UTC), "this morning"),  # 00:30 local, today
        (datetime(2025, 10, 6, 21, 0, tzinfo=UTC), "last night"),  # 22:00 local yesterday
        (datetime(2025, 10, 6, 17, 0, tzinfo=UTC), "yesterday evening"),  # 18:00 local
        (datetime(2025, 10, 6, 12, 0, tzinfo=UTC), "yesterday afternoon"),  # 13:00 local
        (datetime(2025, 10, 5, 8, 0, tzinfo=UTC), "on Sunday"),
        (datetime(2025, 9, 30, 8, 0, tzinfo=UTC), "7 days ago"),
    ],
)
def test_a_recorded_run_is_placed_in_the_runners_day(at: datetime, spoken: str) -> None:
    assert spoken_when(at, NOW, LONDON) == spoken


@pytest.mark.parametrize(
    ("seconds", "spoken"),
    [(2880, "48 minutes"), (60, "1 minute"), (6723, "1 hour 52"), (7200, "2 hours")],
)
def test_run_times_are_said_as_runners_say_them(seconds: float, spoken: str) -> None:
    assert spoken_duration(seconds) == spoken


def test_an_activity_becomes_a_run_weighed_by_its_heart_rate() -> None:
    run = half_marathon().to_run(HeartRateProfile(rest_bpm=60, max_bpm=190))
    # HRr = 90 / 130 = 0.6923; per minute 0.6923 x 0.64 x e^(1.92 x 0.6923 = 1.3292) =
    # 0.4431 x 3.7779 = 1.6739; 6720 s of 5 s segments = 112 minutes -> 187.5.
    assert run.load == pytest.approx(187.5, abs=0.05)
    assert run.load_method == "trimp"
    assert run.easy_s == 6720  # HRr 0.69 is under the easy ceiling of 0.70
    assert (run.source, run.source_id, run.duration_s) == ("fit", "abc", 6723)


def test_a_pause_in_the_recording_is_not_counted_as_effort() -> None:
    profile = HeartRateProfile()
    steady = [(float(t), 150.0) for t in range(0, 601, 5)]
    paused = [*steady, *((float(t), 150.0) for t in range(3600, 4201, 5))]
    # Two 10-minute stretches at 1.6740 a minute, and the 50-minute gap counted as 30 s only.
    assert trimp_from_samples(steady, profile) == pytest.approx(16.740, abs=0.001)
    assert trimp_from_samples(paused, profile) == pytest.approx(20.5 * 1.6740, abs=0.002)


def test_bad_activities_and_runs_are_refused() -> None:
    with pytest.raises(InvalidContextError):
        half_marathon(start=datetime(2025, 10, 7, 6, 5))  # no time zone
    with pytest.raises(InvalidContextError):
        half_marathon(source="garmin-connect")
    with pytest.raises(InvalidContextError):
        RunRecord(at=NOW, rpe=11)
    with pytest.raises(InvalidContextError):
        RunRecord(at=NOW, avg_hr=400.0)


def test_a_run_stored_and_read_back_keeps_every_detail() -> None:
    run = half_marathon().to_run(HeartRateProfile())
    assert RunRecord.from_dict(run.to_dict()) == run
    assert History.from_attributes(History(runs=(run,)).to_attributes()).runs == (run,)


def test_the_same_run_from_two_sources_is_stored_once() -> None:
    profile = HeartRateProfile()
    fit = half_marathon().to_run(profile)
    strava = half_marathon(
        "strava", "123", start=MORNING_RUN + timedelta(seconds=40), distance_km=21.3, heart_rate=()
    ).to_run(profile)
    assert same_run(fit, strava)
    merge = merge_runs((fit,), (strava,))
    assert merge.runs == (fit,) and merge.duplicates == (strava,) and not merge.added
    # The other way round, the recording with heart rate replaces the one without.
    merge = merge_runs((strava,), (fit,))
    assert len(merge.runs) == 1 and merge.runs[0].load_method == "trimp"
    # A different run the same morning is not a duplicate.
    other = half_marathon("strava", "124", start=MORNING_RUN + timedelta(hours=3)).to_run(profile)
    assert len(merge_runs((fit,), (other,)).runs) == 2


def test_a_run_the_runner_told_us_about_is_replaced_by_its_recording() -> None:
    said = RunRecord(at=NOW, distance_km=21.0, rpe=8)
    fit = half_marathon().to_run(HeartRateProfile())
    merge = merge_runs((said,), (fit,))
    assert merge.replaced == (said,)
    assert len(merge.runs) == 1
    assert merge.runs[0].source == "fit" and merge.runs[0].rpe == 8


def test_imports_are_atomic_per_user_and_a_deletion_forgets_the_run(tmp_path: Path) -> None:
    store = SQLitePersistenceAdapter(tmp_path / "skill.sqlite3")
    store.update_user(USER_ID, lambda stored: {**stored, "unit": "km"})
    threads = [
        threading.Thread(
            target=import_activities,
            args=(store, USER_ID, [half_marathon("strava", str(i), start=NOW - timedelta(days=i))]),
        )
        for i in range(1, 21)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    history = History.from_attributes(store.read_user(USER_ID))
    assert len(history.runs) == 20 and history.unit is not None
    again = import_activities(store, USER_ID, [half_marathon("strava", "3", start=NOW)])
    assert again.duplicates and not again.added
    assert remove_activity(store, USER_ID, "strava", "3")
    assert not remove_activity(store, USER_ID, "strava", "3")
    assert len(History.from_attributes(store.read_user(USER_ID)).runs) == 19


def test_imports_go_to_dynamodb_too(monkeypatch: pytest.MonkeyPatch) -> None:
    with dynamodb_table(monkeypatch) as dynamodb:
        store = DynamoDbPersistenceAdapter("runs", dynamodb)
        merge = import_activities(store, USER_ID, [half_marathon()])
        assert len(merge.added) == 1
        (run,) = History.from_attributes(store.read_user(USER_ID)).runs
        assert run.load == merge.added[0].load and run.source == "fit"


@pytest.fixture
def client(tmp_path: Path) -> FlaskClient:
    settings = Settings(database=tmp_path / "skill.sqlite3", verify_requests=False, timezone=LONDON)
    return create_app(settings).test_client()


def test_the_plan_names_a_recorded_run_the_runner_never_mentioned(
    client: FlaskClient, tmp_path: Path
) -> None:
    import_activities(
        SQLitePersistenceAdapter(tmp_path / "skill.sqlite3"), USER_ID, [half_marathon()]
    )
    response = client.post("/alexa", json=intent("GetRecoveryPlanIntent", NOW, locale="en-GB"))
    speech = plain_text(response.json["response"]["outputSpeech"]["ssml"])
    assert "your 21.1 kilometre run this morning, 1 hour 52" in speech
    # A half marathon distance earns the long-race plan: rest the day after.
    assert response.status_code == 200


def test_a_runner_named_in_the_config_is_weighed_by_their_own_heart_rate() -> None:
    settings = Settings(runners={"alex": Runner(USER_ID, rest_bpm=50, max_bpm=185)})
    assert settings.profile_for(USER_ID) == HeartRateProfile(rest_bpm=50, max_bpm=185)
    assert settings.profile_for("amzn1.ask.account.SOMEONE") is None
