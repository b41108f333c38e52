"""Every topic gets an answer: from the articles, cited, or an honest "they don't cover it".

Requests are built by hand (resolved slot ids, as Alexa sends them) and sent over HTTP to the
real skill, so the handlers, the knowledge and the speech are all the real ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from envelopes import intent, resolved_slot
from flask.testing import FlaskClient
from skill_support import Session

from routines import load_knowledge
from routines.urgency import DOCTOR_SIGNS
from skill.conversation import plain_text
from skill.settings import Settings
from skill.speech import topic_reply
from skill.web import create_app

USER = "runner-1"
BLOG = "the soreness blog"
RTTF = "RunToTheFinish"
OURS = "our safety notes"
NOT_COVERED = "The two articles I draw on don't cover"


@pytest.fixture
def runner(settings: Settings) -> Iterator[Session]:
    client: FlaskClient = create_app(settings).test_client()
    yield Session(client, user=USER)


def ask(runner: Session, name: str, slots: dict[str, Any] | None = None) -> str:
    """Send one intent for the runner and return what the skill said, as plain text."""
    runner.send(intent(name, datetime.now(UTC), slots, user_id=USER))
    return plain_text(runner.last["response"]["outputSpeech"]["ssml"])


def slot(name: str, value_id: str, said: str | None = None) -> dict[str, Any]:
    return {name: resolved_slot(name, said or value_id.replace("_", " "), value_id)}


def card_citations(card: str) -> list[tuple[str, str]]:
    """Return (text, source) for every cited bullet of a card."""
    cited = []
    for line in card.splitlines():
        if line.startswith("• ") and line.endswith(")"):
            text, _, source = line[2:-1].rpartition(" (")
            cited.append((text, source))
    return cited


def assert_cited_truthfully(card: str) -> None:
    """Every bullet credited to an article is a tip that article gives, word for word."""
    knowledge = load_knowledge()
    by_short = {source.short: source_id for source_id, source in knowledge.sources.items()}
    for text, short in card_citations(card):
        if short not in (BLOG, RTTF):
            continue
        assert any(tip.say == text and tip.source == by_short[short] for tip in knowledge.tips), (
            f"{text!r} is not what {short} says"
        )


# Each RECOVERY_TOPIC id: the sources its card cites, and words its spoken answer must carry.
TOPICS: dict[str, tuple[set[str], str]] = {
    "stretching": ({BLOG, RTTF}, "gentle static stretches"),
    "epsom_bath": ({RTTF}, "hot Epsom salt bath"),
    "foam_rolling": ({BLOG}, "self-myofascial release"),
    "massage": ({BLOG}, "A massage increases circulation"),
    "compression": ({RTTF}, "compression tights or socks"),
    "magnesium": ({RTTF}, "Epsom bath in a bottle"),
    "cbd": ({RTTF, OURS}, "a cream for a localised ache"),
    "turmeric": ({RTTF}, "short-term inflammation right after a workout"),
    "light_activity": ({RTTF}, "easy walk or easy bike ride"),
    "rest": ({BLOG, RTTF}, "take a rest day"),
    "warm_up": ({BLOG}, "light jogging or dynamic stretches"),
    "sunlight": ({RTTF}, "Getting outside for some vitamin D"),
}
UNCOVERED = {"sunlight"}


def test_every_recovery_topic_id_is_a_topic_and_only_sunlight_is_not_covered() -> None:
    knowledge = load_knowledge()
    assert set(TOPICS) <= knowledge.topics
    assert {topic for topic in TOPICS if not knowledge.about(topic)} == UNCOVERED


@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_every_topic_answers_from_its_article_or_says_it_is_not_covered(
    runner: Session, topic: str
) -> None:
    sources, words = TOPICS[topic]
    speech = ask(runner, "RecoveryTopicIntent", slot("topic", topic))
    assert words in speech
    assert "I don't have advice" not in speech
    card = runner.card["content"]
    assert {source for _, source in card_citations(card)} == sources
    assert_cited_truthfully(card)
    if topic in UNCOVERED:
        assert speech.startswith(f"{NOT_COVERED} {topic}. What they do say nearby:")
    else:
        assert NOT_COVERED not in speech


def test_sunlight_points_to_what_the_articles_say_nearby_without_inventing_advice(
    runner: Session,
) -> None:
    speech = ask(runner, "RecoveryTopicIntent", slot("topic", "sunlight", "sunshine"))
    nearby = [load_knowledge().tip(t).say for t in ("active_recovery", "sleep_minute_per_mile")]
    assert speech == f"{NOT_COVERED} sunlight. What they do say nearby: {' '.join(nearby)} " + (
        "What else can I help with?"
    )


def test_foam_rolling_and_massage_are_separate_answers(runner: Session) -> None:
    rolling = ask(runner, "RecoveryTopicIntent", slot("topic", "foam_rolling"))
    massage = ask(runner, "RecoveryTopicIntent", slot("topic", "massage"))
    assert "A massage increases circulation" not in rolling
    assert "gentle pressure, rolling back and forth" not in massage
    assert runner.card["title"] == "Massage"


# --- sleep, drinks and food: the parts runners ask about ------------------------------------


def test_sleep_answer_covers_naps(runner: Session) -> None:
    speech = ask(runner, "SleepIntent")
    assert "take a weekend nap after long runs" in speech
    assert "a minute of sleep for every mile" in speech
    assert {source for _, source in card_citations(runner.card["content"])} == {RTTF}


def test_drink_answer_covers_electrolytes_and_says_what_it_does_not_cover(
    runner: Session,
) -> None:
    speech = ask(runner, "DrinkIntent")
    assert "add electrolytes" in speech and "potassium" in speech
    assert "Stay hydrated before, during and after your runs" in speech
    assert f"{NOT_COVERED} coffee, alcohol or sports drinks by name." in speech
    card = runner.card["content"]
    assert {source for _, source in card_citations(card)} == {BLOG, RTTF}
    assert_cited_truthfully(card)


def test_food_answer_covers_protein_and_carbs(runner: Session) -> None:
    speech = ask(runner, "FoodIntent")
    assert "carbohydrates and protein within 30 minutes" in speech
    assert "carbs, protein and fats" in speech
    assert NOT_COVERED not in speech


# --- answers that name a body area ----------------------------------------------------------


def report_pain(runner: Session, area: str, sign: str) -> None:
    ask(runner, "ReportPainIntent", {**slot("area", area), **slot("sign", sign)})


@pytest.mark.parametrize(
    ("name", "topic"), [("IceOrHeatIntent", "ice_heat"), ("WhySoreIntent", "why_sore")]
)
@pytest.mark.parametrize("slots", [{}, {"area": resolved_slot("area", "elbow", None)}])
def test_without_a_resolved_area_the_answer_is_unchanged(
    runner: Session, name: str, topic: str, slots: dict[str, Any]
) -> None:
    titles = {"ice_heat": "Ice or heat?", "why_sore": "Why you're sore"}
    expected = topic_reply(load_knowledge(), topic, titles[topic])
    assert ask(runner, name, slots) == expected.speech
    assert runner.card["content"] == expected.card_text


def test_ice_or_heat_for_calves_applies_both_articles_to_the_calves(runner: Session) -> None:
    speech = ask(runner, "IceOrHeatIntent", slot("area", "calves"))
    assert speech.startswith("For your calves, the two articles differ on this.")
    assert "ice pack on tender spots" in speech and "no more ice baths" in speech
    assert "say nothing about" not in speech
    assert runner.card["title"] == "Ice or heat? (calves)"
    assert_cited_truthfully(runner.card["content"])


def test_ice_or_heat_for_a_knee_says_the_articles_are_about_muscles(runner: Session) -> None:
    speech = ask(runner, "IceOrHeatIntent", slot("area", "knees", "knee"))
    assert speech.startswith("For your knee, the two articles differ on this.")
    assert "say nothing about the knee itself" in speech


def test_ice_or_heat_on_a_swollen_knee_is_no_heat_and_see_someone(runner: Session) -> None:
    report_pain(runner, "knees", "swelling")
    speech = ask(runner, "IceOrHeatIntent", slot("area", "knees", "knee"))
    assert speech.startswith("Have a doctor or physiotherapist check your knee")
    assert "Heat can make fresh swelling worse." in speech
    assert "heat for general tightness" not in speech
    assert "heating pad" not in runner.card["content"]
    # Legs take in the knee; calves do not.
    assert ask(runner, "IceOrHeatIntent", slot("area", "legs")).startswith("Have a doctor")
    assert ask(runner, "IceOrHeatIntent", slot("area", "calves")).startswith("For your calves,")


def test_injury_check_for_a_sore_knee_names_the_knee(runner: Session) -> None:
    speech = ask(runner, "InjuryCheckIntent", slot("area", "knees", "knee"))
    assert speech.startswith("See a doctor or physiotherapist, and don't run on your knee, if")
    assert "say nothing about the knee itself" in speech
    assert "Don't push through it" in speech
    card = runner.card["content"]
    assert DOCTOR_SIGNS in card and load_knowledge().professional_advice in card
    assert "walk down the stairs" in card
    assert_cited_truthfully(card)


def test_injury_check_without_an_area_is_unchanged(runner: Session) -> None:
    assert ask(runner, "InjuryCheckIntent") == f"{DOCTOR_SIGNS} What else can I help with?"


def test_injury_check_on_a_flagged_area_gives_the_red_flag_advice(runner: Session) -> None:
    report_pain(runner, "ankles", "sharp")
    speech = ask(runner, "InjuryCheckIntent", slot("area", "ankles", "ankle"))
    assert speech.startswith("Have a doctor or physiotherapist check your ankle")
    assert "no running" in speech
    hamstrings = ask(runner, "InjuryCheckIntent", slot("area", "hamstrings"))
    assert hamstrings.startswith("See a doctor or physiotherapist, and don't run on your hamstr")


def test_why_sore_calves_explains_and_says_what_helps_them(runner: Session) -> None:
    speech = ask(runner, "WhySoreIntent", slot("area", "calves"))
    assert speech.startswith("Why your calves are sore: soreness comes from tiny tears")
    assert "What helps your calves: don't skip the cool-down" in speech
    card = runner.card["content"]
    assert "foam roller" in card and "compression" in card
    assert_cited_truthfully(card)


def test_why_sore_hip_flexors_points_to_stretching_that_opens_the_hips(runner: Session) -> None:
    speech = ask(runner, "WhySoreIntent", slot("area", "hip_flexors"))
    assert speech.startswith("Why your hip flexors are sore:")
    assert "opening tight hips" in speech


def test_why_sore_knee_does_not_explain_it_away_as_muscle_soreness(runner: Session) -> None:
    speech = ask(runner, "WhySoreIntent", slot("area", "knees", "knee"))
    assert "tiny tears" not in speech
    assert "say nothing about the knee itself" in speech
    assert "don't run on your knee" in speech


def test_an_urgent_sign_anywhere_leads_every_area_answer(runner: Session) -> None:
    report_pain(runner, "legs", "dark_urine")
    for name in ("IceOrHeatIntent", "WhySoreIntent", "InjuryCheckIntent"):
        speech = ask(runner, name, slot("area", "calves"))
        assert speech.startswith("Please get medical help today"), name
