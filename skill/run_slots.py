"""Read a logged run's distance from LogRunIntent's slots, with no ask-sdk objects involved."""

from __future__ import annotations

from collections.abc import Mapping

from routines.context import DistanceUnit
from skill.numbers import parse_number

MILES_SLOT = "miles"
KILOMETERS_SLOT = "kilometers"
# The model's older shape: a number and a DISTANCE_UNIT, still accepted.
DISTANCE_SLOT = "distance"
UNIT_SLOT = "unit"
# Slots that each carry a distance on their own, in the unit the slot names.
UNIT_SLOTS: dict[str, DistanceUnit] = {
    MILES_SLOT: DistanceUnit.MILES,
    KILOMETERS_SLOT: DistanceUnit.KILOMETERS,
}
DISTANCE_SLOTS = (MILES_SLOT, KILOMETERS_SLOT, DISTANCE_SLOT)
# DISTANCE_UNIT ids, and the words a slot value may hold when entity resolution gave no id.
UNIT_WORDS: dict[str, DistanceUnit] = {
    **{word: DistanceUnit.MILES for word in ("mi", "mile", "miles")},
    **{
        word: DistanceUnit.KILOMETERS
        for word in ("km", "kms", "k", "ks", "kilometer", "kilometers", "kilometre", "kilometres")
    },
}


def slot_distance(value: str | None) -> float | None:
    """Read an AMAZON.NUMBER value ('18', '26.2', or words) as a number; None if unusable."""
    if value is None:
        return None
    text = value.strip()
    if text in ("", "?"):
        return None
    try:
        return float(text)
    except ValueError:
        return parse_number(text)


def said_unit(slots: Mapping[str, str | None]) -> DistanceUnit | None:
    """Return the unit the runner named for the distance, if they named one."""
    for name, unit in UNIT_SLOTS.items():
        if slot_distance(slots.get(name)) is not None:
            return unit
    if slot_distance(slots.get(DISTANCE_SLOT)) is None:
        return None
    return UNIT_WORDS.get((slots.get(UNIT_SLOT) or "").strip().lower())


def run_distance(
    slots: Mapping[str, str | None], default_unit: DistanceUnit = DistanceUnit.MILES
) -> tuple[float, DistanceUnit] | None:
    """Return the distance said and its unit, or None when no distance was said.

    `slots` maps slot names to their values; for custom slot types (unit) pass the resolved
    id when there is one. A bare number (legacy `distance` with no `unit`) is in `default_unit`.
    """
    for name, unit in UNIT_SLOTS.items():
        amount = slot_distance(slots.get(name))
        if amount is not None:
            return amount, unit
    amount = slot_distance(slots.get(DISTANCE_SLOT))
    if amount is None:
        return None
    return amount, said_unit(slots) or default_unit
