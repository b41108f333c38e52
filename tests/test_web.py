"""The web edge: bad input always gets a clear 4xx, never a 500; health check."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from envelopes import SKILL_ID, envelope, intent
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from skill.settings import Settings
from skill.web import create_app


@pytest.fixture
def client(settings: Settings) -> FlaskClient:
    return create_app(settings).test_client()


def test_health_check(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def _bad(response: Any, reason: str) -> None:
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.json["status"] == "error"
    assert reason in response.json["error"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b"{}", "no request type"),
        (b'{"request": {"type": 5}, "context": {}}', "no request type"),
        (b'{"request": {"type": "IntentRequest"}}', "no context"),
    ],
)
def test_malformed_bodies_are_400(client: FlaskClient, body: bytes, reason: str) -> None:
    _bad(client.post("/alexa", data=body, content_type="application/json"), reason)


def test_unknown_request_type_is_400(client: FlaskClient) -> None:
    payload = envelope({"type": "AudioPlayer.PlaybackStarted"}, timestamp=datetime.now(UTC))
    _bad(client.post("/alexa", json=payload), "unsupported request type")


def test_intent_of_the_wrong_shape_is_400(client: FlaskClient) -> None:
    payload = intent("GetRecoveryPlanIntent", datetime.now(UTC))
    payload["request"]["intent"] = "GetRecoveryPlanIntent"
    _bad(client.post("/alexa", json=payload), "malformed IntentRequest")


def test_request_for_another_skill_id_is_400(settings: Settings) -> None:
    configured = Settings(
        database=settings.database, verify_requests=False, skill_ids=frozenset({SKILL_ID})
    )
    client = create_app(configured).test_client()
    payload = intent("AMAZON.HelpIntent", datetime.now(UTC), skill_id="amzn1.ask.skill.other")
    _bad(client.post("/alexa", json=payload), "skill ID")
    assert (
        client.post("/alexa", json=intent("AMAZON.HelpIntent", datetime.now(UTC))).status_code
        == 200
    )


def test_oversized_body_is_refused(client: FlaskClient) -> None:
    response = client.post("/alexa", data=b"{" + b" " * (300 * 1024) + b"}")
    assert response.status_code == 413
    assert response.json["status"] == "error"


def test_wrong_method_is_405(client: FlaskClient) -> None:
    assert client.get("/alexa").status_code == 405


def test_unknown_intent_still_speaks(client: FlaskClient) -> None:
    response = client.post("/alexa", json=intent("OrderPizzaIntent", datetime.now(UTC)))
    assert response.status_code == 200
    assert "something went wrong" in response.json["response"]["outputSpeech"]["ssml"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


@hsettings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    request_type=st.sampled_from(
        ["LaunchRequest", "IntentRequest", "SessionEndedRequest", "CanFulfillIntentRequest"]
    ),
    mutation=st.dictionaries(
        st.sampled_from(["intent", "timestamp", "locale", "reason", "dialogState", "requestId"]),
        json_values,
        max_size=3,
    ),
    session=st.one_of(st.none(), json_values),
)
def test_fuzzed_envelopes_never_cause_a_500(
    client: FlaskClient, request_type: str, mutation: dict[str, Any], session: Any
) -> None:
    payload = envelope({"type": request_type}, timestamp=datetime.now(UTC))
    payload["request"].update(mutation)
    if session is not None:
        payload["session"] = session
    response = client.post("/alexa", data=json.dumps(payload), content_type="application/json")
    assert response.status_code in (200, 400), response.get_data(as_text=True)


def test_the_skill_service_builds_nothing_from_the_grammar(tmp_path: Any) -> None:
    # Alexa does the understanding: serving a request never loads the grammar (or hassil), so
    # a cold start costs nothing for it.
    import subprocess
    import sys

    script = f"""
import json, sys
from datetime import UTC, datetime
sys.path.insert(0, {str(__import__("pathlib").Path(__file__).parent)!r})
from envelopes import intent
from skill.settings import Settings
from skill.web import create_app
settings = Settings(database={str(tmp_path / "db.sqlite3")!r}, verify_requests=False)
client = create_app(settings).test_client()
for name in ("LogRunIntent", "GetRecoveryPlanIntent", "RecoveryTopicIntent"):
    assert client.post("/alexa", json=intent(name, datetime.now(UTC))).status_code == 200
print(sorted(m for m in sys.modules if m.startswith(("hassil", "skill.nlu", "skill.phrase"))))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
