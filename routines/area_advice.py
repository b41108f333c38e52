"""Advice that names a body area: ice or heat for it, sore or injured, why it's sore.

Red flags come first, always: a flag on the area asked about (or on no area in particular, or an
urgent one anywhere) turns the answer into what to do about it, with the gate's reason for no
heat. Otherwise the articles' advice is applied to the area, and where the articles (which are
about sore muscles) say nothing about a joint, the answer says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from routines.context import BodyArea, overlaps
from routines.errors import KnowledgeError
from routines.gate import HeatRequest, decide
from routines.health import HealthState, RedFlag, Urgency, area_is, area_name
from routines.knowledge import AreaNotes, Knowledge, Tip
from routines.urgency import red_flag_advice

SAFETY = "safety"
# Spoken after an area's own answer: how many tips that help it (the rest go on the card).
HELPS_SPOKEN = 1


@dataclass(frozen=True)
class Said:
    """One part of an answer and the source it comes from (None: both articles, as a debate)."""

    text: str
    source: str | None = None
    # Said before `text` only ("For your calves,"): the card cites the source's words alone.
    lead: str = ""

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise ValueError("a part of an answer must say something")

    @property
    def spoken(self) -> str:
        """Return the part as said, its lead joined to the sentence it leads into."""
        if not self.lead:
            return self.text
        return f"{self.lead} {self.text[:1].lower()}{self.text[1:]}"


@dataclass(frozen=True)
class AreaAdvice:
    """An answer about one body area: what is said, and what only the card shows."""

    area: BodyArea
    spoken: tuple[Said, ...]
    card: tuple[Said, ...] = ()
    professional: bool = False
    red_flag: bool = False

    def __post_init__(self) -> None:
        if not self.spoken:
            raise ValueError("an area answer must say something")


def ice_or_heat(
    knowledge: Knowledge, area: BodyArea, health: HealthState, soreness: int | None = None
) -> AreaAdvice:
    """Apply the articles' ice-or-heat advice to one area, or say why not heat on it."""
    notes = _notes(knowledge)
    tips = tuple(_said(tip) for tip in knowledge.about("ice_heat"))
    flagged = _flags_for(health, area)
    if flagged.active:
        spoken = [_advice(flagged, soreness)]
        decision = decide(flagged, HeatRequest())
        if not decision.allowed and flagged.urgency(soreness) is Urgency.CHECK:
            spoken.append(Said(_sentence(decision.why), SAFETY))
        # No heat tips on the card either: they are not for this area now.
        return AreaAdvice(area, tuple(spoken), professional=True, red_flag=True)
    disagreement = knowledge.disagreement("ice_heat")
    if disagreement is None:
        raise KnowledgeError("the guidance has no ice-or-heat disagreement to apply to an area")
    spoken = [Said(disagreement.say, lead=_fill(notes.ice_heat_intro, area))]
    if area in notes.not_muscles:
        spoken.append(Said(_fill(notes.not_muscles_note, area), SAFETY))
    return AreaAdvice(area, tuple(spoken), tips)


def injury_check(
    knowledge: Knowledge, area: BodyArea, health: HealthState, soreness: int | None = None
) -> AreaAdvice:
    """Say whether soreness in one area may be more, and what to do about reported signs."""
    notes = _notes(knowledge)
    card = tuple(_said(knowledge.tip(tip_id)) for tip_id in ("sore_vs_injured", "no_run_if_stairs"))
    flagged = _flags_for(health, area)
    if flagged.active:
        return AreaAdvice(area, (_advice(flagged, soreness),), card, True, red_flag=True)
    spoken = [Said(_fill(notes.injury_signs, area), SAFETY)]
    if area in notes.not_muscles:
        spoken.append(Said(_fill(notes.not_muscles_note, area), SAFETY))
    spoken.append(_said(knowledge.tip("dont_push_through")))
    return AreaAdvice(area, tuple(spoken), card, professional=True)


def why_sore(
    knowledge: Knowledge, area: BodyArea, health: HealthState, soreness: int | None = None
) -> AreaAdvice:
    """Explain soreness in one area from the articles, and what helps that area."""
    notes = _notes(knowledge)
    why = tuple(_said(tip) for tip in knowledge.about("why_sore"))
    flagged = _flags_for(health, area)
    if flagged.active:
        return AreaAdvice(area, (_advice(flagged, soreness),), why, True, red_flag=True)
    if area in notes.not_muscles:
        spoken = (
            Said(_fill(notes.not_muscles_note, area), SAFETY),
            Said(_fill(notes.injury_signs, area), SAFETY),
        )
        return AreaAdvice(area, spoken, why, professional=True)
    first, *rest = knowledge.about("why_sore")
    spoken_list = [Said(first.say, first.source, _fill(notes.why_sore_intro, area))]
    helps = [tip for tip in knowledge.tips if _serves(tip, area)]
    if helps:
        spoken_list += [
            Said(tip.say, tip.source, _fill(notes.helps_intro, area))
            for tip in helps[:HELPS_SPOKEN]
        ]
    card = (*(_said(tip) for tip in rest), *(_said(tip) for tip in helps[HELPS_SPOKEN:]))
    return AreaAdvice(area, tuple(spoken_list), card)


def _flags_for(health: HealthState, area: BodyArea) -> HealthState:
    """Keep the active flags that bear on an area: on it or a part of it, on no area, or urgent."""
    return HealthState(tuple(flag for flag in health.active if _bears_on(flag, area)))


def _bears_on(flag: RedFlag, area: BodyArea) -> bool:
    if flag.urgency is not Urgency.CHECK or flag.area is None:
        return True
    return overlaps(area, frozenset({flag.area})) or overlaps(flag.area, frozenset({area}))


def _serves(tip: Tip, area: BodyArea) -> bool:
    # Only tips a plan would give to an ordinary sore runner ("helps" is not for injuries).
    if not tip.triage or tip.source == SAFETY:
        return False
    return overlaps(area, tip.areas) or any(overlaps(own, frozenset({area})) for own in tip.areas)


def _advice(flagged: HealthState, soreness: int | None) -> Said:
    advice = red_flag_advice(flagged, soreness)
    assert advice is not None, "only called with active flags"
    return Said(advice, SAFETY)


def _said(tip: Tip) -> Said:
    return Said(tip.say, tip.source)


def _notes(knowledge: Knowledge) -> AreaNotes:
    if knowledge.areas is None:
        raise KnowledgeError("the guidance has no 'areas' notes to answer about a body area")
    return knowledge.areas


def _fill(template: str, area: BodyArea) -> str:
    return template.format(area=area_name(area), be=area_is(area))


def _sentence(text: str) -> str:
    text = text.strip()
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")
