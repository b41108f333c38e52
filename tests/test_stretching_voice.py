"""Guided stretching by voice, every response checked against Alexa's SSML limits."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from envelopes import intent
from flask.testing import FlaskClient
from skill_support import Session
from ssml import check_ssml

from routines.stretches import load_library
from skill.conversation import plain_text
from skill.settings import Settings
from skill.stretching import pause_ssml, stretch_ssml
from skill.web import create_app


@pytest.fixture
def client(settings: Settings) -> FlaskClient:
    return create_app(settings).test_client()


@pytest.fixture
def runner(client: FlaskClient) -> Session:
    return Session(client, user="stretcher")


def ssml_of(runner: Session) -> str:
    return str(runner.last["response"]["outputSpeech"]["ssml"])


def test_every_stretch_fits_alexas_limits() -> None:
    library = load_library()
    for stretch in library.stretches.values():
        text = check_ssml(f"<speak>{stretch_ssml(stretch, library)}</speak>")
        assert stretch.title in text
    assert pause_ssml(25) == '<break time="10s"/><break time="10s"/><break time="5s"/>'


def test_a_whole_session_with_next(runner: Session) -> None:
    first = runner.say("stretch with me")
    assert first.startswith("Let's cool down: 6 gentle stretches.")
    assert "Stretch 1 of 6." in first and "Standing calf stretch." in first
    assert "Breathe slowly and deeply." in first and "Three. Two. One." in first
    assert '<break time="10s"/>' in ssml_of(runner)
    assert runner.ends is False
    titles = ["Standing calf stretch"]
    for number in range(2, 7):
        speech = runner.say("next")
        assert f"Stretch {number} of 6." in speech
        titles.append(re.search(r"of 6\. ([^.]+)\.", speech).group(1))  # type: ignore[union-attr]
    assert titles == [
        "Standing calf stretch",
        "Standing hamstring stretch",
        "Standing quad stretch",
        "Kneeling hip flexor stretch",
        "Figure four stretch",
        "Child's pose",
    ]
    assert "That's your last stretch." in speech
    assert runner.say("next").startswith("That's your cool-down done.")
    assert runner.ends
    assert runner.say("next").startswith("There's no stretch session going.")


def test_repeat_previous_and_start_over(runner: Session) -> None:
    runner.say("stretch with me")
    runner.say("next")
    assert "Again. Stretch 2 of 6. Standing hamstring stretch." in runner.say("repeat")
    assert "Stretch 1 of 6. Standing calf stretch." in runner.say("go back")
    runner.say("next")
    runner.say("next")
    assert runner.say("start over").startswith("From the top. Stretch 1 of 6.")


def test_pause_ends_the_session_and_resume_carries_on(client: FlaskClient) -> None:
    runner = Session(client, user="pauser")
    runner.say("stretch with me")
    runner.say("next")
    paused = runner.say("pause")
    assert paused.startswith("Paused at stretch 2 of 6.") and runner.ends
    again = Session(client, user="pauser")
    assert again.say("resume my stretches").startswith("Resuming. Stretch 2 of 6.")


def test_resuming_the_next_day_offers_continue_or_start_over(runner: Session) -> None:
    runner.say("stretch with me")
    runner.say("next")
    runner.say("next")
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    runner.send(intent("ResumeStretchesIntent", tomorrow, user_id="stretcher"))
    question = str(runner.last["response"]["outputSpeech"]["ssml"])
    assert "You were on stretch 3 of 6, the standing quad stretch." in question
    assert "Do you want to continue? Or say start over." in question
    attributes = runner.last["sessionAttributes"]
    runner.send(
        intent("AMAZON.YesIntent", tomorrow, user_id="stretcher", attributes=attributes, new=False)
    )
    assert "Let's go on. Stretch 3 of 6." in plain_text(ssml_of(runner))


def test_sore_calves_come_first(runner: Session) -> None:
    runner.say("my calves are sore")
    speech = runner.say("stretch with me")
    assert "We'll start with your calves." in speech
    assert "Stretch 1 of 7. Standing calf stretch." in speech
    assert "Stretch 2 of 7. Bent-knee calf stretch." in runner.say("next")


def test_stretch_card_says_how_and_how_long(runner: Session) -> None:
    runner.say("stretch with me")
    assert runner.card["title"] == "Standing calf stretch"
    assert "Hold 30 seconds on each side." in runner.card["content"]


def test_no_to_continue_leaves_the_stretches_and_keeps_listening(runner: Session) -> None:
    runner.say("stretch with me")
    runner.say("next")
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    runner.send(intent("ResumeStretchesIntent", tomorrow, user_id="stretcher"))
    attributes = runner.last["sessionAttributes"]
    runner.send(
        intent("AMAZON.NoIntent", tomorrow, user_id="stretcher", attributes=attributes, new=False)
    )
    answer = plain_text(ssml_of(runner))
    assert answer.startswith("OK, we'll leave the stretches there. Say stretch with me")
    assert runner.last["response"]["shouldEndSession"] is False
    assert "action" not in runner.last["sessionAttributes"]
