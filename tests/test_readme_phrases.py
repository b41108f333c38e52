"""The README's "What you can say" is checked against the grammar: every example is understood."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from skill.nlu import Recognizer

README = Path(__file__).resolve().parent.parent / "README.md"


def _rows() -> list[tuple[set[str], list[str]]]:
    text = README.read_text("utf-8")
    section = text.split("## What you can say", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = line.split("|")
        if len(cells) < 4 or not cells[1].strip().startswith("`"):
            continue
        intents = set(re.findall(r"`([\w.]+)`", cells[1]))
        rows.append((intents, re.findall(r'"([^"]+)"', cells[2])))
    return rows


ROWS = _rows()


@pytest.mark.parametrize(
    ("intents", "example"),
    [(intents, example) for intents, examples in ROWS for example in examples],
    ids=[example for _, examples in ROWS for example in examples],
)
def test_every_example_is_understood_as_its_row_says(intents: set[str], example: str) -> None:
    assert Recognizer.load("en-US").resolve(example).intent in intents


def test_every_intent_of_the_grammar_has_an_example() -> None:
    named = {intent for intents, _ in ROWS for intent in intents}
    custom = {i for i in Recognizer.load("en-US").grammar.intents.intents if "." not in i}
    assert custom <= named, sorted(custom - named)
