"""The skill's own questions, answered bare in the console: the grammar's `answers` (issue #11).

Each round trip goes through the console recogniser and the real skill over HTTP: the skill asks
with Dialog.ElicitSlot, the bare answer ("about six miles", "my calves", "ten") fills that slot,
and the console sends the same intent back with the earlier slots kept, as Alexa does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from skill_support import Session

from mqtt_bridge.safety import SafetyLimits
from skill.home import HomeAccess
from skill.settings import Settings
from skill.web import create_app


@pytest.fixture
def client(settings: Settings) -> Iterator[FlaskClient]:
    yield create_app(replace(settings, timezone=ZoneInfo("Europe/London"))).test_client()


def _asked(session: Session) -> tuple[str, str]:
    directive = next(
        d for d in session.last["response"]["directives"] if d["type"] == "Dialog.ElicitSlot"
    )
    return directive["updatedIntent"]["name"], directive["slotToElicit"]


@pytest.mark.parametrize(
    ("answer", "logged"),
    [
        ("about six miles", "6 mile run"),
        ("ten", "10 mile run"),
        ("eight k", "8 kilometre run"),
        ("13.1 miles", "13.1 mile run"),
    ],
)
def test_how_far_did_you_run(client: FlaskClient, answer: str, logged: str) -> None:
    runner = Session(client)
    question = runner.say("log my run from yesterday morning")
    assert question.startswith("How far did you run?")
    assert _asked(runner) == ("LogRunIntent", "miles")
    said = runner.say(answer)
    assert logged in said and "yesterday morning" in said


@pytest.mark.parametrize("answer", ["my calves", "calves", "it's my calves"])
def test_which_area_is_sore(client: FlaskClient, answer: str) -> None:
    runner = Session(client)
    assert runner.say("I'm sore").startswith("Which area is sore?")
    assert _asked(runner) == ("ReportSorenessIntent", "area")
    assert "calves" in runner.say(answer)


def test_how_many_minutes(settings: Settings) -> None:
    access = HomeAccess(
        None, default_home="home", user_homes={}, safety=SafetyLimits(), timeout_s=1.0
    )
    runner = Session(create_app(settings, home=access).test_client())
    question = runner.say("turn on the heating pad for zero minutes")
    assert _asked(runner) == ("HeatOnIntent", "minutes"), question
    assert runner.say("ten").startswith("Turn on the heating pad for 10 minutes?")
    assert runner.say("no").startswith("OK")


def test_a_new_request_instead_of_an_answer_is_heard_as_itself(client: FlaskClient) -> None:
    runner = Session(client)
    runner.say("log my run")
    assert "calves" in runner.say("my calves are sore")
    assert "directives" not in runner.last["response"] or not any(
        d["type"] == "Dialog.ElicitSlot" for d in runner.last["response"]["directives"]
    )
