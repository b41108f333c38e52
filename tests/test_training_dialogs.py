"""Talking about training: how hard a run felt, how tired, when to go hard, the week."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from envelopes import USER_ID
from flask.testing import FlaskClient
from skill_support import Session

from routines.activity import Activity
from skill.history import History
from skill.persistence import SQLitePersistenceAdapter
from skill.run_import import import_activities
from skill.settings import Settings
from skill.web import create_app


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "skill.sqlite3"


@pytest.fixture
def client(database: Path) -> Iterator[FlaskClient]:
    yield create_app(Settings(database=database, verify_requests=False)).test_client()


@pytest.fixture
def runner(client: FlaskClient) -> Session:
    return Session(client, user=USER_ID)


def stored(database: Path) -> History:
    return History.from_attributes(SQLitePersistenceAdapter(database).read_user(USER_ID))


def test_a_timed_run_is_rated_by_its_bare_answer_and_weighed_by_it(
    runner: Session, database: Path
) -> None:
    asked = runner.say("i ran for an hour")
    assert "I've logged it" in asked and "How hard did that feel, from 1 to 10?" in asked
    answer = runner.say("a seven")
    # Session RPE: 60 minutes x 7 = 420, in TRIMP units / 2.75 = 152.7.
    assert "Got it: 7 out of 10" in answer and "training load of about 153" in answer
    assert "Want your recovery plan?" in answer
    (run,) = stored(database).runs
    assert (run.rpe, run.load, run.load_method) == (7, 152.7, "srpe")
    assert "Here's your recovery" in runner.say("yes")


def test_a_run_without_its_time_is_offered_the_plan_and_can_still_be_rated(
    runner: Session, database: Path
) -> None:
    logged = runner.say("i ran ten miles")
    assert "How hard" not in logged and "Want your recovery plan?" in logged
    answer = runner.say("that run felt like an eight out of ten")
    assert "Got it: 8 out of 10" in answer and "training load" not in answer
    (run,) = stored(database).runs
    assert (run.rpe, run.load) == (8, None)


def test_an_effort_out_of_range_is_asked_again_and_nothing_is_rated(
    runner: Session, database: Path
) -> None:
    runner.say("i ran for an hour")
    again = runner.say("twelve")
    assert "whole number from 1" in again
    assert stored(database).runs[0].rpe is None
    assert "Got it: 6 out of 10" in runner.say("six")


def test_rating_with_no_recent_run_says_so(runner: Session, database: Path) -> None:
    answer = runner.say("it felt like a five out of ten")
    assert "don't have a run from the past few days" in answer
    assert stored(database).runs == ()


def _import_half_marathon(database: Path, start: datetime) -> None:
    """A 21.1 km run in 1:52:03 at a steady 150 bpm, as a watch's FIT file would give it."""
    activity = Activity(
        start=start,
        distance_km=21.1,
        moving_s=6723.0,
        source="fit",
        source_id="half",
        avg_hr=150.0,
        heart_rate=tuple((float(t), 150.0) for t in range(0, 6724, 5)),
    )
    import_activities(SQLitePersistenceAdapter(database), USER_ID, [activity])


def test_with_no_runs_every_training_question_says_how_to_add_them(runner: Session) -> None:
    for question in ("how tired am i", "how was my week"):
        assert "I don't have any runs from you yet" in runner.say(question)
    assert "import one from your watch or Strava" in runner.say("when can i run hard again")


def test_an_imported_half_marathon_answers_every_training_question(
    runner: Session, database: Path
) -> None:
    _import_half_marathon(database, datetime.now(UTC) - timedelta(hours=3))
    tired = runner.say("how tired am i")
    assert "form is minus" in tired and "estimates from your heart rate" in tired
    assert (
        runner.card["title"] == "Your training" and "Last 7 days: 1 run" in runner.card["content"]
    )
    hard = runner.say("when can i run hard again")
    # A half marathon needs 3 days before hard running: 72 h less the 3 since it.
    assert "Give it about 3 days before running hard" in hard
    week = runner.say("how was my week")
    assert "In the last 7 days you ran once, 13.1 miles in 1 hour 52 minutes" in week
    ramp = runner.say("am i ramping up too fast")
    assert "13.1 miles in the last 7 days" in ramp and "10 percent rule" in ramp


def test_a_red_flag_always_wins_over_the_training_numbers(runner: Session, database: Path) -> None:
    _import_half_marathon(database, datetime.now(UTC) - timedelta(days=6))
    runner.say("my ankle is swollen")
    hard = runner.say("when can i run hard again")
    assert hard.index("No hard running until that's cleared") > 0
    assert "Give it" not in hard and "You can run hard" not in hard
