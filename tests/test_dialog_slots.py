"""Multi-turn dialogs over HTTP: each question is a Dialog.ElicitSlot, and the answer completes it.

Also: a run said "yesterday morning" or "on thursday" is logged then, in the runner's time zone.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from envelopes import envelope, intent, resolved_slot
from flask.testing import FlaskClient
from ssml import check_response

from mqtt_bridge.safety import SafetyLimits
from routines import BodyArea
from routines.context import DistanceUnit
from skill.conversation import plain_text
from skill.history import History
from skill.home import HomeAccess
from skill.settings import Settings
from skill.web import create_app

LONDON = ZoneInfo("Europe/London")
# Wednesday 25 November 2026, 10:00 in London.
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
USER = "amzn1.ask.account.DIALOG"


@pytest.fixture
def london(settings: Settings) -> Settings:
    return replace(settings, timezone=LONDON)


@pytest.fixture
def client(london: Settings) -> Iterator[FlaskClient]:
    yield create_app(london).test_client()


def number(name: str, value: str) -> dict[str, Any]:
    return {"name": name, "value": value, "confirmationStatus": "NONE"}


def ask(
    client: FlaskClient,
    name: str,
    slots: dict[str, Any] | None = None,
    *,
    at: datetime = NOW,
    state: str = "STARTED",
    after: dict[str, Any] | None = None,
    locale: str = "en-US",
) -> dict[str, Any]:
    """Send one IntentRequest; `after` is the previous response, whose session it continues."""
    payload = intent(
        name,
        at,
        slots,
        user_id=USER,
        locale=locale,
        new=after is None,
        attributes=dict((after or {}).get("sessionAttributes") or {}),
    )
    payload["request"]["dialogState"] = state
    reply = client.post("/alexa", json=payload)
    assert reply.status_code == 200, reply.get_data(as_text=True)
    body: dict[str, Any] = reply.json
    check_response(body)
    return body


def speech(body: dict[str, Any]) -> str:
    return plain_text(body["response"]["outputSpeech"]["ssml"])


def elicited(body: dict[str, Any]) -> dict[str, Any]:
    """Return the one Dialog.ElicitSlot directive of a response, checking its shape."""
    directives = body["response"].get("directives") or []
    assert [d["type"] for d in directives] == ["Dialog.ElicitSlot"], directives
    assert body["response"]["shouldEndSession"] is False
    assert body["response"]["reprompt"]["outputSpeech"]["ssml"]
    directive: dict[str, Any] = directives[0]
    return directive


def answer(directive: dict[str, Any], **filled: dict[str, Any]) -> dict[str, Any]:
    """Alexa's next request: the updated intent's slots, with the runner's answer filled in."""
    slots = dict(directive["updatedIntent"]["slots"])
    slots.update(filled)
    return slots


def reply_to(
    client: FlaskClient,
    question: dict[str, Any],
    *,
    locale: str = "en-US",
    **filled: dict[str, Any],
) -> dict[str, Any]:
    """Answer the slot a response asked for, as Alexa sends it: same intent, IN_PROGRESS."""
    directive = elicited(question)
    name = directive["updatedIntent"]["name"]
    slots = answer(directive, **filled)
    return ask(client, name, slots, state="IN_PROGRESS", after=question, locale=locale)


def stored(settings: Settings) -> History:
    with sqlite3.connect(settings.database) as db:
        row = db.execute(
            "SELECT attributes FROM user_attributes WHERE user_id = ?", (USER,)
        ).fetchone()
    return History.from_attributes(json.loads(row[0]))


def local(moment: datetime) -> datetime:
    return moment.astimezone(LONDON).replace(tzinfo=None)


# --- How far did you run? ---------------------------------------------------------------


def test_a_run_without_a_distance_asks_for_miles_then_logs_the_answer(
    client: FlaskClient, london: Settings
) -> None:
    when = resolved_slot("when", "yesterday morning", "yesterday_morning")
    first = ask(client, "LogRunIntent", {"when": when})
    directive = elicited(first)
    assert directive["slotToElicit"] == "miles"
    assert directive["updatedIntent"]["name"] == "LogRunIntent"
    assert directive["updatedIntent"]["slots"]["when"]["value"] == "yesterday morning"
    assert speech(first).startswith("How far did you run?")
    with sqlite3.connect(london.database) as db:
        assert db.execute("SELECT COUNT(*) FROM user_attributes").fetchone() == (0,)

    second = reply_to(client, first, miles=number("miles", "10"))
    assert "directives" not in second["response"] or not second["response"]["directives"]
    assert speech(second).startswith(
        "Nice work! I've logged your 10 mile run from yesterday morning."
    )
    assert "10 miles in the last 7 days" in speech(second)
    (run,) = stored(london).runs
    assert local(run.at) == datetime(2026, 11, 24, 7, 0)
    assert run.distance_km == pytest.approx(DistanceUnit.MILES.to_km(10))


def test_an_answer_in_kilometres_fills_the_other_slot_and_is_logged_in_km(
    client: FlaskClient, london: Settings
) -> None:
    first = ask(client, "LogRunIntent", {})
    assert elicited(first)["slotToElicit"] == "miles"
    second = reply_to(client, first, kilometers=number("kilometers", "8"))
    assert "your 8 kilometre run" in speech(second)
    history = stored(london)
    assert history.runs[0].distance_km == pytest.approx(8)
    assert history.unit is DistanceUnit.KILOMETERS


def test_a_kilometre_runner_is_asked_for_kilometres(client: FlaskClient) -> None:
    first = ask(client, "LogRunIntent", {}, locale="en-GB")
    assert elicited(first)["slotToElicit"] == "kilometers"
    assert "For example: five kilometres." in speech(first)
    second = reply_to(client, first, kilometers=number("kilometers", "12"), locale="en-GB")
    assert "your 12 kilometre run" in speech(second)


def test_a_race_needs_no_distance_question(client: FlaskClient, london: Settings) -> None:
    body = ask(
        client, "LogRunIntent", {"runType": resolved_slot("runType", "marathon", "marathon")}
    )
    assert not body["response"].get("directives")
    assert "marathon" in speech(body)
    assert stored(london).runs[0].distance_km == pytest.approx(42.195)


@pytest.mark.parametrize(
    ("slots", "said"),
    [
        (
            {"distance": number("distance", "5"), "unit": resolved_slot("unit", "km", "km")},
            "5 kilometre",
        ),
        ({"distance": number("distance", "5")}, "5 mile"),
        ({"miles": number("miles", "18")}, "18 mile"),
        ({"kilometers": number("kilometers", "21.1")}, "21.1 kilometre"),
    ],
)
def test_every_distance_shape_is_logged(
    client: FlaskClient, slots: dict[str, Any], said: str
) -> None:
    body = ask(client, "LogRunIntent", slots)
    assert not body["response"].get("directives")
    assert f"your {said} run" in speech(body)


def test_an_impossible_distance_is_asked_again_with_the_bad_value_emptied(
    client: FlaskClient, london: Settings
) -> None:
    first = ask(client, "LogRunIntent", {"miles": number("miles", "900")})
    directive = elicited(first)
    assert directive["slotToElicit"] == "miles"
    assert "value" not in directive["updatedIntent"]["slots"]["miles"]
    assert speech(first).startswith("That doesn't sound like a distance I can log. How far")
    second = reply_to(client, first, miles=number("miles", "9"))
    assert "your 9 mile run" in speech(second)
    assert len(stored(london).runs) == 1


# --- Which area is sore? ----------------------------------------------------------------


def test_soreness_without_an_area_asks_which_then_records_it(
    client: FlaskClient, london: Settings
) -> None:
    first = ask(client, "ReportSorenessIntent", {})
    directive = elicited(first)
    assert directive["slotToElicit"] == "area"
    assert directive["updatedIntent"]["name"] == "ReportSorenessIntent"
    assert speech(first).startswith("Which area is sore?")
    second = reply_to(client, first, area=resolved_slot("area", "calves", "calves"))
    assert not second["response"].get("directives")
    assert speech(second).startswith("Sorry your calves are hurting.")
    assert stored(london).soreness is not None
    assert stored(london).soreness.areas == {BodyArea.CALVES}  # type: ignore[union-attr]


def test_an_unknown_area_is_named_in_the_question(client: FlaskClient) -> None:
    body = ask(client, "ReportSorenessIntent", {"area": resolved_slot("area", "elbow", None)})
    assert elicited(body)["slotToElicit"] == "area"
    assert speech(body).startswith("I don't know elbow as a place runners get sore.")


def test_a_soreness_rating_alone_needs_no_area(client: FlaskClient) -> None:
    body = ask(client, "ReportSorenessIntent", {"level": number("level", "7")})
    assert not body["response"].get("directives")


def test_a_rating_out_of_range_is_asked_again(client: FlaskClient) -> None:
    first = ask(client, "ReportSorenessIntent", {"level": number("level", "12")})
    assert elicited(first)["slotToElicit"] == "level"
    second = reply_to(client, first, level=number("level", "8"))
    assert not second["response"].get("directives")
    assert "rest" in speech(second).lower()


def test_a_run_and_a_sore_area_in_one_sentence_are_both_recorded(
    client: FlaskClient, london: Settings
) -> None:
    # "I ran 18 miles today and my calves are sore."
    body = ask(
        client,
        "LogRunIntent",
        {
            "miles": number("miles", "18"),
            "when": resolved_slot("when", "today", "today"),
            "area": resolved_slot("area", "calves", "calves"),
        },
    )
    said = speech(body)
    assert said.startswith("Nice work on your 18 mile run! I've logged it.")
    assert "I've noted that your calves are sore too." in said
    history = stored(london)
    assert len(history.runs) == 1 and history.runs[0].at == NOW
    assert history.soreness is not None and history.soreness.areas == {BodyArea.CALVES}
    plan = ask(client, "AMAZON.YesIntent", {}, after=body)
    assert "calf" in speech(plan).lower() or "calves" in speech(plan).lower()


# --- How many minutes? (the heating pad) ---------------------------------------------------


@pytest.fixture
def home_client(london: Settings) -> FlaskClient:
    # A linked home; nothing is sent to it until a yes, which these tests never give.
    access = HomeAccess(
        None, default_home="home", user_homes={}, safety=SafetyLimits(), timeout_s=1.0
    )
    return create_app(london, home=access).test_client()


@pytest.mark.parametrize(
    "slots",
    [
        {"minutes": number("minutes", "?")},
        {"duration": number("duration", "?")},
        {"minutes": number("minutes", "0")},
    ],
    ids=["unheard-number", "unheard-duration", "zero"],
)
def test_heat_for_no_usable_time_asks_how_many_minutes(
    home_client: FlaskClient, slots: dict[str, Any]
) -> None:
    first = ask(home_client, "HeatOnIntent", slots)
    directive = elicited(first)
    assert directive["slotToElicit"] == "minutes"
    assert directive["updatedIntent"]["name"] == "HeatOnIntent"
    assert speech(first).startswith("How many minutes?")
    second = reply_to(home_client, first, minutes=number("minutes", "15"))
    assert not second["response"].get("directives")
    assert speech(second) == "Turn on the heating pad for 15 minutes? It switches off by itself."
    assert second["sessionAttributes"]["action"] == {
        "verb": "heat/start",
        "params": {"minutes": 15},
    }
    declined = ask(home_client, "AMAZON.NoIntent", {}, after=second)
    assert speech(declined).startswith("OK, I won't.")


def test_heat_with_no_time_said_keeps_the_safe_default(home_client: FlaskClient) -> None:
    body = ask(home_client, "HeatOnIntent", {})
    assert not body["response"].get("directives")
    assert speech(body).startswith("You didn't say how long, so I'll use the safe default")


# --- When the run was -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "at", "logged_at", "spoken"),
    [
        ("yesterday_morning", NOW, datetime(2026, 11, 24, 7), "from yesterday morning"),
        ("last_night", NOW, datetime(2026, 11, 24, 20), "from last night"),
        ("sunday", NOW, datetime(2026, 11, 22, 18), "from Sunday"),
        ("wednesday", NOW, datetime(2026, 11, 18, 18), "from Wednesday"),
        (
            "yesterday",
            datetime(2027, 1, 1, 9, 0, tzinfo=UTC),
            datetime(2026, 12, 31, 18),
            "from yesterday",
        ),
        (
            "monday",
            datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
            datetime(2026, 11, 30, 18),
            "from Monday",
        ),
    ],
)
def test_a_run_is_logged_on_the_day_said_in_the_runners_zone(
    client: FlaskClient,
    london: Settings,
    when: str,
    at: datetime,
    logged_at: datetime,
    spoken: str,
) -> None:
    body = ask(
        client,
        "LogRunIntent",
        {"miles": number("miles", "10"), "when": resolved_slot("when", when, when)},
        at=at,
    )
    assert f"I've logged your 10 mile run {spoken}." in speech(body)
    assert local(stored(london).runs[0].at) == logged_at


def test_tonight_said_in_the_morning_is_logged_now_and_said_so(
    client: FlaskClient, london: Settings
) -> None:
    body = ask(
        client,
        "LogRunIntent",
        {"miles": number("miles", "5"), "when": resolved_slot("when", "tonight", "tonight")},
        at=datetime(2026, 11, 25, 8, 0, tzinfo=UTC),
    )
    assert "Tonight hasn't come yet, so I've logged it as just now." in speech(body)
    assert stored(london).runs[0].at == datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def test_the_zone_comes_from_the_settings(settings: Settings) -> None:
    west = create_app(replace(settings, timezone=ZoneInfo("America/Los_Angeles"))).test_client()
    # 05:00 UTC on the 25th is 21:00 on the 24th in Los Angeles: "yesterday" is the 23rd.
    ask(
        west,
        "LogRunIntent",
        {"miles": number("miles", "6"), "when": resolved_slot("when", "yesterday", "yesterday")},
        at=datetime(2026, 11, 25, 5, 0, tzinfo=UTC),
    )
    (run,) = stored(settings).runs
    assert run.at == datetime(2026, 11, 23, 18, 0, tzinfo=ZoneInfo("America/Los_Angeles"))


def test_weekly_mileage_counts_a_run_by_its_own_day(client: FlaskClient) -> None:
    thursday = resolved_slot("when", "thursday", "thursday")
    first = ask(client, "LogRunIntent", {"miles": number("miles", "10"), "when": thursday})
    assert "10 miles in the last 7 days" in speech(first)
    # Two days on, Thursday the 19th at 18:00 is over 7 days ago: only the new run counts.
    friday = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    later = ask(client, "LogRunIntent", {"miles": number("miles", "5")}, at=friday)
    assert "5 miles in the last 7 days" in speech(later)
    mileage = ask(client, "MileageIntent", {}, at=friday)
    assert speech(mileage).startswith("You've logged 5 miles in the last 7 days")


def test_an_earlier_run_logged_later_keeps_the_soreness_reported_since(
    client: FlaskClient, london: Settings
) -> None:
    ask(client, "ReportSorenessIntent", {"area": resolved_slot("area", "calves", "calves")})
    ask(
        client,
        "LogRunIntent",
        {"miles": number("miles", "8"), "when": resolved_slot("when", "yesterday", "yesterday")},
        at=datetime(2026, 11, 25, 10, 30, tzinfo=UTC),
    )
    history = stored(london)
    assert history.soreness is not None and history.soreness.areas == {BodyArea.CALVES}


# --- Yes and no to the questions the skill asks ------------------------------------------


def test_no_to_the_plan_after_a_logged_run_ends_and_keeps_the_run(
    client: FlaskClient, london: Settings
) -> None:
    logged = ask(client, "LogRunIntent", {"miles": number("miles", "6")})
    assert speech(logged).endswith("Want your recovery plan?")
    declined = ask(client, "AMAZON.NoIntent", {}, after=logged)
    assert speech(declined) == "OK. Recover well. Happy running!"
    assert declined["response"]["shouldEndSession"] is True
    assert len(stored(london).runs) == 1


def test_can_fulfill_understands_the_new_run_slots(client: FlaskClient) -> None:
    slots = {
        "miles": number("miles", "18"),
        "kilometers": number("kilometers", "5"),
        "when": resolved_slot("when", "yesterday morning", "yesterday_morning"),
        "area": resolved_slot("area", "calves", "calves"),
    }
    payload = envelope(
        {"type": "CanFulfillIntentRequest", "intent": {"name": "LogRunIntent", "slots": slots}},
        timestamp=NOW,
    )
    del payload["session"]["attributes"]
    answer = client.post("/alexa", json=payload).json["response"]["canFulfillIntent"]
    assert answer["canFulfill"] == "YES"
    assert set(answer["slots"]) == set(slots)
    assert all(v == {"canUnderstand": "YES", "canFulfill": "YES"} for v in answer["slots"].values())


def test_an_unknown_topic_asks_which_then_answers_it(client: FlaskClient) -> None:
    first = ask(client, "RecoveryTopicIntent", {"topic": resolved_slot("topic", "yoga", None)})
    directive = elicited(first)
    assert directive["slotToElicit"] == "topic"
    assert speech(first).startswith("I don't have advice about yoga.")
    second = reply_to(client, first, topic=resolved_slot("topic", "sleep", "sleep"))
    assert not second["response"].get("directives")
    assert "sleep" in speech(second).lower()


def test_a_bath_too_hot_asks_for_a_temperature_then_confirms(home_client: FlaskClient) -> None:
    first = ask(home_client, "DrawBathIntent", {"temperature": number("temperature", "60")})
    directive = elicited(first)
    assert directive["slotToElicit"] == "temperature"
    assert speech(first).startswith("I won't do that:")
    second = reply_to(home_client, first, temperature=number("temperature", "38"))
    assert speech(second) == "Run a bath at 38 degrees?"
    assert second["sessionAttributes"]["action"]["verb"] == "bath/fill"
