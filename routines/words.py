"""Put words together the way they are said."""

from __future__ import annotations

import math
from collections.abc import Sequence

from routines.context import RunType

# How each kind of run is named aloud ("your tempo run", "your 10K").
RUN_NAMES: dict[RunType, str] = {
    RunType.EASY: "easy run",
    RunType.LONG: "long run",
    RunType.TEMPO: "tempo run",
    RunType.INTERVALS: "interval session",
    RunType.TRAIL: "trail run",
    RunType.RACE: "race",
    RunType.FIVE_K: "5K",
    RunType.PARKRUN: "parkrun",
    RunType.TEN_K: "10K",
    RunType.TEN_MILER: "10 mile race",
    RunType.HALF_MARATHON: "half marathon",
    RunType.MARATHON: "marathon",
    RunType.ULTRA: "ultra",
}


def and_list(items: Sequence[str]) -> str:
    """Join items as spoken: "a", "a and b", "a, b and c"."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" and {items[-1]}"


def amount(value: float) -> str:
    """Say a distance's number: whole numbers without ".0" (a marathon is 26.2 miles, not 26)."""
    return f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.1f}"


def cap_amount(value: float) -> str:
    """Say a limit's number rounded down, so it is never more than the rule allows (17.6: 17)."""
    if value >= 5:
        return f"{math.floor(value + 1e-9)}"
    return amount(math.floor(value * 10 + 1e-9) / 10)
