"""The interaction models: consistent across locales, every intent handled, samples sound."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from envelopes import intent

from skill.handlers import request_handlers
from skill.model_build import MODEL_DIR
from skill.phrase_grammar import alexa_settings

ROOT = Path(__file__).resolve().parent.parent
LOCALES = tuple(alexa_settings().locales)
BUILT_IN_REQUIRED = {
    "AMAZON.HelpIntent",
    "AMAZON.StopIntent",
    "AMAZON.CancelIntent",
    "AMAZON.FallbackIntent",
    "AMAZON.NavigateHomeIntent",
}


def language_model(locale: str) -> dict[str, Any]:
    document = json.loads((MODEL_DIR / f"{locale}.json").read_text())
    model: dict[str, Any] = document["interactionModel"]["languageModel"]
    return model


class _Input:
    """Just enough of a HandlerInput for can_handle()."""

    def __init__(self, name: str) -> None:
        from ask_sdk_core.serialize import DefaultSerializer
        from ask_sdk_model import RequestEnvelope

        payload = intent(name, datetime.now(UTC))
        self.request_envelope = DefaultSerializer().deserialize(
            json.dumps(payload), RequestEnvelope
        )


def handlers_for(intent_name: str) -> list[str]:
    probe = _Input(intent_name)
    return [type(h).__name__ for h in request_handlers() if h.can_handle(probe)]


@pytest.mark.parametrize("locale", LOCALES)
def test_every_intent_has_a_handler(locale: str) -> None:
    for entry in language_model(locale)["intents"]:
        found = handlers_for(entry["name"])
        assert len(found) == 1, f"{entry['name']} is handled by {found}"


def test_every_intent_handler_has_an_intent_in_every_locale() -> None:
    for locale in LOCALES:
        names = {entry["name"] for entry in language_model(locale)["intents"]}
        probes = [_Input(name) for name in names]
        for handler in request_handlers():
            intent_based = type(handler).__name__ not in {
                "LaunchHandler",
                "SessionEndedHandler",
                "ExceptionEncounteredHandler",
                "CanFulfillHandler",
            }
            if intent_based:
                assert any(handler.can_handle(p) for p in probes), (
                    f"{type(handler).__name__} answers no intent of {locale}"
                )


def test_locales_have_the_same_intents_and_slots() -> None:
    def shape(locale: str) -> dict[str, list[tuple[str, str]]]:
        return {
            entry["name"]: sorted((s["name"], s["type"]) for s in entry.get("slots", []))
            for entry in language_model(locale)["intents"]
        }

    assert shape("en-US") == shape("en-GB")


@pytest.mark.parametrize("locale", LOCALES)
def test_required_built_ins_are_present(locale: str) -> None:
    names = {entry["name"] for entry in language_model(locale)["intents"]}
    assert names >= BUILT_IN_REQUIRED


@pytest.mark.parametrize("locale", LOCALES)
def test_no_sample_is_shared_between_intents(locale: str) -> None:
    owner: dict[str, str] = {}
    for entry in language_model(locale)["intents"]:
        for sample in entry.get("samples", []):
            key = " ".join(sample.lower().split())
            assert key not in owner, f"{sample!r} is in {owner.get(key)} and {entry['name']}"
            owner[key] = entry["name"]


@pytest.mark.parametrize("locale", LOCALES)
def test_custom_intents_have_many_natural_samples(locale: str) -> None:
    for entry in language_model(locale)["intents"]:
        if not entry["name"].startswith("AMAZON."):
            assert len(entry["samples"]) >= 10, entry["name"]


@pytest.mark.parametrize("locale", LOCALES)
def test_samples_use_only_declared_slots_and_valid_characters(locale: str) -> None:
    model = language_model(locale)
    types = {t["name"] for t in model.get("types", [])}
    for entry in model["intents"]:
        declared = {slot["name"] for slot in entry.get("slots", [])}
        for slot in entry.get("slots", []):
            assert slot["type"].startswith("AMAZON.") or slot["type"] in types
        used: set[str] = set()
        for sample in entry.get("samples", []):
            # Alexa rejects digits and most punctuation in samples.
            assert re.fullmatch(r"[A-Za-z' .{}-]+", sample), sample
            used |= set(re.findall(r"\{(\w+)\}", sample))
        assert used <= declared, entry["name"]
        # A slot no intent sample uses is one the skill only asks for (it has samples of its own).
        asked = {slot["name"] for slot in entry.get("slots", []) if slot.get("samples")}
        assert declared <= used | asked, f"{entry['name']} declares slots no sample uses"


@pytest.mark.parametrize("locale", LOCALES)
def test_slot_values_have_unique_ids_and_no_duplicate_words(locale: str) -> None:
    for kind in language_model(locale).get("types", []):
        ids = [value["id"] for value in kind["values"]]
        assert len(ids) == len(set(ids)), kind["name"]
        words: list[str] = []
        for value in kind["values"]:
            words += [
                value["name"]["value"].lower(),
                *(s.lower() for s in value["name"].get("synonyms", [])),
            ]
        assert len(words) == len(set(words)), kind["name"]


def test_slot_value_ids_are_the_ids_the_domain_uses() -> None:
    from routines import BodyArea, PainFlag, RunType
    from routines.routine import builtin_routines
    from skill.handlers.guidance import TOPIC_TITLES
    from skill.handlers.home import BATH_TYPES

    expected = {
        "BODY_AREA": {a.value for a in BodyArea},
        "RUN_TYPE": {r.value for r in RunType},
        "PAIN_SIGN": {p.value for p in PainFlag},
        "BATH_TYPE": set(BATH_TYPES),
        "ROUTINE_NAME": set(builtin_routines()),
    }
    for locale in LOCALES:
        for kind in language_model(locale)["types"]:
            ids = {value["id"] for value in kind["values"]}
            if kind["name"] == "RECOVERY_TOPIC":
                assert ids <= set(TOPIC_TITLES)
            elif kind["name"] in expected:
                assert ids == expected[kind["name"]], kind["name"]


def test_manifest_declares_can_fulfill_and_both_locales() -> None:
    manifest = json.loads((ROOT / "skill-package" / "skill.json").read_text())["manifest"]
    interfaces = manifest["apis"]["custom"]["interfaces"]
    assert {"type": "CAN_FULFILL_INTENT_REQUEST"} in interfaces
    assert set(manifest["publishingInformation"]["locales"]) == set(LOCALES)
    for locale in LOCALES:
        name = language_model(locale)["invocationName"]
        assert name == "recovery coach"
        for phrase in manifest["publishingInformation"]["locales"][locale]["examplePhrases"]:
            assert "recovery coach" in phrase
