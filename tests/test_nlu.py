"""Typed phrases resolve against the interaction model as Alexa would fill them."""

from __future__ import annotations

import pytest

from skill.nlu import FALLBACK, Expecting, Recognizer, Resolution
from skill.numbers import parse_duration, parse_number


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("10", 10),
        ("26.2", 26.2),
        ("ten", 10),
        ("twenty six", 26),
        ("twenty-six point two", 26.2),
        ("thirteen point one", 13.1),
        ("one hundred", 100),
        ("a hundred and five", 105),
        ("two thousand", 2000),
        ("an eight", 8),
        ("a seven", 7),
        ("a", 1),
        ("a hundred", 100),
        ("ten k", None),
        ("point", None),
        ("", None),
    ],
)
def test_spoken_numbers(text: str, value: float | None) -> None:
    assert parse_number(text) == (pytest.approx(value) if value is not None else None)


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("an hour", "PT1H"),
        ("an hour and a half", "PT1H30M"),
        ("half an hour", "PT30M"),
        ("forty five minutes", "PT45M"),
        ("1 hour 30 minutes", "PT1H30M"),
        ("ninety minutes", "PT1H30M"),
        ("two hours and ten minutes", "PT2H10M"),
        ("a while", None),
        ("minutes of fun", None),
    ],
)
def test_spoken_durations(text: str, iso: str | None) -> None:
    assert parse_duration(text) == iso


@pytest.fixture(scope="module")
def us() -> Recognizer:
    return Recognizer.load("en-US")


def _ids(resolution: Resolution) -> dict[str, str]:
    # Filler and trailing words are slots Alexa fills too; what matters is every detail.
    return {
        name: (slot.resolved.id if slot.resolved else slot.value)
        for name, slot in resolution.slots.items()
        if name not in ("lead", "tail")
    }


@pytest.mark.parametrize(
    ("phrase", "intent", "slots"),
    [
        ("Alexa, how should I recover?", "GetRecoveryPlanIntent", {}),
        ("alexa ask recovery coach how should I recover", "GetRecoveryPlanIntent", {}),
        ("um so how should I recover", "GetRecoveryPlanIntent", {}),
        ("I just ran ten miles", "LogRunIntent", {"miles": "10"}),
        (
            "I ran 13.1 miles this morning",
            "LogRunIntent",
            {"miles": "13.1", "when": "this_morning"},
        ),
        (
            "i ran six point two miles yesterday",
            "LogRunIntent",
            {"miles": "6.2", "when": "yesterday"},
        ),
        ("I did 8k", "LogRunIntent", {"kilometers": "8"}),
        ("I finished a half marathon", "LogRunIntent", {"runType": "half_marathon"}),
        ("I ran for an hour and a half", "LogRunIntent", {"duration": "PT1H30M"}),
        ("my calves are sore", "ReportSorenessIntent", {"area": "calves"}),
        ("my hammies are killing me", "ReportSorenessIntent", {"area": "hamstrings"}),
        ("my soreness is a seven", "ReportSorenessIntent", {"level": "7"}),
        ("my soreness is 8 out of 10", "ReportSorenessIntent", {"level": "8"}),
        ("I have a sharp pain in my knee", "ReportPainIntent", {"sign": "sharp", "area": "knees"}),
        ("ice or heat for my calves", "IceOrHeatIntent", {"area": "calves"}),
        ("can I take an advil", "PainRelieverIntent", {}),
        ("switch the heat pad on for 10 minutes", "HeatOnIntent", {"minutes": "10"}),
        ("is the tub full", "BathStatusIntent", {}),
        ("should I take a rest day", "RecoveryTopicIntent", {"topic": "rest"}),
        ("what about foam rolling", "RecoveryTopicIntent", {"topic": "foam_rolling"}),
        ("yes please", "AMAZON.YesIntent", {}),
        ("what is the weather like", FALLBACK, {}),
    ],
)
def test_phrases_resolve(us: Recognizer, phrase: str, intent: str, slots: dict[str, str]) -> None:
    resolution = us.resolve(phrase)
    assert (resolution.intent, _ids(resolution)) == (intent, slots)


def test_open_is_a_launch(us: Recognizer) -> None:
    assert us.resolve("open recovery coach").launch
    assert us.resolve("Alexa, ask Recovery Coach").launch


def test_a_number_that_fits_nowhere_gets_a_question(us: Recognizer) -> None:
    resolution = us.resolve("banana 17 purple")
    assert resolution.intent == FALLBACK
    assert resolution.question is not None and "17" in resolution.question


def test_an_area_that_fits_nowhere_gets_a_question(us: Recognizer) -> None:
    resolution = us.resolve("purple calves banana")
    assert resolution.question is not None and "calves" in resolution.question


def test_nothing_to_place_gets_no_question(us: Recognizer) -> None:
    assert us.resolve("what is the weather like").question is None


@pytest.mark.parametrize(
    ("intent", "slot", "answer", "slots"),
    [
        ("LogRunIntent", "miles", "about six miles", {"miles": "6"}),
        ("LogRunIntent", "miles", "ten", {"miles": "10"}),
        ("LogRunIntent", "miles", "8k", {"kilometers": "8"}),
        ("ReportSorenessIntent", "area", "my calves", {"area": "calves"}),
        ("HeatOnIntent", "minutes", "ten", {"minutes": "10"}),
    ],
)
def test_a_bare_answer_fills_the_slot_asked_for(
    us: Recognizer, intent: str, slot: str, answer: str, slots: dict[str, str]
) -> None:
    resolution = us.resolve(answer, Expecting(intent, slot))
    assert (resolution.intent, _ids(resolution)) == (intent, slots)
    assert resolution.answered is not None


def test_a_new_request_while_asked_is_heard_as_itself(us: Recognizer) -> None:
    resolution = us.resolve("turn off the heating pad", Expecting("LogRunIntent", "miles"))
    assert resolution.intent == "HeatOffIntent" and resolution.answered is None


def test_en_gb_spellings() -> None:
    gb = Recognizer.load("en-GB")
    assert _ids(gb.resolve("I ran ten kilometres")) == {"kilometers": "10"}
    assert _ids(gb.resolve("I did a parkrun")) == {"runType": "parkrun"}
