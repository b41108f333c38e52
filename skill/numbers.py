"""Read spoken numbers and durations the way AMAZON.NUMBER and AMAZON.DURATION report them."""

from __future__ import annotations

import re

UNITS = {
    "zero": 0, "oh": 0, "one": 1, "a": 1, "an": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19,
}  # fmt: skip
TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
ARTICLES = frozenset({"a", "an"})
NUMBER_WORDS = frozenset(UNITS.keys() - ARTICLES) | TENS.keys()
DURATION_UNITS = {
    "hour": "H", "hours": "H", "hr": "H", "hrs": "H",
    "minute": "M", "minutes": "M", "min": "M", "mins": "M",
    "second": "S", "seconds": "S", "sec": "S", "secs": "S",
}  # fmt: skip
DIGITS = re.compile(r"^\d+(?:\.\d+)?$")


def parse_number(text: str) -> float | None:
    """Read '10', 'ten', 'twenty six point two' or 'one hundred' as a number."""
    words = text.lower().replace("-", " ").split()
    if len(words) == 1 and DIGITS.match(words[0]):
        return float(words[0])
    if "point" in words:
        index = words.index("point")
        whole = parse_number(" ".join(words[:index])) if index else 0.0
        digits = [UNITS.get(word) for word in words[index + 1 :]]
        if whole is None or not digits or any(d is None or d > 9 for d in digits):
            return None
        return whole + float("0." + "".join(str(d) for d in digits))
    total = current = 0
    seen = False
    for index, word in enumerate(words):
        if word == "and" and seen:
            continue
        if word in ARTICLES and words[index + 1 : index + 2] and words[index + 1] in NUMBER_WORDS:
            # "an eight" is 8: the article only counts as one before "hundred" or "thousand".
            continue
        if word in UNITS and not (word in {"a", "an"} and seen):
            current += UNITS[word]
        elif word in TENS:
            current += TENS[word]
        elif word == "hundred" and seen:
            current = max(current, 1) * 100
        elif word == "thousand" and seen:
            total += max(current, 1) * 1000
            current = 0
        else:
            return None
        seen = True
    return float(total + current) if seen else None


def format_number(value: float) -> str:
    """Write a number as AMAZON.NUMBER does: no trailing '.0'."""
    return str(int(value)) if value == int(value) else f"{value:g}"


def parse_duration(text: str) -> str | None:
    """Read 'an hour and a half' or '45 minutes' as an ISO 8601 duration like PT1H30M."""
    parts: dict[str, float] = {}
    pending: list[str] = []
    for word in text.lower().replace("-", " ").split():
        if word in DURATION_UNITS:
            amount = _amount(pending)
            if amount is None:
                return None
            key = DURATION_UNITS[word]
            parts[key] = parts.get(key, 0.0) + amount
            pending = []
        elif word == "and" and not pending:
            continue
        else:
            pending.append(word)
    if pending in (["a", "half"], ["half"]) and parts:
        # "an hour and a half": half of the last unit named.
        last = next(reversed(parts))
        parts[last] += 0.5
        pending = []
    return None if pending or not parts else _iso_duration(parts)


def _amount(words: list[str]) -> float | None:
    if not words:
        return 1.0
    if words[0] == "half" and words[1:] in ([], ["a"], ["an"]):
        return 0.5
    return parse_number(" ".join(words))


def _iso_duration(parts: dict[str, float]) -> str | None:
    seconds = parts.get("H", 0) * 3600 + parts.get("M", 0) * 60 + parts.get("S", 0)
    if seconds <= 0:
        return None
    hours, rest = divmod(round(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return "PT" + "".join(
        f"{amount}{unit}" for amount, unit in ((hours, "H"), (minutes, "M"), (secs, "S")) if amount
    )
