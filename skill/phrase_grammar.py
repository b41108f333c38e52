"""Load the phrase grammar: Assist (hassil) templates per locale, the source of every phrasing.

The grammar is data in skill/grammar/: `en.yaml` holds what every English locale shares and
`en-US.yaml` / `en-GB.yaml` add what differs; hassil merges them in that order (lists extend).
Besides hassil's own keys, the files carry `answers`: for an intent's slot, the templates of a bare
answer to the skill's question for it ("about six miles" after "How far did you run?").
`alexa.yaml` says how the grammar becomes Alexa models (skill/model_build.py).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from hassil import Intents
from hassil.util import merge_dict

from skill.errors import SkillError

GRAMMAR_DIR = Path(__file__).resolve().parent / "grammar"
SHARED = "en"
ALEXA_FILE = "alexa.yaml"
# An answer's pseudo-intent is "<intent>.<slot>" (intent names never hold a dot).
ANSWER_SEPARATOR = "."


class GrammarError(SkillError):
    """The grammar files are missing or malformed."""


@dataclass(frozen=True)
class AlexaSettings:
    """What the Alexa models need beyond the phrasings."""

    locales: Mapping[str, str]
    invocation: str
    slot_types: Mapping[str, str]
    required_intents: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.locales or not self.invocation.strip():
            raise GrammarError(f"{ALEXA_FILE} needs locales and an invocation name")


@dataclass(frozen=True)
class Grammar:
    """One locale's grammar: the intents' templates and the answers to the skill's questions."""

    locale: str
    document: Mapping[str, Any]
    intents: Intents
    answers: Intents

    def answer_slots(self, intent: str) -> tuple[str, ...]:
        """Return the slots of an intent the skill can ask for on their own."""
        return tuple(self.document.get("answers", {}).get(intent, {}))


def read_yaml(path: Path) -> dict[str, Any]:
    """Read one grammar file as a mapping."""
    try:
        document = yaml.safe_load(path.read_text("utf-8"))
    except OSError as exc:
        raise GrammarError(f"cannot read {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise GrammarError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(document, dict):
        raise GrammarError(f"{path}: expected a mapping at the top")
    return document


@cache
def alexa_settings(directory: Path = GRAMMAR_DIR) -> AlexaSettings:
    """Read alexa.yaml."""
    document = read_yaml(directory / ALEXA_FILE)
    try:
        return AlexaSettings(
            locales=dict(document["locales"]),
            invocation=str(document["invocation"]),
            slot_types=dict(document.get("slot_types") or {}),
            required_intents=tuple(document.get("required_intents") or ()),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise GrammarError(f"{directory / ALEXA_FILE}: malformed ({exc})") from exc


def grammar_locale(locale: str, directory: Path = GRAMMAR_DIR) -> str:
    """Return the grammar locale an Alexa locale is built from (en-CA -> en-US)."""
    locales = alexa_settings(directory).locales
    if locale not in locales:
        raise GrammarError(f"no grammar for locale {locale!r}; known: {', '.join(locales)}")
    return locales[locale]


def merged_document(locale: str, directory: Path = GRAMMAR_DIR) -> dict[str, Any]:
    """Merge the shared file and the locale's file, as hassil merges them."""
    document: dict[str, Any] = {}
    for name in (SHARED, grammar_locale(locale, directory)):
        merge_dict(document, read_yaml(directory / f"{name}.yaml"))
    return document


@cache
def load_grammar(locale: str, directory: Path = GRAMMAR_DIR) -> Grammar:
    """Load (once per process) the grammar an Alexa locale is built from."""
    document = merged_document(locale, directory)
    answers = copy.deepcopy(document)
    answers["intents"] = {
        f"{intent}{ANSWER_SEPARATOR}{slot}": {"data": [{"sentences": list(templates)}]}
        for intent, slots in (document.get("answers") or {}).items()
        for slot, templates in slots.items()
    }
    try:
        return Grammar(
            grammar_locale(locale, directory),
            document,
            Intents.from_dict(document),
            Intents.from_dict(answers),
        )
    except (KeyError, TypeError, ValueError, AssertionError) as exc:
        raise GrammarError(f"grammar for {locale} does not parse: {exc}") from exc
