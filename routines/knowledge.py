"""Load the recovery guidance from its data file and check it."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from typing import Any, TypeVar

from routines.context import BodyArea, RunContext
from routines.errors import KnowledgeError
from routines.triage import Triage
from routines.yaml_data import load_yaml

E = TypeVar("E", bound=StrEnum)

DEFAULT_TRIAGE = frozenset({Triage.NORMAL, Triage.VERY_SORE})


class Timing(StrEnum):
    NOW = "now"
    WITHIN_30_MIN = "within_30_min"
    TODAY = "today"
    TONIGHT = "tonight"
    TOMORROW = "tomorrow"
    TRAINING = "training"


@dataclass(frozen=True)
class Source:
    """One of the articles the guidance comes from."""

    id: str
    title: str
    short: str


@dataclass(frozen=True)
class Tip:
    """One piece of advice, where it fits in a plan and how it is spoken."""

    id: str
    topic: str
    source: str
    when: Timing
    say: str
    triage: frozenset[Triage] = DEFAULT_TRIAGE
    min_soreness: int = 0
    max_soreness: int = 10
    long_run: bool = False
    long_race: bool = False
    right_after_run: bool = False
    areas: frozenset[BodyArea] = field(default_factory=frozenset)
    # Short verbatim excerpts from the source article that support what the tip says.
    quotes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.say.strip():
            raise KnowledgeError(f"tip {self.id!r}: 'say' is empty")
        if any(not quote.strip() for quote in self.quotes):
            raise KnowledgeError(f"tip {self.id!r}: empty quote")
        if not 0 <= self.min_soreness <= self.max_soreness <= 10:
            raise KnowledgeError(f"tip {self.id!r}: soreness bounds must satisfy 0<=min<=max<=10")

    def applies_to(self, context: RunContext, level: Triage) -> bool:
        """Tell whether this tip belongs in the plan for this run."""
        soreness = context.soreness if context.soreness is not None else 0
        return (
            level in self.triage
            and self.min_soreness <= soreness <= self.max_soreness
            and (context.is_long_run or not self.long_run)
            and (context.is_long_race or not self.long_race)
            and (context.just_finished or not self.right_after_run)
        )


@dataclass(frozen=True)
class Disagreement:
    """Where the articles differ, spoken as both sides."""

    id: str
    topic: str
    say: str
    # What each article says, word for word (tests check them against the articles).
    quotes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Gap:
    """Something a runner may ask about that neither article covers, and what is nearest."""

    topic: str
    what: str
    nearby: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.what.strip():
            raise KnowledgeError(f"not_covered {self.topic!r}: 'what' is empty")

    @property
    def say(self) -> str:
        """Say plainly that the articles don't cover it."""
        return f"The two articles I draw on don't cover {self.what}."


@dataclass(frozen=True)
class AreaNotes:
    """What answers that name a body area add; `{area}` and `{be}` are filled in when said."""

    not_muscles: frozenset[BodyArea]
    not_muscles_note: str
    injury_signs: str
    ice_heat_intro: str
    why_sore_intro: str
    helps_intro: str

    def __post_init__(self) -> None:
        names = (
            "not_muscles_note",
            "injury_signs",
            "ice_heat_intro",
            "why_sore_intro",
            "helps_intro",
        )
        for name in names:
            if "{area}" not in getattr(self, name):
                raise KnowledgeError(f"areas.{name} must name the {{area}}")


@dataclass(frozen=True)
class Knowledge:
    """All tips, sources and disagreements, checked for consistency."""

    sources: Mapping[str, Source]
    tips: tuple[Tip, ...]
    disagreements: tuple[Disagreement, ...]
    professional_advice: str
    gaps: tuple[Gap, ...] = ()
    areas: AreaNotes | None = None

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for tip in self.tips:
            if tip.id in seen:
                raise KnowledgeError(f"tip id {tip.id!r} is used twice")
            seen.add(tip.id)
            if tip.source not in self.sources:
                raise KnowledgeError(f"tip {tip.id!r}: unknown source {tip.source!r}")
        covered = {tip.topic for tip in self.tips}
        for gap in self.gaps:
            unknown = [tip_id for tip_id in gap.nearby if tip_id not in seen]
            if unknown:
                raise KnowledgeError(f"not_covered {gap.topic!r}: unknown tip(s) {unknown}")
            if gap.topic not in covered and not gap.nearby:
                # A bare "I don't know" helps no one: say what the articles do say nearby.
                raise KnowledgeError(f"not_covered {gap.topic!r}: no tips and nothing nearby")

    @property
    def topics(self) -> frozenset[str]:
        """Name every topic a runner can ask about, covered or not."""
        return frozenset(tip.topic for tip in self.tips) | {gap.topic for gap in self.gaps}

    def gap(self, topic: str) -> Gap | None:
        """Return what the articles don't cover about a topic, if anything."""
        return next((gap for gap in self.gaps if gap.topic == topic), None)

    def nearby(self, topic: str) -> tuple[Tip, ...]:
        """Return the tips nearest to a topic the articles don't cover."""
        gap = self.gap(topic)
        return tuple(self.tip(tip_id) for tip_id in gap.nearby) if gap else ()

    def about(self, topic: str) -> tuple[Tip, ...]:
        """Return every tip on a topic, in file order."""
        return tuple(tip for tip in self.tips if tip.topic == topic)

    def disagreement(self, topic: str) -> Disagreement | None:
        """Return what the articles disagree on about a topic, if anything."""
        return next((d for d in self.disagreements if d.topic == topic), None)

    def tip(self, tip_id: str) -> Tip:
        """Return a tip by id."""
        for tip in self.tips:
            if tip.id == tip_id:
                return tip
        raise KeyError(tip_id)


def parse_knowledge(document: Mapping[str, Any]) -> Knowledge:
    """Build and check the knowledge from a parsed guidance document."""
    try:
        sources = {
            key: Source(id=key, title=str(value["title"]), short=str(value["short"]))
            for key, value in document["sources"].items()
        }
        tips = tuple(_parse_tip(raw) for raw in document["tips"])
        disagreements = tuple(
            Disagreement(
                id=key,
                topic=str(value["topic"]),
                say=_text(value["say"]),
                quotes=_quotes(key, value.get("quotes")),
            )
            for key, value in document.get("disagreements", {}).items()
        )
        advice = _text(document["professional_advice"])
        gaps = tuple(
            Gap(
                topic=str(key),
                what=_text(value["what"]),
                nearby=tuple(str(tip_id) for tip_id in value.get("nearby") or ()),
            )
            for key, value in (document.get("not_covered") or {}).items()
        )
        areas = _parse_areas(document["areas"]) if "areas" in document else None
    except KnowledgeError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise KnowledgeError(f"malformed guidance data: {exc!r}") from exc
    return Knowledge(sources, tips, disagreements, advice, gaps, areas)


def _parse_areas(raw: Mapping[str, Any]) -> AreaNotes:
    return AreaNotes(
        not_muscles=_enum_set(BodyArea, raw["not_muscles"], frozenset()),
        not_muscles_note=_text(raw["not_muscles_note"]),
        injury_signs=_text(raw["injury_signs"]),
        ice_heat_intro=_text(raw["ice_heat_intro"]),
        why_sore_intro=_text(raw["why_sore_intro"]),
        helps_intro=_text(raw["helps_intro"]),
    )


@functools.cache
def load_knowledge() -> Knowledge:
    """Load the packaged guidance (once per process)."""
    text = resources.files("routines").joinpath("data/guidance.yaml").read_text("utf-8")
    return parse_knowledge(load_yaml(text))


def _parse_tip(raw: Mapping[str, Any]) -> Tip:
    tip_id = str(raw.get("id", "?"))
    applies: Mapping[str, Any] = raw.get("applies") or {}
    conditions = {
        "triage",
        "min_soreness",
        "max_soreness",
        "long_run",
        "long_race",
        "right_after_run",
    }
    unknown = set(applies) - conditions
    if unknown:
        raise KnowledgeError(f"tip {tip_id!r}: unknown condition(s) {sorted(unknown)}")
    try:
        return Tip(
            id=tip_id,
            topic=str(raw["topic"]),
            source=str(raw["source"]),
            when=Timing(raw["when"]),
            say=_text(raw["say"]),
            triage=_enum_set(Triage, applies.get("triage"), DEFAULT_TRIAGE),
            min_soreness=int(applies.get("min_soreness", 0)),
            max_soreness=int(applies.get("max_soreness", 10)),
            long_run=bool(applies.get("long_run", False)),
            long_race=bool(applies.get("long_race", False)),
            right_after_run=bool(applies.get("right_after_run", False)),
            areas=_enum_set(BodyArea, raw.get("areas"), frozenset()),
            quotes=_quotes(tip_id, raw.get("quotes")),
        )
    except (KeyError, ValueError) as exc:
        raise KnowledgeError(f"tip {tip_id!r}: {exc}") from exc


def _quotes(tip_id: str, raw: Any) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(quote, str) for quote in raw):
        raise KnowledgeError(f"tip {tip_id!r}: quotes must be a list of strings")
    return tuple(_text(quote) for quote in raw)


def _enum_set(
    kind: type[E], values: Iterable[str] | str | None, default: frozenset[E]
) -> frozenset[E]:
    if values is None:
        return default
    if values == "any":
        return frozenset(kind)
    if isinstance(values, str):
        raise ValueError(f"expected a list or 'any', got {values!r}")
    return frozenset(kind(value) for value in values)


def _text(value: Any) -> str:
    return " ".join(str(value).split())
