"""The distance of a logged run, read from LogRunIntent's slots in every shape the model has."""

from __future__ import annotations

import pytest

from routines.context import DistanceUnit
from skill.run_slots import run_distance, said_unit

MI, KM = DistanceUnit.MILES, DistanceUnit.KILOMETERS


@pytest.mark.parametrize(
    ("slots", "expected"),
    [
        ({"miles": "18"}, (18.0, MI)),
        ({"kilometers": "10"}, (10.0, KM)),
        ({"miles": "26.2", "runType": "marathon"}, (26.2, MI)),
        ({"distance": "5", "unit": "km"}, (5.0, KM)),
        ({"distance": "5", "unit": "mi"}, (5.0, MI)),
        ({"distance": "5", "unit": "kilometres"}, (5.0, KM)),
        ({"distance": "5"}, (5.0, KM)),
        ({"distance": "5", "unit": None}, (5.0, KM)),
        ({"miles": "?", "kilometers": "8"}, (8.0, KM)),
        ({"miles": "ten"}, (10.0, MI)),
    ],
)
def test_distance_and_unit(
    slots: dict[str, str | None], expected: tuple[float, DistanceUnit]
) -> None:
    assert run_distance(slots, default_unit=KM) == expected


@pytest.mark.parametrize(
    "slots",
    [
        {},
        {"miles": None},
        {"miles": "?"},
        {"unit": "km"},
        {"runType": "marathon"},
        {"miles": "far"},
    ],
)
def test_no_distance(slots: dict[str, str | None]) -> None:
    assert run_distance(slots) is None


def test_the_unit_said_is_only_the_one_named() -> None:
    assert said_unit({"kilometers": "10"}) is KM
    assert said_unit({"distance": "10", "unit": "mi"}) is MI
    assert said_unit({"distance": "10"}) is None
    assert said_unit({"unit": "km"}) is None
