"""Talking to the skill over HTTP: guidance, logged runs, soreness, red flags, follow-ups."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from envelopes import envelope, intent, resolved_slot
from flask.testing import FlaskClient
from skill_support import Session
from ssml import check_ssml

from routines import PainFlag, RunContext, RunType, Timing, build_plan, load_knowledge
from routines.context import DistanceUnit
from skill.conversation import plain_text
from skill.settings import Settings
from skill.speech import plan_reply
from skill.web import create_app


@pytest.fixture
def client(settings: Settings) -> Iterator[FlaskClient]:
    yield create_app(settings).test_client()


@pytest.fixture
def runner(client: FlaskClient) -> Session:
    return Session(client)


def test_launch_welcomes_and_keeps_listening(runner: Session) -> None:
    speech = runner.say("open recovery coach")
    assert "Welcome to Recovery Coach" in speech
    assert runner.ends is False


def test_how_should_i_recover_gives_a_short_answer_and_the_full_plan_on_a_card(
    runner: Session,
) -> None:
    speech = runner.say("Alexa, how should I recover?")
    assert "cool-down" in speech and "Drink water" in speech
    assert speech.endswith("Want to hear more?")
    assert len(speech.split()) < 90, "a spoken answer is a few sentences"
    card = runner.card["content"]
    for heading in ("Now", "Within 30 minutes", "Tonight", "Tomorrow", "Training", "Sources"):
        assert heading in card
    assert "banana with peanut butter" in card and "RunToTheFinish" in card


def test_yes_walks_through_the_rest_of_the_plan(runner: Session) -> None:
    runner.say("how should I recover")
    heard = []
    for _ in range(30):
        speech = runner.say("yes")
        heard.append(speech)
        if "That's everything" in speech:
            break
    else:
        pytest.fail("the plan never ended")
    everything = " ".join(heard)
    assert "Within 30 minutes" in everything and "Tonight" in everything
    assert "Should you run tomorrow?" in everything
    assert "10 percent" in everything
    assert runner.ends is False


def test_no_ends_the_session(runner: Session) -> None:
    runner.say("how should I recover")
    assert "Recover well" in runner.say("no")
    assert runner.ends


def test_logged_run_drives_the_plan(runner: Session) -> None:
    speech = runner.say("I just ran twenty miles")
    assert "20 mile run" in speech and "20 miles in the last 7 days" in speech
    assert speech.endswith("Want your recovery plan?")
    plan = runner.say("yes")
    assert "your 20 mile run" in plan


def test_logged_run_is_remembered_across_sessions_and_kept_per_user(client: FlaskClient) -> None:
    first = Session(client, user="runner-a")
    first.say("I finished a half marathon")
    first.say("stop")
    again = Session(client, user="runner-a")
    assert "your half marathon" in again.say("how should I recover")
    stranger = Session(client, user="runner-b")
    assert "how to recover after a run" in stranger.say("how should I recover")


def test_long_run_plan_includes_long_run_tips(runner: Session) -> None:
    runner.say("I did a twenty mile long run")
    runner.say("how should I recover")
    assert "compression" in runner.card["content"]


def test_run_type_in_the_question_is_used_when_nothing_is_logged(runner: Session) -> None:
    assert "your marathon" in runner.say("how do I recover after a marathon")


def _log_run(runner: Session, at: datetime, phrase_slots: dict[str, Any]) -> None:
    runner.send(intent("LogRunIntent", at, phrase_slots, user_id="runner-1"))


# Hours between the logged run and "how should I recover", what the plan starts with, and
# whether the right-after steps (cool-down, 30-minute snack) are in it at all.
@pytest.mark.parametrize(
    ("hours", "opening", "right_after"),
    [
        (0.25, "Here's your recovery after your 10 mile run. Right now:", True),
        (2, "Here's your recovery after your 10 mile run. Right now:", True),
        (5, "Here's the rest of your recovery after your 10 mile run. Today:", False),
        (20, "Here's your recovery the day after your 10 mile run. Today:", False),
        (50, "Here's your recovery 2 days after your 10 mile run. Today:", False),
    ],
)
def test_plan_speaks_for_the_time_since_the_run(
    runner: Session, hours: float, opening: str, right_after: bool
) -> None:
    slots = {
        "distance": {"name": "distance", "value": "10"},
        "unit": resolved_slot("unit", "miles", "mi"),
    }
    _log_run(runner, datetime.now(UTC) - timedelta(hours=hours), slots)
    speech = runner.say("how should I recover")
    assert speech.startswith(opening)
    card = runner.card["content"]
    assert ("Within 30 minutes" in card) is right_after
    assert ("cool-down" in card) is right_after
    assert ("Now" in card.splitlines()) is right_after


def test_the_day_after_a_marathon_starts_with_rest(runner: Session) -> None:
    slots = {"runType": resolved_slot("runType", "marathon", "marathon")}
    _log_run(runner, datetime.now(UTC) - timedelta(hours=22), slots)
    speech = runner.say("how should I recover")
    assert speech.startswith("Here's your recovery the day after your marathon. Today:")
    assert "rest" in speech and "low impact like walking or swimming" in speech
    assert "active recovery" in speech
    assert "Right now" not in speech
    rest = " ".join(runner.say("yes") for _ in range(4))
    assert "nap" in rest


@pytest.mark.parametrize("hours", [None, 1, 5, 20, 50])
@pytest.mark.parametrize(
    "context",
    [
        RunContext(run_type=RunType.MARATHON, soreness=5),
        RunContext(distance_km=8, soreness=8),
        RunContext(distance_km=8, pain_flags=frozenset({PainFlag.SHARP})),
    ],
    ids=["marathon", "very_sore", "sharp_pain"],
)
def test_every_step_of_a_plan_is_spoken_or_queued(context: RunContext, hours: float | None) -> None:
    # The spoken plan moves with the time since the run; no step may fall between the moments.
    plan = build_plan(replace(context, hours_since_run=hours))
    reply = plan_reply(plan, load_knowledge(), DistanceUnit.MILES)
    said = " ".join([reply.speech, *(part.text for part in reply.parts)])
    for step in plan.steps:
        if step.timing is not Timing.TRAINING:
            assert step.tip.say in said, step.tip.id
    assert ("Right now:" in said) is (hours in (None, 1) and not plan.triage.needs_professional)


def test_run_without_a_distance_is_asked_for(runner: Session) -> None:
    runner.send(intent("LogRunIntent", datetime.now(UTC), user_id="runner-1"))
    speech = plain_text(runner.last["response"]["outputSpeech"]["ssml"])
    assert "How far did you run?" in speech
    assert runner.last["response"]["shouldEndSession"] is False


def test_impossible_distance_is_refused_and_nothing_is_logged(runner: Session) -> None:
    speech = runner.say("I ran nine hundred miles")
    assert "doesn't sound like a distance" in speech
    assert "how to recover after a run" in runner.say("how should I recover")


def test_kilometres_in_en_gb(client: FlaskClient) -> None:
    runner = Session(client, locale="en-GB")
    speech = runner.say("I ran 10 kilometres")
    assert "10 kilometre run" in speech
    assert "10 kilometres in the last 7 days" in speech


def test_sore_calves_are_acknowledged_and_lead_the_evening_tips(runner: Session) -> None:
    speech = runner.say("my calves are really sore")
    assert speech.startswith("Sorry your calves are hurting.")
    tonight = runner.card["content"].split("Tonight")[1]
    assert "foam roller" in tonight.split("\n")[1] or "compression" in tonight.split("\n")[1]


def test_very_sore_rating_means_rest(runner: Session) -> None:
    speech = runner.say("my soreness is an eight")
    assert "You're very sore" in speech
    assert "Not tomorrow" in runner.say("should I run tomorrow")


@pytest.mark.parametrize(
    ("phrase", "level"),
    [
        ("my soreness is 8 out of 10", 8),
        ("my soreness is eight out of ten", 8),
        ("my soreness is an eight", 8),
        ("it's an eight", 8),
        ("it's a 7", 7),
        ("eight", 8),
        ("10", 10),
        ("I'm a 7", 7),
        ("I'm a seven out of ten", 7),
        ("7 out of 10", 7),
        ("I'm a 6", 6),
        ("it's a six", 6),
        ("my soreness is a 3", 3),
    ],
)
def test_soreness_level_in_any_form_drives_the_answer(
    runner: Session, phrase: str, level: int
) -> None:
    speech = runner.say(phrase)
    very_sore = level >= 7  # VERY_SORE_LEVEL: rest
    assert ("You're very sore" in speech) is very_sore, speech
    card = runner.card["content"]
    assert (f"you rate your soreness {level} out of 10" in card) is very_sore
    # Contrast therapy is for soreness of 5 and up, so it shows the level was read, not guessed.
    assert ("contrast therapy" in card) is (level >= 5)
    assert ("Not tomorrow" in runner.say("should I run tomorrow")) is very_sore


def test_soreness_rating_out_of_range_is_refused(runner: Session) -> None:
    assert "whole number from 0 to 10" in runner.say("my soreness is fifteen")


def test_sharp_pain_sends_to_a_professional_first(runner: Session) -> None:
    speech = runner.say("I have a sharp pain in my knee")
    assert speech.startswith(
        "Have a doctor or physiotherapist check your knee: sharp pain is not normal soreness."
    )
    assert len(speech.split()) < 40, "a red-flag reply is short, the action first"
    assert "cool-down" not in speech
    assert runner.say("should I run tomorrow").startswith(
        "No running while you have a sharp pain in your knee"
    )


def test_pain_in_one_place_counts_as_localised(runner: Session) -> None:
    assert "pain in one spot can be an injury" in runner.say("I have a pain in my shin").lower()


def test_dark_urine_is_urgent(runner: Session) -> None:
    speech = runner.say("I have dark urine")
    assert speech.startswith("Please get medical help today")


def test_stairs_mean_no_run_tomorrow(runner: Session) -> None:
    runner.say("I can't walk down the stairs")
    assert "Not tomorrow" in runner.say("should I run tomorrow")


def test_ice_or_heat_gives_both_sides(runner: Session) -> None:
    speech = runner.say("should I use ice or heat")
    assert "ice pack" in speech and "no more ice baths" in speech
    assert "Where the articles differ" in runner.card["content"]


def test_pain_relievers_give_both_sides_and_professional_advice(runner: Session) -> None:
    speech = runner.say("should I take ibuprofen")
    assert "ibuprofen or acetaminophen" in speech
    assert "never to take one before a run" in speech
    assert "pharmacist" in speech


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("what should I eat", "banana with peanut butter"),
        ("what should I drink", "Dehydration"),
        ("how much sleep do I need", "a minute of sleep for every mile"),
        ("what about foam rolling", "foam roller"),
        ("does compression help", "compression"),
        ("tell me about magnesium", "Epsom bath in a bottle"),
        ("is turmeric good", "anti-inflammatory"),
        ("why am I sore", "tiny tears"),
        ("when should I see a doctor", "Call emergency services for chest pain"),
        ("tell me about epsom salts", "Epsom salt bath"),
        ("should I try CBD", "CBD"),
        ("what about active recovery", "vitamin D"),
        ("should I do a warm up", "dynamic stretches"),
        # Once heard as "should I run tomorrow", answering "an easy run is fine" (issue #11).
        ("should I take a rest day", "low impact like walking"),
        ("how fast should I build mileage", "10 percent"),
    ],
)
def test_topics_answer_from_the_articles(runner: Session, phrase: str, expected: str) -> None:
    runner.say(phrase)
    text = runner.card.get("content", "") + plain_text(
        runner.last["response"]["outputSpeech"]["ssml"]
    )
    assert expected in text


def test_unknown_topic_lists_what_the_skill_knows(runner: Session) -> None:
    slots = {"topic": resolved_slot("topic", "knitting & <purl>", None)}
    runner.send(intent("RecoveryTopicIntent", datetime.now(UTC), slots, user_id="runner-1"))
    ssml = runner.last["response"]["outputSpeech"]["ssml"]
    assert "knitting &amp; &lt;purl&gt;" in ssml  # escaped, and check_ssml parsed it
    assert "foam rolling" in check_ssml(ssml)


def test_mileage_advice_uses_the_logged_weeks(runner: Session) -> None:
    now = datetime.now(UTC)
    runs = [(13, 8), (10, 8), (6, 10), (4, 10), (1, 10)]  # days ago, miles
    for days, miles in runs:
        slots = {
            "distance": {"name": "distance", "value": str(miles)},
            "unit": resolved_slot("unit", "miles", "mi"),
        }
        runner.send(intent("LogRunIntent", now - timedelta(days=days), slots, user_id="runner-1"))
    speech = runner.say("how much should I run next week")
    assert "30 miles in the last 7 days" in speech
    assert "88 percent more than the week before" in speech
    # 30 is a spike over 16, so next week grows from 16 (17.6), never from 30 (33).
    assert "about 17 miles" in speech and "33" not in speech


@pytest.mark.parametrize(
    ("phrase", "run", "week"),
    [
        ("I finished a marathon", "your marathon", "26.2 miles"),
        ("I finished a half marathon", "your half marathon", "13.1 miles"),
        ("I ran a 10 miler", "your 10 mile race", "10 miles"),
        ("I did a ten mile race", "your 10 mile race", "10 miles"),
        # "a 10k" is ten kilometres, said in the runner's own unit.
        ("I ran a 10k", "your 10 kilometre run", "10 kilometres"),
        ("I did a parkrun", "your parkrun", "3.1 miles"),
        ("I did a park run", "your parkrun", "3.1 miles"),
        ("I ran a 5k", "your 5 kilometre run", "5 kilometres"),
    ],
)
def test_named_races_count_in_the_weekly_mileage(
    runner: Session, phrase: str, run: str, week: str
) -> None:
    speech = runner.say(phrase)
    assert f"Nice work on {run}!" in speech
    assert f"That makes {week} in the last 7 days" in speech


def test_mileage_answer_counts_a_logged_marathon(runner: Session) -> None:
    runner.say("I finished a marathon")
    speech = runner.say("how much should I run next week")
    assert "26.2 miles in the last 7 days" in speech
    # 26.2 miles plus 10 percent is 28.8: the spoken cap rounds down, never above the rule.
    assert "keep next week to about 28 miles" in speech


def test_help_fallback_and_stop(runner: Session) -> None:
    assert "I ran a half marathon" in runner.say("help")
    assert "Sorry, I can't help with that" in runner.say("what's the weather in Paris")
    assert "Recover well" in runner.say("stop")
    assert runner.ends


def test_session_ended_request_is_acknowledged(runner: Session) -> None:
    body = runner.send(
        envelope(
            {"type": "SessionEndedRequest", "reason": "USER_INITIATED"}, timestamp=datetime.now(UTC)
        )
    )
    assert "outputSpeech" not in body["response"]


def test_broken_storage_still_gets_a_spoken_answer(client: FlaskClient, settings: Settings) -> None:
    Session(client, user="runner-x").say("I ran five miles")
    with sqlite3.connect(settings.database) as db:
        db.execute("UPDATE user_attributes SET attributes = 'not json'")
    runner = Session(client, user="runner-x")
    assert "something went wrong on my side" in runner.say("how should I recover")


# --- CanFulfillIntentRequest -------------------------------------------------------------


def _can_fulfill(runner: Session, name: str, slots: dict[str, Any]) -> dict[str, Any]:
    payload = envelope(
        {"type": "CanFulfillIntentRequest", "intent": {"name": name, "slots": slots}},
        timestamp=datetime.now(UTC),
    )
    del payload["session"]["attributes"]
    answer: dict[str, Any] = runner.send(payload)["response"]["canFulfillIntent"]
    return answer


def test_can_fulfill_a_guidance_intent(runner: Session) -> None:
    answer = _can_fulfill(runner, "GetRecoveryPlanIntent", {})
    assert answer["canFulfill"] == "YES"


def test_can_fulfill_checks_each_slot(runner: Session) -> None:
    slots = {
        "area": resolved_slot("area", "calves", "calves"),
        "level": {"name": "level", "value": "6"},
    }
    answer = _can_fulfill(runner, "ReportSorenessIntent", slots)
    assert answer["canFulfill"] == "YES"
    assert answer["slots"]["area"] == {"canUnderstand": "YES", "canFulfill": "YES"}
    unknown = {"area": resolved_slot("area", "elbow", None)}
    answer = _can_fulfill(runner, "ReportSorenessIntent", unknown)
    assert answer["canFulfill"] == "MAYBE"
    assert answer["slots"]["area"]["canFulfill"] == "NO"


def test_cannot_fulfill_foreign_intents(runner: Session) -> None:
    assert _can_fulfill(runner, "OrderPizzaIntent", {})["canFulfill"] == "NO"


def test_a_red_flag_refuses_heat_even_with_no_home_linked(runner: Session) -> None:
    runner.say("my ankle is swollen")
    assert runner.say("turn on the heating pad").startswith(
        "I won't turn on the heating pad while your ankle is swollen"
    )
    assert runner.say("draw me a bath").startswith("I won't run a hot bath while")
