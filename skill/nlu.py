"""Recognise a typed phrase with the phrase grammar, filling slots as Alexa would.

The console (`ask`, `chat`, the demo) hears with the same grammar the Alexa models are generated
from (skill/grammar/), through hassil's recogniser: filler words are skipped, a leading wake
phrase ("alexa ask recovery coach ...") is dropped, and a number or body area that fits nowhere
gets a question back instead of a guess.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from hassil import Intents, recognize_all
from hassil.expression import Expression, Group, ListReference, RuleReference, Sentence
from hassil.intents import RangeSlotList, TextSlotList
from hassil.recognize import RecognizeResult

from skill.intent_classifier import IntentClassifier
from skill.model_build import NUMBER, _Slot, expand, render
from skill.numbers import format_number, parse_duration, parse_number
from skill.phrase_grammar import ANSWER_SEPARATOR, Grammar, alexa_settings, load_grammar
from skill.slot_spotter import NOISE_LISTS, SlotSpotter, Spotted

FALLBACK = "AMAZON.FallbackIntent"
DURATION = "AMAZON.DURATION"
WRAPPERS = re.compile(
    r"^(?:(?:hey\s+)?alexa[\s,]+)?(?:(?:ask|tell|open|launch|start|use|talk to)\s+recovery coach"
    r"(?:\s+(?:to|that|if|for|about|and))?\s*)"
)
# How much less likely (log odds) an intent that can take every detail may be than the likeliest
# one that cannot, and still be chosen over asking back.
PLACE_MARGIN = 3.0
# Where a number goes, by the word after it; a bare number goes to the first of these it finds.
NUMBER_SLOTS: dict[str, tuple[str, ...]] = {
    "miles": ("miles",),
    "kilometers": ("kilometers",),
    "minutes": ("minutes", "duration"),
    "degrees": ("temperature",),
    "level": ("level",),
}
BARE_NUMBER_SLOTS = ("level", "minutes", "temperature")
ALEXA_ALONE = re.compile(r"^(?:hey\s+)?alexa[\s,]+")
_NUMBER_TOKEN = re.compile(r"\b\d+(?:\.\d+)?\b")


# Contractions typed without their apostrophe, as the grammar (and Alexa's speech recognition)
# spells them. Only words that are never anything else: "its", "id" and "well" stay as they are.
CONTRACTIONS = {
    "whats": "what's", "im": "i'm", "ive": "i've", "dont": "don't", "cant": "can't",
    "wont": "won't", "isnt": "isn't", "arent": "aren't", "doesnt": "doesn't", "didnt": "didn't",
    "shouldnt": "shouldn't", "wouldnt": "wouldn't", "couldnt": "couldn't", "thats": "that's",
    "theres": "there's", "hows": "how's", "wheres": "where's", "whens": "when's", "lets": "let's",
    "youre": "you're", "ill": "i'll", "wasnt": "wasn't", "havent": "haven't", "hasnt": "hasn't",
}  # fmt: skip


def _typed(text: str) -> str:
    # Keep apostrophes (the grammar writes "what's"), drop other punctuation as Alexa's ASR would.
    text = text.lower().replace("\u2019", "'")
    text = re.sub(r"[^\w\s.'-]", " ", text)
    text = re.sub(r"(?<!\w)[.'-]|[.-](?!\w)", " ", text)
    return " ".join(CONTRACTIONS.get(word, word) for word in text.split())


@dataclass(frozen=True)
class SlotValue:
    """A custom slot value: its canonical id and the name Alexa would report."""

    id: str
    name: str


@dataclass(frozen=True)
class ResolvedSlot:
    """A slot as Alexa would fill it: what was heard and, for custom types, what it means."""

    name: str
    value: str
    type: str
    resolved: SlotValue | None = None


@dataclass(frozen=True)
class Resolution:
    """The intent a phrase resolved to, its slots, and all the intent's slot types."""

    intent: str
    slots: Mapping[str, ResolvedSlot] = field(default_factory=dict)
    slot_types: Mapping[str, str] = field(default_factory=dict)
    launch: bool = False
    # Set when a detail could not be placed: the console asks this instead of guessing.
    question: str | None = None
    # Set when the phrase answered the skill's question for one slot (Dialog.ElicitSlot).
    answered: str | None = None


@dataclass(frozen=True)
class Expecting:
    """The slot the skill just asked for, and the intent (with its slots) it belongs to."""

    intent: str
    slot: str


class Recognizer:
    """One locale's grammar, ready to recognise phrases."""

    def __init__(self, grammar: Grammar) -> None:
        self.grammar = grammar
        settings = alexa_settings()
        lists = grammar.intents.slot_lists
        self._types: dict[str, str] = {
            name: settings.slot_types.get(name, NUMBER if isinstance(kind, RangeSlotList) else name)
            for name, kind in lists.items()
        }
        self._names = {
            name: self._value_names(kind)
            for name, kind in lists.items()
            if isinstance(kind, TextSlotList)
        }
        self.slot_types = {
            intent: {} if intent.startswith("AMAZON.") else self._intent_slots(intent)
            for intent in grammar.intents.intents
        }
        self._area_words = self._words_of("area")
        self._slot_lists = {intent: self._intent_lists(intent) for intent in self.slot_types}
        self._spotter = SlotSpotter(
            {
                name: self._words_of(name)
                for name, kind in lists.items()
                if isinstance(kind, TextSlotList)
            }
        )
        self._classifier = IntentClassifier(
            {intent: self._training(intent) for intent in grammar.intents.intents}
        )
        # A bare distance is in the locale's own unit ("I ran 6" is miles in the US).
        self._default_unit = "kilometers" if grammar.locale == "en-GB" else "miles"

    @classmethod
    def load(cls, locale: str) -> Recognizer:
        """Return the (cached) recogniser of an Alexa locale."""
        return _recognizer(locale)

    def resolve(self, phrase: str, expecting: Expecting | None = None) -> Resolution:
        """Find the intent and slots of a phrase; what fits nowhere goes to the fallback."""
        text = _typed(phrase)
        wrapped = WRAPPERS.match(text) or ALEXA_ALONE.match(text)
        if wrapped:
            text = text[wrapped.end() :].strip()
            if not text:
                return Resolution(intent="", launch=True)
        if expecting is not None:
            answer = self._answer(text, expecting)
            if answer is not None:
                return answer
        best = self._best(text, self.grammar.intents)
        if best is not None:
            return self._resolution(best.intent.name, best)
        return self._guess(text)

    def _guess(self, text: str) -> Resolution:
        """Place a phrase no template matched, as a statistical model would, or ask back."""
        skip = set(self.grammar.intents.skip_words)
        spotted = self._spotter.spot([w for w in text.split() if w not in skip])
        if not self._classifier.knows(spotted.tokens):
            return Resolution(FALLBACK, question=self._question(text))
        scores = self._classifier.scores(spotted.tokens)
        best = max(scores, key=lambda intent: scores[intent])
        fitting = [i for i in scores if self._place(i, spotted.details) is not None]
        if best not in fitting:
            # A detail the likeliest intent cannot take: ask, unless an intent that takes every
            # detail is nearly as likely.
            near = [i for i in fitting if scores[best] - scores[i] < PLACE_MARGIN]
            if not near:
                return Resolution(FALLBACK, question=self._question(text))
            best = max(near, key=lambda intent: scores[intent])
        slots = self._place(best, spotted.details) or {}
        if best.startswith("AMAZON."):
            slots = {}
        return Resolution(best, slots, self.slot_types.get(best, {}))

    def _place(self, intent: str, details: tuple[Spotted, ...]) -> dict[str, ResolvedSlot] | None:
        """Put each detail in the intent's slot for it; None if one has no slot there."""
        lists = self._slot_lists.get(intent, {})
        by_list: dict[str, list[str]] = {}
        for slot, list_name in lists.items():
            by_list.setdefault(list_name, []).append(slot)
        slots: dict[str, ResolvedSlot] = {}
        for detail in details:
            found = self._slot_for(detail, lists, by_list, slots)
            if found is None:
                if detail.list_name in ("number", "area"):
                    return None
                continue  # a topic word or sign that only colours the question
            slot = found
            kind = self.slot_types[intent][slot]
            if kind in (NUMBER, DURATION):
                value = detail.value
                if kind == DURATION and detail.list_name == "number":
                    value = f"PT{detail.value}M"
                slots[slot] = ResolvedSlot(slot, value, kind)
            else:
                name = self._names.get(detail.list_name, {}).get(detail.value, detail.value)
                slots[slot] = ResolvedSlot(slot, detail.heard, kind, SlotValue(detail.value, name))
        return slots

    def _slot_for(
        self,
        detail: Spotted,
        lists: Mapping[str, str],
        by_list: Mapping[str, list[str]],
        taken: Mapping[str, ResolvedSlot],
    ) -> str | None:
        if detail.list_name == "number":
            wanted = NUMBER_SLOTS.get(detail.unit or "", ())
            if detail.unit is None:
                wanted = (self._default_unit, *BARE_NUMBER_SLOTS)
            candidates = [s for s in wanted if s in lists]
        else:
            candidates = list(by_list.get(detail.list_name, ()))
        free = [s for s in candidates if s not in taken]
        return free[0] if free else None

    def _answer(self, text: str, expecting: Expecting) -> Resolution | None:
        prefix = f"{expecting.intent}{ANSWER_SEPARATOR}"
        best = self._best(text, self.grammar.answers, lambda name: name.startswith(prefix))
        if best is None:
            return None
        slot = best.intent.name[len(prefix) :]
        return self._resolution(expecting.intent, best, answered=slot)

    def _best(self, text: str, intents: Intents, keep: Any = None) -> RecognizeResult | None:
        results = []
        for result in recognize_all(
            text,
            intents,
            skip_words=intents.skip_words,
            language=self.grammar.intents.language,
        ):
            if keep is not None and not keep(result.intent.name):
                continue
            if any(
                e.is_wildcard and parse_duration(str(e.value)) is None for e in result.entities_list
            ):
                continue  # a wildcard is only ever a duration, and this one is not
            results.append(result)
        if not results:
            return None
        return min(results, key=_score)

    def _resolution(
        self, intent: str, result: RecognizeResult, answered: str | None = None
    ) -> Resolution:
        slots: dict[str, ResolvedSlot] = {}
        for entity in result.entities_list:
            list_name = self._list_of(entity.name, result)
            kind = self._types.get(list_name, list_name)
            if kind == NUMBER:
                slots[entity.name] = ResolvedSlot(
                    entity.name, format_number(float(entity.value)), kind
                )
            elif kind == DURATION:
                iso = parse_duration(str(entity.value)) or ""
                slots[entity.name] = ResolvedSlot(entity.name, iso, kind)
            else:
                key = str(entity.value)
                name = self._names.get(list_name, {}).get(key, key)
                heard = str(entity.text or entity.value).strip()
                slots[entity.name] = ResolvedSlot(entity.name, heard, kind, SlotValue(key, name))
        if intent.startswith("AMAZON."):
            slots = {}  # as in the Alexa model: built-ins take samples but no slots
        return Resolution(intent, slots, self.slot_types.get(intent, {}), answered=answered)

    def _list_of(self, slot: str, result: RecognizeResult) -> str:
        sentence = result.intent_sentence
        if sentence is not None:
            rules = self.grammar.intents.expansion_rules
            for reference in _references(sentence.expression, rules):
                if reference.slot_name == slot:
                    return reference.list_name
        return slot

    def _intent_slots(self, intent: str) -> dict[str, str]:
        rules = self.grammar.intents.expansion_rules
        slots: dict[str, str] = {}
        for data in self.grammar.intents.intents[intent].data:
            for sentence in data.sentences:
                for reference in _references(sentence.expression, rules):
                    kind = self._types.get(reference.list_name, reference.list_name)
                    slots.setdefault(reference.slot_name, kind)
        for slot in self.grammar.answer_slots(intent):
            slots.setdefault(slot, self._types.get(slot, slot))
        return slots

    def _intent_lists(self, intent: str) -> dict[str, str]:
        rules = self.grammar.intents.expansion_rules
        lists: dict[str, str] = {}
        for data in self.grammar.intents.intents[intent].data:
            for sentence in data.sentences:
                for reference in _references(sentence.expression, rules):
                    lists.setdefault(reference.slot_name, reference.list_name)
        return lists

    def _training(self, intent: str) -> list[list[list[str]]]:
        """Every template of an intent as its expansions' words, details as placeholders."""
        rules = self.grammar.intents.expansion_rules
        lists = self.grammar.intents.slot_lists
        templates = []
        for data in self.grammar.intents.intents[intent].data:
            for sentence in data.sentences:
                expansions = []
                for pieces in expand(sentence.expression, rules):
                    tokens: list[str] = []
                    for piece in pieces:
                        if isinstance(piece, _Slot):
                            if piece.list_name in NOISE_LISTS:
                                continue
                            kind = lists.get(piece.list_name)
                            tokens.append(
                                "{number}"
                                if isinstance(kind, RangeSlotList)
                                else f"{{{piece.list_name}}}"
                            )
                        else:
                            tokens.extend(piece.lower().split())
                    expansions.append(tokens)
                templates.append(expansions)
        return templates

    def _value_names(self, kind: TextSlotList) -> dict[str, str]:
        rules = self.grammar.intents.expansion_rules
        names: dict[str, str] = {}
        for value in kind.values:
            heard = render(next(iter(expand(value.text_in, rules))))[0]
            names.setdefault(str(value.value_out if value.value_out is not None else heard), heard)
        return names

    def _words_of(self, list_name: str) -> dict[str, str]:
        kind = self.grammar.intents.slot_lists.get(list_name)
        if not isinstance(kind, TextSlotList):
            return {}
        rules = self.grammar.intents.expansion_rules
        words: dict[str, str] = {}
        for value in kind.values:
            for pieces in expand(value.text_in, rules):
                words[render(pieces)[0]] = str(value.value_out)
        return words

    def _question(self, text: str) -> str | None:
        padded = f" {text} "
        area = next(
            (
                word
                for word in sorted(self._area_words, key=len, reverse=True)
                if f" {word} " in padded
            ),
            None,
        )
        number = _NUMBER_TOKEN.search(text)
        spoken = None if number else _spoken_number(text)
        if area:
            return (
                f"I heard {area}, but not what you'd like me to do. Is it sore, is it a pain, "
                "or do you want to know about ice or heat for it?"
            )
        if number or spoken:
            heard = number.group() if number else spoken
            return (
                f"I heard {heard}, but not what it was. Was it how far you ran, minutes of heat, "
                "or how sore you are out of ten?"
            )
        return None


def _spoken_number(text: str) -> str | None:
    words = text.split()
    for size in (3, 2, 1):
        for start in range(len(words) - size + 1):
            chunk = " ".join(words[start : start + size])
            if chunk not in ("a", "an") and parse_number(chunk) is not None:
                return chunk
    return None


def _references(expression: Expression, rules: Mapping[str, Sentence]) -> list[ListReference]:
    if isinstance(expression, ListReference):
        return [expression]
    if isinstance(expression, RuleReference) and expression.rule_name in rules:
        return _references(rules[expression.rule_name].expression, rules)
    if isinstance(expression, Group):
        return [ref for item in expression.items for ref in _references(item, rules)]
    return []


def _score(result: RecognizeResult) -> tuple[int, int, int, str]:
    # Most literal words first; then the parse with the most slots filled from lists (a detail
    # placed beats a detail swallowed); then fewer wildcards; the name keeps ties deterministic.
    wildcards = sum(1 for e in result.entities_list if e.is_wildcard)
    return (-result.text_chunks_matched, -len(result.entities_list), wildcards, result.intent.name)


@cache
def _recognizer(locale: str) -> Recognizer:
    return Recognizer(load_grammar(locale))
