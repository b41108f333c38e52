"""Find the details in a phrase no template matched: body areas, signs, topics, numbers, times.

Every list of the grammar is searched, longest wording first, so "lower back" is the area and
not "back"; numbers are read in digits or words, with the unit that follows them. What is found
is replaced by its list's placeholder (`{area}`, `{number}`) for the intent classifier.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from skill.numbers import parse_duration, parse_number

# Lists that carry no detail: filler before a request and words after it.
NOISE_LISTS = frozenset({"lead", "tail"})
NUMBER = "number"
DURATION = "duration"
_GLUED = re.compile(r"^(\d+(?:\.\d+)?)(k|km|ks|mi|mins?)$")
MILE_WORDS = frozenset({"mile", "miles", "mi"})
KM_WORDS = frozenset(
    {"k", "km", "ks", "kay", "kays", "kilometer", "kilometers", "kilometre", "kilometres"}
)
MINUTE_WORDS = frozenset({"minute", "minutes", "min", "mins"})
DEGREE_WORDS = frozenset({"degree", "degrees", "celsius", "fahrenheit"})
OUT_OF_TEN = ("out", "of")


@dataclass(frozen=True)
class Spotted:
    """One detail found in a phrase: its list, its canonical id or value, and the words heard."""

    list_name: str
    value: str
    heard: str
    # What the words around a number say it is: miles, kilometers, minutes, degrees, a level.
    unit: str | None = None


@dataclass(frozen=True)
class SpottedPhrase:
    """A phrase with its details replaced by placeholders, and the details."""

    tokens: tuple[str, ...]
    details: tuple[Spotted, ...]


class SlotSpotter:
    """Every wording of every detail-carrying list, longest first."""

    def __init__(self, wordings: Mapping[str, Mapping[str, str]]) -> None:
        self._wordings = sorted(
            (
                (tuple(words.split()), list_name, value)
                for list_name, table in wordings.items()
                if list_name not in NOISE_LISTS
                for words, value in table.items()
                if words.strip()
            ),
            key=lambda entry: -len(entry[0]),
        )

    def spot(self, words: Sequence[str]) -> SpottedPhrase:
        """Replace each detail with its placeholder, longest match first, left to right."""
        tokens: list[str] = []
        details: list[Spotted] = []
        i = 0
        while i < len(words):
            found = self._duration(words, i) or self._number(words, i) or self._wording(words, i)
            if found is None:
                tokens.append(words[i])
                i += 1
                continue
            detail, length = found
            details.append(detail)
            tokens.append(f"{{{detail.list_name}}}")
            i += length
        return SpottedPhrase(tuple(tokens), tuple(details))

    def _wording(self, words: Sequence[str], i: int) -> tuple[Spotted, int] | None:
        for wording, list_name, value in self._wordings:
            if tuple(words[i : i + len(wording)]) == wording:
                return Spotted(list_name, value, " ".join(wording)), len(wording)
        return None

    def _duration(self, words: Sequence[str], i: int) -> tuple[Spotted, int] | None:
        for length in range(min(6, len(words) - i), 1, -1):
            chunk = words[i : i + length]
            if chunk[-1] in MINUTE_WORDS | {"hour", "hours", "hr", "hrs"} or chunk[-1] == "half":
                iso = parse_duration(" ".join(chunk))
                if iso is not None and not (
                    length == 2 and chunk[1] in MINUTE_WORDS
                ):  # "ten minutes" is a number of minutes
                    return Spotted(DURATION, iso, " ".join(chunk)), length
        return None

    def _number(self, words: Sequence[str], i: int) -> tuple[Spotted, int] | None:
        glued = _GLUED.match(words[i])
        if glued:
            unit = "kilometers" if glued.group(2) in KM_WORDS else _unit(glued.group(2))
            return Spotted(NUMBER, glued.group(1), words[i], unit), 1
        for length in range(min(5, len(words) - i), 0, -1):
            chunk = words[i : i + length]
            if chunk[0] in ("a", "an", "and", "point") or chunk[-1] in ("a", "an", "and"):
                continue
            value = parse_number(" ".join(chunk))
            if value is None:
                continue
            after = words[i + length : i + length + 3]
            unit = _unit(after[0]) if after else None
            if unit is None and tuple(after[:2]) == OUT_OF_TEN:
                unit = "level"
            taken = length + (1 if unit in ("miles", "kilometers", "minutes", "degrees") else 0)
            if unit == "level":
                taken += 3 if len(after) > 2 and parse_number(after[2]) == 10 else 2
            number = str(int(value)) if value == int(value) else f"{value:g}"
            return Spotted(NUMBER, number, " ".join(words[i : i + taken]), unit), taken
        return None


def _unit(word: str) -> str | None:
    if word in MILE_WORDS:
        return "miles"
    if word in KM_WORDS:
        return "kilometers"
    if word in MINUTE_WORDS:
        return "minutes"
    if word in DEGREE_WORDS:
        return "degrees"
    return None
