"""Hypothesis strategies for request bodies, from odd-but-valid envelopes to garbage, and the check
every answer must pass: a response envelope (200) or the JSON error shape (400/413)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from envelopes import envelope, intent
from hypothesis import strategies as st

REQUEST_TYPES = [
    "LaunchRequest",
    "IntentRequest",
    "SessionEndedRequest",
    "CanFulfillIntentRequest",
    "System.ExceptionEncountered",
    "AudioPlayer.PlaybackStarted",
    "Alexa.Presentation.APL.UserEvent",
    "",
    "launchrequest",
]
INTENTS = [
    "AMAZON.HelpIntent",
    "AMAZON.StopIntent",
    "AMAZON.YesIntent",
    "AMAZON.FallbackIntent",
    "GetRecoveryPlanIntent",
    "LogRunIntent",
    "ReportSorenessIntent",
    "HeatOnIntent",
    "StretchIntent",
    "OrderPizzaIntent",
]
# Paths into an envelope that the fuzzer deletes, nulls or replaces.
PATHS = [
    ("version",),
    ("session",),
    ("session", "new"),
    ("session", "sessionId"),
    ("session", "attributes"),
    ("session", "application"),
    ("session", "user"),
    ("session", "user", "userId"),
    ("context",),
    ("context", "System"),
    ("context", "System", "user"),
    ("context", "System", "user", "userId"),
    ("context", "System", "application"),
    ("context", "System", "device"),
    ("request",),
    ("request", "type"),
    ("request", "requestId"),
    ("request", "timestamp"),
    ("request", "locale"),
    ("request", "intent"),
    ("request", "intent", "name"),
    ("request", "intent", "slots"),
    ("request", "reason"),
    ("request", "dialogState"),
    ("request", "error"),
]

text = st.text(max_size=30) | st.sampled_from(["", "\x00", "é☃𝄞", "\u202e", "null", "{}"])
huge_text = st.integers(min_value=1_000, max_value=60_000).map(lambda n: "ẞ" * n)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | text
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=4),
    max_leaves=12,
)
odd_values = json_values | huge_text | st.integers(1, 200).map(lambda depth: _nested(depth))


def _nested(depth: int) -> Any:
    value: Any = "bottom"
    for level in range(depth):
        value = [value] if level % 2 else {"n": value}
    return value


def _set(document: dict[str, Any], path: tuple[str, ...], action: str, value: Any) -> None:
    node: Any = document
    for key in path[:-1]:
        if not isinstance(node, dict) or not isinstance(node.get(key), dict | list):
            return
        node = node[key]
        if isinstance(node, list):
            return
    if not isinstance(node, dict):
        return
    if action == "delete":
        node.pop(path[-1], None)
    elif action == "null":
        node[path[-1]] = None
    else:
        node[path[-1]] = value


@st.composite
def odd_envelopes(draw: st.DrawFn, now: datetime) -> dict[str, Any]:
    """An envelope built right, then bent: fields deleted, nulled, retyped or added."""
    request_type = draw(st.sampled_from(REQUEST_TYPES))
    if request_type == "IntentRequest" or draw(st.booleans()):
        document = intent(draw(st.sampled_from(INTENTS)), now)
        document["request"]["type"] = request_type
    else:
        document = envelope({"type": request_type}, timestamp=now)
    mutations = draw(
        st.lists(
            st.tuples(
                st.sampled_from(PATHS),
                st.sampled_from(["delete", "null", "replace"]),
                odd_values,
            ),
            max_size=4,
        )
    )
    for path, action, value in mutations:
        _set(document, path, action, value)
    extras = draw(st.dictionaries(text, odd_values, max_size=2))
    for key, value in extras.items():
        _set(document, (draw(st.sampled_from(["request", "session", "context"])), key), "", value)
    return document


def bodies(now: datetime) -> st.SearchStrategy[bytes]:
    """Request bodies: mostly odd envelopes, some not JSON objects at all."""
    envelopes = odd_envelopes(now).map(lambda doc: json.dumps(doc).encode())
    truncated = st.tuples(odd_envelopes(now), st.floats(0.0, 0.99)).map(
        lambda pair: (encoded := json.dumps(pair[0]).encode())[: int(len(encoded) * pair[1])]
    )
    not_objects = json_values.filter(lambda v: not isinstance(v, dict)).map(
        lambda v: json.dumps(v).encode()
    )
    deep = st.integers(60, 5_000).map(lambda n: b'{"a":' + b"[" * n + b"]" * n + b"}")
    garbage = st.binary(max_size=200)
    return st.one_of(
        envelopes, envelopes, envelopes, envelopes, truncated, not_objects, deep, garbage
    )


def check_answer(status: int, body: bytes) -> None:
    """Assert an answer is a response envelope (200) or the JSON error shape (400/413)."""
    assert status in (200, 400, 413), (status, body[:500])
    document = json.loads(body)
    assert isinstance(document, dict), body[:500]
    if status == 200:
        assert document.get("version") == "1.0", body[:500]
        response = document.get("response")
        assert isinstance(response, dict), body[:500]
        speech = response.get("outputSpeech")
        if speech is not None:
            assert speech.get("type") == "SSML" and speech["ssml"].startswith("<speak>"), speech
    else:
        assert document.get("status") == "error", body[:500]
        assert isinstance(document.get("error"), str), body[:500]
