"""Resolve a typed phrase against our interaction model, roughly as Alexa would."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skill.errors import SkillError
from skill.numbers import (
    ARTICLES,
    TENS,
    UNITS,
    format_number,
    parse_duration,
    parse_number,
)

MODEL_DIR = (
    Path(__file__).resolve().parent.parent / "skill-package" / "interactionModels" / "custom"
)
FALLBACK = "AMAZON.FallbackIntent"
# Fuzzy matches below this word overlap go to the fallback intent (Alexa's out-of-domain model).
MIN_OVERLAP = 0.6
BUILT_IN_SAMPLES: dict[str, tuple[str, ...]] = {
    "AMAZON.YesIntent": ("yes", "yeah", "yep", "sure", "yes please", "ok", "okay", "please do",
                         "go on", "tell me more", "more"),
    "AMAZON.NoIntent": ("no", "nope", "no thanks", "no thank you", "not now"),
    "AMAZON.HelpIntent": ("help", "help me", "what can you do", "what can i say"),
    "AMAZON.StopIntent": ("stop", "quit", "exit", "goodbye", "bye", "shut up", "be quiet"),
    "AMAZON.CancelIntent": ("cancel", "never mind", "forget it"),
    "AMAZON.NavigateHomeIntent": ("go home",),
    "AMAZON.NextIntent": ("next", "next one", "next stretch", "skip", "skip this one"),
    "AMAZON.PreviousIntent": ("previous", "go back", "back", "previous stretch", "last one"),
    "AMAZON.RepeatIntent": ("repeat", "again", "repeat that", "say that again", "one more time"),
    "AMAZON.PauseIntent": ("pause", "hold on", "wait", "pause my stretches"),
    "AMAZON.ResumeIntent": ("resume", "continue", "carry on", "keep going"),
    "AMAZON.StartOverIntent": ("start over", "restart", "from the top", "start again"),
}  # fmt: skip
WRAPPERS = re.compile(
    r"^(?:alexa\s+)?(?:(?:ask|tell|open|launch|start|use)\s+recovery coach"
    r"(?:\s+(?:to|that|if|for|about))?\s*)"
)
NUMBER_TYPES = frozenset({"AMAZON.NUMBER"})
_NUMBER_WORD = "|".join(
    [r"\d+(?:\.\d+)?", *sorted([*UNITS, *TENS, "hundred", "thousand"], key=len, reverse=True)]
)
NUMBER_PATTERN = rf"(?:{_NUMBER_WORD})(?: (?:{_NUMBER_WORD}|and|point))*"
DURATION_TYPES = frozenset({"AMAZON.DURATION"})


def _literal_pattern(word: str) -> str:
    # Samples spell numbers out ("out of ten"), since Alexa rejects digits in them, but a typed
    # phrase may use digits ("8 out of 10"); articles ("a", "an") are never digits.
    number = TENS.get(word, UNITS.get(word))
    if number is None or word in ARTICLES:
        return re.escape(word)
    return f"(?:{re.escape(word)}|{number})"


class ModelError(SkillError):
    """The interaction model file is missing or malformed."""


def normalize(text: str) -> str:
    """Lower-case a phrase and keep only words, digits and dots inside words ("can't" = "cant")."""
    text = re.sub(r"['\u2019]", "", text.lower())
    text = re.sub(r"[^\w\s.-]", " ", text)
    text = re.sub(r"(?<!\w)[.-]|[.-](?!\w)", " ", text)
    return " ".join(text.split())


@dataclass(frozen=True)
class SlotValue:
    """A custom slot value with the words that name it."""

    id: str
    name: str
    words: frozenset[str]


@dataclass(frozen=True)
class ResolvedSlot:
    """A slot as Alexa would fill it: what was heard and, for custom types, what it means."""

    name: str
    value: str
    type: str
    resolved: SlotValue | None = None

    @property
    def matched(self) -> bool:
        """Tell whether the value is one the slot type knows."""
        return self.resolved is not None or self.type.startswith("AMAZON.")


@dataclass(frozen=True)
class Resolution:
    """The intent a phrase resolved to, its slots, and all the intent's slot names."""

    intent: str
    slots: Mapping[str, ResolvedSlot] = field(default_factory=dict)
    slot_types: Mapping[str, str] = field(default_factory=dict)
    launch: bool = False


@dataclass(frozen=True)
class _Sample:
    intent: str
    pattern: re.Pattern[str]
    literal_words: int
    words: frozenset[str]


class InteractionModel:
    """One locale's interaction model, ready to resolve phrases."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        try:
            language = document["interactionModel"]["languageModel"]
            self.invocation_name = str(language["invocationName"])
            self.intents: dict[str, dict[str, str]] = {
                intent["name"]: {slot["name"]: slot["type"] for slot in intent.get("slots", [])}
                for intent in language["intents"]
            }
            self.types: dict[str, list[SlotValue]] = {
                kind["name"]: [
                    SlotValue(
                        id=value.get("id") or value["name"]["value"],
                        name=value["name"]["value"],
                        words=frozenset(
                            normalize(w)
                            for w in [value["name"]["value"], *value["name"].get("synonyms", [])]
                        ),
                    )
                    for value in kind["values"]
                ]
                for kind in language.get("types", [])
            }
            self._samples = [
                self._compile(intent["name"], sample)
                for intent in language["intents"]
                for sample in [
                    *intent.get("samples", []),
                    *BUILT_IN_SAMPLES.get(intent["name"], ()),
                ]
            ]
        except (KeyError, TypeError) as exc:
            raise ModelError(f"malformed interaction model: missing {exc}") from exc

    @classmethod
    def load(cls, locale: str, model_dir: Path = MODEL_DIR) -> InteractionModel:
        """Read the model file of one locale."""
        path = model_dir / f"{locale}.json"
        try:
            return cls(json.loads(path.read_text("utf-8")))
        except OSError as exc:
            raise ModelError(f"no interaction model for {locale} at {path}") from exc
        except ValueError as exc:
            raise ModelError(f"{path} is not valid JSON: {exc}") from exc

    def resolve(self, phrase: str) -> Resolution:
        """Find the intent and slots for a phrase; unplaceable phrases go to the fallback."""
        text = normalize(phrase)
        wrapped = WRAPPERS.match(text)
        if wrapped:
            text = text[wrapped.end() :].strip()
            if not text:
                return Resolution(intent="", launch=True)
        best: tuple[int, int, Resolution] | None = None
        for sample in self._samples:
            match = sample.pattern.fullmatch(text)
            if match is None:
                continue
            slots = self._fill(sample.intent, match.groupdict())
            if slots is None:
                continue
            rank = (sample.literal_words, -len(slots))
            if best is None or rank > best[:2]:
                best = (*rank, Resolution(sample.intent, slots, self.intents[sample.intent]))
        if best is not None:
            return best[2]
        return self._closest(text)

    def _compile(self, intent: str, sample: str) -> _Sample:
        # Each slot only matches what its type accepts, so the regex backtracks into valid fills.
        pattern: list[str] = []
        literal: list[str] = []
        for piece in re.split(r"(\{\w+\})", sample):
            slot = re.fullmatch(r"\{(\w+)\}", piece)
            if slot:
                name = slot.group(1)
                pattern.append(f"(?P<{name}>{self._slot_pattern(self.intents[intent][name])})")
                continue
            words = normalize(piece).split()
            literal.extend(words)
            pattern.extend(_literal_pattern(word) for word in words)
        return _Sample(intent, re.compile(" ".join(pattern)), len(literal), frozenset(literal))

    def _slot_pattern(self, kind: str) -> str:
        if kind in NUMBER_TYPES:
            return NUMBER_PATTERN
        if kind in self.types:
            words = sorted({w for v in self.types[kind] for w in v.words}, key=len, reverse=True)
            return "|".join(re.escape(word) for word in words)
        return ".+?"

    def _fill(self, intent: str, captured: Mapping[str, str]) -> dict[str, ResolvedSlot] | None:
        slots: dict[str, ResolvedSlot] = {}
        for name, heard in captured.items():
            kind = self.intents[intent][name]
            if kind in NUMBER_TYPES:
                number = parse_number(heard)
                if number is None:
                    return None
                slots[name] = ResolvedSlot(name, format_number(number), kind)
            elif kind in DURATION_TYPES:
                duration = parse_duration(heard)
                if duration is None:
                    return None
                slots[name] = ResolvedSlot(name, duration, kind)
            else:
                value = next((v for v in self.types.get(kind, []) if heard in v.words), None)
                if value is None:
                    return None
                slots[name] = ResolvedSlot(name, heard, kind, value)
        return slots

    def _closest(self, text: str) -> Resolution:
        words = frozenset(text.split())
        best_score, best_intent = 0.0, FALLBACK
        for sample in self._samples:
            if not sample.words:
                continue
            score = len(words & sample.words) / len(words | sample.words)
            if score > best_score:
                best_score, best_intent = score, sample.intent
        if best_score < MIN_OVERLAP:
            best_intent = FALLBACK
        return Resolution(best_intent, {}, self.intents.get(best_intent, {}))
