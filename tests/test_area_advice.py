"""Area answers in the domain core: every area gets one, and red flags that bear on it lead."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from routines import BodyArea, PainFlag, load_knowledge
from routines.area_advice import AreaAdvice, ice_or_heat, injury_check, why_sore
from routines.health import HealthState
from routines.knowledge import Knowledge

Answer = Callable[[Knowledge, BodyArea, HealthState], AreaAdvice]

NOW = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
ANSWERS: tuple[Answer, ...] = (ice_or_heat, injury_check, why_sore)


@pytest.mark.parametrize("answer", ANSWERS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("area", list(BodyArea))
def test_every_area_gets_an_answer_that_names_it(answer: Answer, area: BodyArea) -> None:
    advice = answer(load_knowledge(), area, HealthState())
    spoken = " ".join(said.spoken for said in advice.spoken)
    name = {"knees": "knee", "ankles": "ankle", "feet": "foot", "it_band": "I.T. band"}
    assert name.get(area.value, area.value.replace("_", " ")) in spoken
    assert not advice.red_flag


@pytest.mark.parametrize(
    ("flag_area", "asked", "bears"),
    [
        (BodyArea.HIPS, BodyArea.GLUTES, True),  # the hips take in the glutes
        (BodyArea.HIP_FLEXORS, BodyArea.HIPS, True),
        (BodyArea.CALVES, BodyArea.LEGS, True),  # the legs take in the calves
        (BodyArea.LEGS, BodyArea.KNEES, True),
        (BodyArea.CALVES, BodyArea.KNEES, False),
        (BodyArea.LOWER_BACK, BodyArea.HAMSTRINGS, False),
        (None, BodyArea.FEET, True),  # a flag on no area may be anywhere
    ],
)
def test_a_red_flag_leads_the_answer_for_the_areas_it_bears_on(
    flag_area: BodyArea | None, asked: BodyArea, bears: bool
) -> None:
    health = HealthState().report([PainFlag.SHARP], flag_area, NOW)
    for answer in ANSWERS:
        advice = answer(load_knowledge(), asked, health)
        assert advice.red_flag is bears, answer.__name__
        lead = advice.spoken[0].spoken
        assert lead.startswith("Have a doctor or physiotherapist check") is bears


def test_sharp_pain_on_the_area_means_no_heat_with_the_gates_reason() -> None:
    health = HealthState().report([PainFlag.SHARP], BodyArea.CALVES, NOW)
    spoken = [said.spoken for said in ice_or_heat(load_knowledge(), BodyArea.CALVES, health).spoken]
    assert (
        spoken[1]
        == "Heat is for tight muscles, not a fresh injury. An ice pack suits a tender spot."
    )
