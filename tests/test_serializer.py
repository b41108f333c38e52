"""The envelope serializer builds the same models as ask-sdk's default, without its detours."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope
from envelopes import intent

from skill.serializer import EnvelopeSerializer


def test_envelopes_match_the_default_deserializer() -> None:
    payload = intent(
        "LogRunIntent",
        datetime(2026, 11, 25, 7, 30, 12, tzinfo=UTC),
        {"distance": {"name": "distance", "value": "10"}},
    )
    ours = EnvelopeSerializer().envelope(payload)
    theirs = DefaultSerializer().deserialize(json.dumps(payload), RequestEnvelope)
    assert ours == theirs
    assert ours.request.timestamp == datetime(2026, 11, 25, 7, 30, 12, tzinfo=UTC)


def test_unusual_timestamps_still_parse_the_default_way() -> None:
    payload = intent("AMAZON.HelpIntent", datetime(2026, 11, 25, tzinfo=UTC))
    payload["request"]["timestamp"] = "Wed, 25 Nov 2026 07:30:00 +0000"
    envelope = EnvelopeSerializer().envelope(payload)
    assert envelope.request.timestamp == datetime(2026, 11, 25, 7, 30, tzinfo=UTC)
