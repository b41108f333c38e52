"""The Alexa models are generated from the phrase grammar, current, and inside Alexa's limits."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from skill.cli import main
from skill.model_build import (
    MAX_SAMPLE_CHARS,
    MODEL_DIR,
    ModelBuildError,
    build_all,
    build_model,
    limit_problems,
)
from skill.phrase_grammar import GRAMMAR_DIR, alexa_settings

LOCALES = list(alexa_settings().locales)
SMALL = {
    "language": "en",
    "intents": {
        "LogRunIntent": {
            "data": [
                {
                    "sentences": [
                        "[{lead}] i (ran|did) {miles} <miles> [{when}]",
                        "i ran (8|eight) miles",
                        "{lead} {when}",
                    ]
                }
            ]
        },
        "AMAZON.YesIntent": {"data": [{"sentences": ["(yes|yeah) [please]", "{lead} yes"]}]},
    },
    "lists": {
        "miles": {"range": {"from": 0, "to": 300, "fractions": "tenths"}},
        "when": {
            "values": [
                {"in": "this morning", "out": "this_morning"},
                {"in": "(yesterday|last night)", "out": "yesterday"},
            ]
        },
        "lead": {"values": ["um", "so"]},
    },
    "expansion_rules": {"miles": "(mile|miles)"},
    "answers": {"LogRunIntent": {"miles": ["[about] {miles} <miles>", "{miles}"]}},
}


@pytest.fixture
def small_grammar(tmp_path: Path) -> Path:
    shutil.copy(GRAMMAR_DIR / "alexa.yaml", tmp_path / "alexa.yaml")
    (tmp_path / "en.yaml").write_text(yaml.safe_dump(SMALL))
    for locale in ("en-US", "en-GB"):
        (tmp_path / f"{locale}.yaml").write_text("language: en\n")
    return tmp_path


def _intent(model: dict[str, object], name: str) -> dict[str, object]:
    language = model["interactionModel"]["languageModel"]  # type: ignore[index]
    return next(i for i in language["intents"] if i["name"] == name)  # type: ignore[no-any-return]


def test_templates_expand_into_samples_with_slots(small_grammar: Path) -> None:
    model, report = build_model("en-US", small_grammar)
    log = _intent(model, "LogRunIntent")
    assert set(log["samples"]) == {  # type: ignore[arg-type]
        f"{lead}i {verb} {{miles}} {unit}{when}"
        for lead in ("", "{lead} ")
        for verb in ("ran", "did")
        for unit in ("mile", "miles")
        for when in ("", " {when}")
    } | {"i ran eight miles"}
    # "8 miles" is for the console (Alexa takes no digits); "{lead} {when}" is two slots alone.
    assert report.dropped == {
        "digits or symbols (Alexa takes words only)": 1,
        "two slots side by side": 1,
    }
    slots = {s["name"]: s for s in log["slots"]}  # type: ignore[attr-defined, index]
    assert {name: s["type"] for name, s in slots.items()} == {
        "lead": "LEAD_IN",
        "miles": "AMAZON.NUMBER",
        "when": "WHEN",
    }
    # The answer to "How far did you run?" is the slot's own samples, a bare number included.
    assert slots["miles"]["samples"][-1] == "{miles}"
    assert "about {miles} miles" in slots["miles"]["samples"]


def test_lists_become_slot_types_with_ids_and_synonyms(small_grammar: Path) -> None:
    model, _ = build_model("en-US", small_grammar)
    types = {t["name"]: t["values"] for t in model["interactionModel"]["languageModel"]["types"]}
    assert types["WHEN"] == [
        {"id": "this_morning", "name": {"value": "this morning"}},
        {"id": "yesterday", "name": {"value": "yesterday", "synonyms": ["last night"]}},
    ]


def test_built_ins_get_samples_but_no_slots(small_grammar: Path) -> None:
    model, _ = build_model("en-US", small_grammar)
    yes = _intent(model, "AMAZON.YesIntent")
    assert yes["slots"] == [] and "yeah please" in yes["samples"]  # type: ignore[operator]
    assert not any("{" in s for s in yes["samples"])  # type: ignore[attr-defined]
    names = [i["name"] for i in model["interactionModel"]["languageModel"]["intents"]]
    assert {"AMAZON.StopIntent", "AMAZON.FallbackIntent", "AMAZON.NavigateHomeIntent"} <= set(names)


def test_intents_that_ask_for_a_slot_are_in_the_dialog_model(small_grammar: Path) -> None:
    model, _ = build_model("en-US", small_grammar)
    dialog = model["interactionModel"]["dialog"]
    assert [i["name"] for i in dialog["intents"]] == ["LogRunIntent"]
    assert dialog["intents"][0]["delegationStrategy"] == "SKILL_RESPONSE"


def test_a_sample_in_two_intents_is_refused(small_grammar: Path) -> None:
    grammar = dict(SMALL)
    grammar["intents"] = {
        **SMALL["intents"],  # type: ignore[dict-item]
        "HeatOnIntent": {"data": [{"sentences": ["i ran eight miles"]}]},
    }
    (small_grammar / "en.yaml").write_text(yaml.safe_dump(grammar))
    with pytest.raises(ModelBuildError, match="'i ran eight miles' is a sample of both"):
        build_model("en-GB", small_grammar)


def test_check_reports_stale_models_and_build_writes_them(
    small_grammar: Path, tmp_path: Path
) -> None:
    out = tmp_path / "models"
    out.mkdir()
    assert len(build_all(out, check=True, directory=small_grammar)) == len(LOCALES)
    assert list(out.iterdir()) == []
    assert len(build_all(out, directory=small_grammar)) == len(LOCALES)
    assert build_all(out, check=True, directory=small_grammar) == []


# --- the committed models ------------------------------------------------------------------------


def test_committed_models_are_what_the_grammar_generates() -> None:
    assert build_all(MODEL_DIR, check=True) == [], "run `recovery-coach model build`"


def test_model_build_check_from_the_command_line() -> None:
    result = CliRunner().invoke(main, ["model", "build", "--check"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("current")


@pytest.mark.parametrize("locale", LOCALES)
def test_models_stay_inside_alexas_limits(locale: str) -> None:
    model = json.loads((MODEL_DIR / f"{locale}.json").read_text())
    assert limit_problems(model) == []
    for intent in model["interactionModel"]["languageModel"]["intents"]:
        for sample in intent["samples"]:
            assert len(sample) <= MAX_SAMPLE_CHARS
            assert not re.search(r"\}\s*\{", sample), f"{sample!r}: two slots side by side"
            assert re.fullmatch(r"[a-z' .]+", re.sub(r"\{\w+\}", "x", sample)), sample


def test_an_apostrophe_with_no_word_is_left_out(small_grammar: Path) -> None:
    grammar = dict(SMALL)
    grammar["intents"] = {
        **SMALL["intents"],  # type: ignore[dict-item]
        "ClearInjuryIntent": {"data": [{"sentences": ["my {when}'s fine", "i'm fine"]}]},
    }
    (small_grammar / "en.yaml").write_text(yaml.safe_dump(grammar))
    model, report = build_model("en-US", small_grammar)
    assert _intent(model, "ClearInjuryIntent")["samples"] == ["i'm fine"]
    assert report.dropped["digits or symbols (Alexa takes words only)"] == 2
