"""Check a response against Alexa's output limits, as a test helper rather than by eye."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

MAX_SPEECH_CHARS = 8000
MAX_BREAK_SECONDS = 10.0
WORDS_PER_SECOND = 2.5  # a generous speaking rate estimate for the audio-length limit
MAX_AUDIO_SECONDS = 240.0


def break_seconds(element: ET.Element) -> float:
    value = element.get("time", "0s")
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s)", value)
    assert match, f"bad break time {value!r}"
    amount = float(match.group(1))
    return amount / 1000 if match.group(2) == "ms" else amount


def check_ssml(ssml: str) -> str:
    """Assert the SSML is well-formed and within limits; return the spoken text."""
    assert len(ssml) < MAX_SPEECH_CHARS, f"speech is {len(ssml)} characters"
    root = ET.fromstring(ssml)  # raises on unescaped & < > or broken tags
    assert root.tag == "speak"
    pauses = 0.0
    for element in root.iter("break"):
        seconds = break_seconds(element)
        assert seconds <= MAX_BREAK_SECONDS, f"break of {seconds}s"
        pauses += seconds
    text = " ".join("".join(root.itertext()).split())
    assert pauses + len(text.split()) / WORDS_PER_SECOND <= MAX_AUDIO_SECONDS
    return text


def check_response(envelope: dict[str, Any]) -> None:
    """Assert every speech in a response envelope respects the limits."""
    response = envelope.get("response", {})
    for key in ("outputSpeech",):
        speech = response.get(key)
        if speech and speech.get("type") == "SSML":
            check_ssml(speech["ssml"])
    reprompt = (response.get("reprompt") or {}).get("outputSpeech")
    if reprompt and reprompt.get("type") == "SSML":
        check_ssml(reprompt["ssml"])
