"""An Alexa request simulator for tests, independent of the skill's own phrase resolver.

It reads the ASK CLI interaction model, matches an utterance to a sample by backtracking over
words (slots take one to five words), fills slots the way Alexa reports them (entity resolution
for custom types, digits for AMAZON.NUMBER, ISO 8601 for AMAZON.DURATION) and builds request
envelopes from scratch, keeping the session between turns.
"""

from __future__ import annotations

import json
import re
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SMALL_NUMBERS = {
    word: value
    for value, word in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
}
DURATION_UNIT = {"minute": "M", "minutes": "M", "hour": "H", "hours": "H"}
BUILT_INS = {
    "yes": "AMAZON.YesIntent",
    "no": "AMAZON.NoIntent",
    "help": "AMAZON.HelpIntent",
    "stop": "AMAZON.StopIntent",
    "cancel": "AMAZON.CancelIntent",
}


def words_of(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9' ]", " ", text.lower()).replace("'", "").split()


@dataclass
class Simulator:
    model_file: Path
    endpoint: str
    skill_id: str = "amzn1.ask.skill.simulator"
    user_id: str = "amzn1.ask.account.SIMULATED"
    locale: str = "en-US"
    session_id: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        language = json.loads(self.model_file.read_text())["interactionModel"]["languageModel"]
        self.intents = language["intents"]
        self.values: dict[str, list[tuple[str, str, set[str]]]] = {}
        for kind in language.get("types", []):
            self.values[kind["name"]] = [
                (
                    v.get("id", v["name"]["value"]),
                    v["name"]["value"],
                    {
                        " ".join(words_of(w))
                        for w in [v["name"]["value"], *v["name"].get("synonyms", [])]
                    },
                )
                for v in kind["values"]
            ]

    # --- understanding --------------------------------------------------------------------

    def understand(self, utterance: str) -> tuple[str, dict[str, Any]]:
        spoken = words_of(utterance)
        if " ".join(spoken) in BUILT_INS:
            return BUILT_INS[" ".join(spoken)], {}
        for intent in self.intents:
            types = {slot["name"]: slot["type"] for slot in intent.get("slots", [])}
            for sample in intent.get("samples", []):
                tokens = re.findall(r"\{\w+\}|[^\s{}]+", sample)
                pattern = [t if t.startswith("{") else " ".join(words_of(t)) for t in tokens]
                pattern = [t for t in pattern if t]
                filled = self._match(pattern, spoken, types)
                if filled is not None:
                    slots = {name: {"name": name, "confirmationStatus": "NONE"} for name in types}
                    slots.update(filled)
                    return intent["name"], slots
        return "AMAZON.FallbackIntent", {}

    def _match(
        self, pattern: list[str], spoken: list[str], types: dict[str, str]
    ) -> dict[str, Any] | None:
        if not pattern:
            return {} if not spoken else None
        head, rest = pattern[0], pattern[1:]
        if not head.startswith("{"):
            if spoken and spoken[0] == head:
                return self._match(rest, spoken[1:], types)
            return None
        name = head[1:-1]
        for length in range(1, min(5, len(spoken)) + 1):
            slot = self._fill(name, types[name], " ".join(spoken[:length]))
            if slot is None:
                continue
            tail = self._match(rest, spoken[length:], types)
            if tail is not None:
                return {name: slot, **tail}
        return None

    def _fill(self, name: str, kind: str, heard: str) -> dict[str, Any] | None:
        base = {"name": name, "value": heard, "confirmationStatus": "NONE"}
        if kind == "AMAZON.NUMBER":
            if heard.isdigit():
                return base
            if heard in SMALL_NUMBERS:
                return {**base, "value": str(SMALL_NUMBERS[heard])}
            return None
        if kind == "AMAZON.DURATION":
            parts = heard.split()
            if len(parts) == 2 and parts[0].isdigit() and parts[1] in DURATION_UNIT:
                unit = DURATION_UNIT[parts[1]]
                return {**base, "value": f"PT{parts[0]}{unit}"}
            return None
        for value_id, value_name, words in self.values.get(kind, []):
            if heard in words:
                authority = f"amzn1.er-authority.echo-sdk.{self.skill_id}.{kind}"
                return {
                    **base,
                    "resolutions": {
                        "resolutionsPerAuthority": [
                            {
                                "authority": authority,
                                "status": {"code": "ER_SUCCESS_MATCH"},
                                "values": [{"value": {"name": value_name, "id": value_id}}],
                            }
                        ]
                    },
                }
        return None

    # --- talking ------------------------------------------------------------------------

    def say(self, utterance: str) -> dict[str, Any]:
        name, slots = self.understand(utterance)
        request = {
            "type": "IntentRequest",
            "dialogState": "COMPLETED",
            "intent": {"name": name, "confirmationStatus": "NONE", "slots": slots},
        }
        return self.send(request)

    def send(self, request: dict[str, Any]) -> dict[str, Any]:
        new = self.session_id is None
        self.session_id = self.session_id or f"SessionId.{uuid.uuid4()}"
        application = {"applicationId": self.skill_id}
        user = {"userId": self.user_id}
        envelope = {
            "version": "1.0",
            "session": {
                "new": new,
                "sessionId": self.session_id,
                "application": application,
                "attributes": self.attributes,
                "user": user,
            },
            "context": {
                "System": {
                    "application": application,
                    "user": user,
                    "device": {"deviceId": "sim-device", "supportedInterfaces": {}},
                    "apiEndpoint": "https://api.amazonalexa.com",
                }
            },
            "request": {
                **request,
                "requestId": f"EdwRequestId.{uuid.uuid4()}",
                "locale": self.locale,
                "timestamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            },
        }
        post = urllib.request.Request(
            self.endpoint,
            data=json.dumps(envelope).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(post, timeout=10) as reply:
            answer: dict[str, Any] = json.loads(reply.read())
        self.attributes = answer.get("sessionAttributes") or {}
        if answer["response"].get("shouldEndSession") is not False:
            self.session_id, self.attributes = None, {}
        return answer


def spoken(answer: dict[str, Any]) -> str:
    ssml = answer["response"].get("outputSpeech", {}).get("ssml", "")
    text = re.sub(r"<[^>]+>", " ", ssml)
    return " ".join(
        text.replace("&apos;", "'").replace("&quot;", '"').replace("&amp;", "&").split()
    )
