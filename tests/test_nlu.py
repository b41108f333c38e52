"""Typed phrases resolve against the interaction model as Alexa would fill them."""

from __future__ import annotations

import pytest

from skill.nlu import FALLBACK, InteractionModel
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
def us() -> InteractionModel:
    return InteractionModel.load("en-US")


@pytest.mark.parametrize(
    ("phrase", "intent", "slots"),
    [
        ("Alexa, how should I recover?", "GetRecoveryPlanIntent", {}),
        ("ask recovery coach how should I recover", "GetRecoveryPlanIntent", {}),
        ("I just ran ten miles", "LogRunIntent", {"distance": "10", "unit": "mi"}),
        ("I ran nine hundred miles", "LogRunIntent", {"distance": "900", "unit": "mi"}),
        (
            "I did a 10 k tempo run",
            "LogRunIntent",
            {"distance": "10", "unit": "km", "runType": "tempo"},
        ),
        ("I finished a half marathon", "LogRunIntent", {"runType": "half_marathon"}),
        ("I ran for an hour and a half", "LogRunIntent", {"duration": "PT1H30M"}),
        ("my calves are sore", "ReportSorenessIntent", {"area": "calves"}),
        ("my soreness is a seven", "ReportSorenessIntent", {"level": "7"}),
        ("my soreness is an eight", "ReportSorenessIntent", {"level": "8"}),
        ("my soreness is 8 out of 10", "ReportSorenessIntent", {"level": "8"}),
        ("it's an eight", "ReportSorenessIntent", {"level": "8"}),
        ("eight", "ReportSorenessIntent", {"level": "8"}),
        ("I'm a 7", "ReportSorenessIntent", {"level": "7"}),
        ("I have a sharp pain in my knee", "ReportPainIntent", {"sign": "sharp", "area": "knees"}),
        ("I cant walk down the stairs", "ReportPainIntent", {"sign": "cant_walk_stairs"}),
        ("what about foam rolling", "RecoveryTopicIntent", {"topic": "massage"}),
        ("yes please", "AMAZON.YesIntent", {}),
        ("what is the weather like", FALLBACK, {}),
    ],
)
def test_phrases_resolve(
    us: InteractionModel, phrase: str, intent: str, slots: dict[str, str]
) -> None:
    resolution = us.resolve(phrase)
    assert resolution.intent == intent
    got = {
        name: (slot.resolved.id if slot.resolved else slot.value)
        for name, slot in resolution.slots.items()
    }
    assert got == slots


def test_open_is_a_launch(us: InteractionModel) -> None:
    assert us.resolve("open recovery coach").launch


def test_near_miss_goes_to_the_closest_intent(us: InteractionModel) -> None:
    assert us.resolve("should I use ice or heat on my legs").intent == "IceOrHeatIntent"


def test_en_gb_spellings(us: InteractionModel) -> None:
    gb = InteractionModel.load("en-GB")
    assert gb.resolve("I ran ten kilometres").slots["unit"].resolved.id == "km"  # type: ignore[union-attr]
    assert gb.resolve("I did a parkrun").slots["runType"].resolved.id == "parkrun"  # type: ignore[union-attr]
