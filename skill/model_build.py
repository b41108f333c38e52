"""Build the Alexa interaction models from the phrase grammar (`recovery-coach model build`).

Every template is expanded (alternatives, optionals, rules) into sample utterances whose list
references stay slots; each list becomes a slot type whose values carry the grammar's canonical
ids, and each `answers` entry becomes the samples of that slot, with the intent in the dialog
model so the skill can ask for it with Dialog.ElicitSlot.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hassil.expression import (
    Alternative,
    Expression,
    Group,
    ListReference,
    Permutation,
    RuleReference,
    Sentence,
    TextChunk,
)
from hassil.intents import RangeSlotList, TextSlotList, WildcardSlotList
from hassil.parse_expression import parse_sentence

from skill.errors import SkillError
from skill.phrase_grammar import GRAMMAR_DIR, AlexaSettings, Grammar, alexa_settings, load_grammar

MODEL_DIR = (
    Path(__file__).resolve().parent.parent / "skill-package" / "interactionModels" / "custom"
)
NUMBER = "AMAZON.NUMBER"
# Alexa's documented interaction-model limits, where we are nearest to them.
MAX_INTENTS = 250
MAX_SAMPLE_CHARS = 200
MAX_SLOT_VALUE_CHARS = 140
MAX_SLOT_VALUES = 50_000  # values and synonyms, all custom types together
MAX_SAMPLES = 200_000
# Our own budget, well inside Alexa's: a model this size still uploads and trains quickly.
MAX_MODEL_BYTES = 1_500_000
# Alexa takes letters, spaces, apostrophes and periods (for spoken initials) in samples, and no
# digits: "8 out of 10" is for the console; Alexa hears "eight out of ten".
SAMPLE_TEXT = re.compile(r"^[a-z' .]*$")
# An apostrophe belongs inside a word ("what's"); after a slot ("{area} 's") Alexa has no word.
LOOSE_APOSTROPHE = re.compile(r"(?:^|\s)'|'(?:\s|$)")
SLOT = re.compile(r"\{(\w+)\}")
# Two slots with only spaces between them: Alexa's simulator (virtual-alexa 0.7.8) cannot split
# them (each slot is a greedy wildcard), so such samples are left out; the grammar avoids them.
ADJACENT_SLOTS = re.compile(r"\}\s*\{")


class ModelBuildError(SkillError):
    """The grammar cannot become a valid Alexa model."""


@dataclass(frozen=True)
class _Slot:
    name: str
    list_name: str


Piece = str | _Slot


@dataclass
class BuildReport:
    """What a build left out, so the grammar's author can see it."""

    dropped: dict[str, int] = field(default_factory=dict)

    def drop(self, reason: str) -> None:
        """Count one expansion left out for a reason."""
        self.dropped[reason] = self.dropped.get(reason, 0) + 1


def expand(expression: Expression, rules: Mapping[str, Sentence]) -> Iterator[tuple[Piece, ...]]:
    """Yield every word sequence a template allows, list references kept as slots."""
    if isinstance(expression, TextChunk):
        yield (expression.original_text,) if expression.original_text else ()
    elif isinstance(expression, ListReference):
        prefix = (expression.prefix,) if expression.prefix else ()
        suffix = (expression.suffix,) if expression.suffix else ()
        yield (*prefix, _Slot(expression.slot_name, expression.list_name), *suffix)
    elif isinstance(expression, RuleReference):
        if expression.rule_name not in rules:
            raise ModelBuildError(f"unknown rule <{expression.rule_name}>")
        yield from expand(rules[expression.rule_name].expression, rules)
    elif isinstance(expression, Alternative):
        for item in expression.items:
            yield from expand(item, rules)
    elif isinstance(expression, Permutation):
        for order in itertools.permutations(expression.items):
            yield from _sequence(order, rules)
    elif isinstance(expression, Group):
        yield from _sequence(expression.items, rules)
    else:
        raise ModelBuildError(f"unsupported template part {expression!r}")


def _sequence(
    items: Sequence[Expression], rules: Mapping[str, Sentence]
) -> Iterator[tuple[Piece, ...]]:
    parts = [list(expand(item, rules)) for item in items]
    for combination in itertools.product(*parts):
        yield tuple(piece for part in combination for piece in part)


def render(pieces: Iterable[Piece]) -> tuple[str, tuple[_Slot, ...]]:
    """Write pieces as an Alexa sample; return it and its slots in order."""
    text: list[str] = []
    slots: list[_Slot] = []
    for piece in pieces:
        if isinstance(piece, _Slot):
            text.append(f" {{{piece.name}}} ")
            slots.append(piece)
        else:
            text.append(piece.lower().replace("\u2019", "'"))
    sample = " ".join("".join(text).split())
    return sample, tuple(slots)


def samples_of(
    templates: Iterable[Sentence],
    rules: Mapping[str, Sentence],
    report: BuildReport,
    *,
    bare_slot: bool = False,
) -> tuple[list[str], dict[str, str]]:
    """Expand templates into valid, distinct samples; return them and their slots' lists.

    A sample that is a slot alone ("{area}") is only taken as the answer to a question
    (bare_slot): as an intent's sample it would catch any word.
    """
    samples: dict[str, None] = {}
    slots: dict[str, str] = {}
    for template in templates:
        for pieces in expand(template.expression, rules):
            sample, used = render(pieces)
            if ADJACENT_SLOTS.search(sample):
                report.drop("two slots side by side")
            elif not SLOT.sub("", sample).strip() and not (bare_slot and len(used) == 1):
                report.drop("no words besides slots")
            elif not SAMPLE_TEXT.match(SLOT.sub("", sample)) or LOOSE_APOSTROPHE.search(sample):
                report.drop("digits or symbols (Alexa takes words only)")
            elif len(sample) > MAX_SAMPLE_CHARS:
                report.drop(f"longer than {MAX_SAMPLE_CHARS} characters")
            else:
                samples[sample] = None
                slots.update((slot.name, slot.list_name) for slot in used)
    return list(samples), slots


def slot_type_values(
    slot_list: TextSlotList, rules: Mapping[str, Sentence]
) -> list[dict[str, Any]]:
    """Turn a grammar list into Alexa slot values: one per id, every other wording a synonym."""
    by_id: dict[str, list[str]] = {}
    for value in slot_list.values:
        heard = [render(pieces)[0] for pieces in expand(value.text_in, rules)]
        key = str(value.value_out if value.value_out is not None else heard[0])
        words = by_id.setdefault(key, [])
        words.extend(word for word in heard if word and word not in words)
    seen: dict[str, str] = {}
    for key, words in by_id.items():
        for word in words:
            if seen.setdefault(word, key) != key:
                raise ModelBuildError(
                    f"{{{slot_list.name}}}: {word!r} names both {seen[word]} and {key}"
                )
    values = []
    for key, words in by_id.items():
        name, synonyms = words[0], words[1:]
        entry: dict[str, Any] = {"id": key, "name": {"value": name}}
        if synonyms:
            entry["name"]["synonyms"] = synonyms
        values.append(entry)
    return values


def _slot_type(name: str, grammar: Grammar, settings: AlexaSettings) -> str:
    if name in settings.slot_types:
        return settings.slot_types[name]
    slot_list = grammar.intents.slot_lists.get(name)
    if isinstance(slot_list, RangeSlotList):
        return NUMBER
    raise ModelBuildError(f"list {{{name}}} has no slot type in alexa.yaml")


def build_model(locale: str, directory: Path = GRAMMAR_DIR) -> tuple[dict[str, Any], BuildReport]:
    """Build one Alexa locale's interaction model from its grammar."""
    settings = alexa_settings(directory)
    grammar = load_grammar(locale, directory)
    rules = grammar.intents.expansion_rules
    report = BuildReport()
    intents: list[dict[str, Any]] = []
    used_lists: dict[str, None] = {}
    owner: dict[str, str] = {}
    names = [
        *grammar.intents.intents,
        *(i for i in settings.required_intents if i not in grammar.intents.intents),
    ]
    for name in names:
        templates = (
            [s for data in grammar.intents.intents[name].data for s in data.sentences]
            if name in grammar.intents.intents
            else []
        )
        samples, slot_lists = samples_of(templates, rules, report)
        if name.startswith("AMAZON."):
            # Alexa takes extra samples for built-ins but no slots.
            samples = [s for s in samples if not SLOT.search(s)]
            slot_lists = {}
        for sample in samples:
            if owner.setdefault(sample, name) != name:
                raise ModelBuildError(
                    f"{locale}: {sample!r} is a sample of both {owner[sample]} and {name}"
                )
        answers = grammar.document.get("answers", {}).get(name, {})
        answer_samples = {}
        for slot, texts in answers.items():
            answer_samples[slot], lists = samples_of(
                [parse_sentence(t) for t in texts], rules, report, bare_slot=True
            )
            slot_lists.update({k: v for k, v in lists.items() if k not in slot_lists})
        slots = []
        for slot, list_name in slot_lists.items():
            used_lists[list_name] = None
            entry: dict[str, Any] = {"name": slot, "type": _slot_type(list_name, grammar, settings)}
            if slot in answer_samples:
                entry["samples"] = answer_samples[slot]
            slots.append(entry)
        intent: dict[str, Any] = {"name": name, "slots": slots, "samples": samples}
        intents.append(intent)
    types = []
    for list_name in used_lists:
        slot_list = grammar.intents.slot_lists.get(list_name)
        if isinstance(slot_list, TextSlotList):
            types.append(
                {
                    "name": _slot_type(list_name, grammar, settings),
                    "values": slot_type_values(slot_list, rules),
                }
            )
        elif slot_list is None or not isinstance(slot_list, RangeSlotList | WildcardSlotList):
            raise ModelBuildError(f"{locale}: slot list {{{list_name}}} is not defined")
    dialog_intents = [
        {
            "name": intent["name"],
            "delegationStrategy": "SKILL_RESPONSE",
            "confirmationRequired": False,
            "prompts": {},
            "slots": [
                {
                    "name": s["name"],
                    "type": s["type"],
                    "elicitationRequired": False,
                    "confirmationRequired": False,
                    "prompts": {},
                }
                for s in intent["slots"]
            ],
        }
        for intent in intents
        if grammar.answer_slots(intent["name"])
    ]
    model: dict[str, Any] = {
        "interactionModel": {
            "languageModel": {
                "invocationName": settings.invocation,
                "intents": intents,
                "types": types,
            },
        }
    }
    if dialog_intents:
        model["interactionModel"]["dialog"] = {
            "intents": dialog_intents,
            "delegationStrategy": "SKILL_RESPONSE",
        }
    problems = limit_problems(model)
    if problems:
        raise ModelBuildError(f"{locale}: " + "; ".join(problems))
    return model, report


def limit_problems(model: Mapping[str, Any]) -> list[str]:
    """List where a model breaks Alexa's limits (or our size budget)."""
    language = model["interactionModel"]["languageModel"]
    problems = []
    if len(language["intents"]) > MAX_INTENTS:
        problems.append(f"{len(language['intents'])} intents (Alexa allows {MAX_INTENTS})")
    samples = sum(
        len(i["samples"]) + sum(len(s.get("samples", [])) for s in i["slots"])
        for i in language["intents"]
    )
    if samples > MAX_SAMPLES:
        problems.append(f"{samples} samples (Alexa allows {MAX_SAMPLES})")
    values = [
        w
        for t in language["types"]
        for v in t["values"]
        for w in [v["name"]["value"], *v["name"].get("synonyms", [])]
    ]
    if len(values) > MAX_SLOT_VALUES:
        problems.append(f"{len(values)} slot values and synonyms (Alexa allows {MAX_SLOT_VALUES})")
    problems += [
        f"slot value {w!r} is over {MAX_SLOT_VALUE_CHARS} characters"
        for w in values
        if len(w) > MAX_SLOT_VALUE_CHARS
    ]
    size = len(model_text(model).encode())
    if size > MAX_MODEL_BYTES:
        problems.append(f"the model is {size} bytes (our budget is {MAX_MODEL_BYTES})")
    return problems


def model_text(model: Mapping[str, Any]) -> str:
    """Serialise a model as it is committed: stable, one sample per line, no indentation."""
    return json.dumps(model, indent=0, ensure_ascii=False) + "\n"


def build_all(
    model_dir: Path = MODEL_DIR, *, check: bool = False, directory: Path = GRAMMAR_DIR
) -> list[str]:
    """Write (or with check, compare) every locale's model; return the stale or written files."""
    changed = []
    for locale in alexa_settings(directory).locales:
        model, _ = build_model(locale, directory)
        path = model_dir / f"{locale}.json"
        text = model_text(model)
        current = path.read_text("utf-8") if path.is_file() else None
        if current != text:
            changed.append(str(path))
            if not check:
                path.write_text(text, "utf-8")
    return changed
