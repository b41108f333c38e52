"""One health state per runner: the red flags they reported, until they say they are cleared.

Red flags are not soreness: they do not fade with a new run, a new soreness report or the passing
of days. A flag ends only when the runner clears it; after a few days the skill asks again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from routines.context import BodyArea, PainFlag
from routines.errors import InvalidContextError

# Ask "is your ankle better?" once a flag is this old, and again this long after each ask.
RECHECK_AFTER = timedelta(days=3)
# Cleared flags are kept (as history) for this long.
KEEP_CLEARED = timedelta(days=90)
# Soreness at or above this makes dark urine an emergency ("with severe muscle pain").
SEVERE_PAIN_LEVEL = 7


class Urgency(StrEnum):
    """How soon the runner needs a health professional."""

    NOW = "now"  # emergency: call for help
    TODAY = "today"  # urgent care today
    CHECK = "check"  # a doctor or physiotherapist
    NONE = "none"  # ordinary soreness: no doctor


URGENCY_ORDER = (Urgency.NOW, Urgency.TODAY, Urgency.CHECK, Urgency.NONE)

# How each body area is said in a sentence ("your ankle is swollen").
AREA_NAMES: dict[BodyArea, str] = {
    BodyArea.CALVES: "calves",
    BodyArea.HAMSTRINGS: "hamstrings",
    BodyArea.QUADS: "quads",
    BodyArea.HIPS: "hips",
    BodyArea.HIP_FLEXORS: "hip flexors",
    BodyArea.GLUTES: "glutes",
    BodyArea.LOWER_BACK: "lower back",
    BodyArea.IT_BAND: "I.T. band",
    BodyArea.SHINS: "shins",
    BodyArea.KNEES: "knee",
    BodyArea.ANKLES: "ankle",
    BodyArea.FEET: "foot",
    BodyArea.LEGS: "legs",
}
SINGULAR_AREAS = frozenset(
    {BodyArea.KNEES, BodyArea.ANKLES, BodyArea.FEET, BodyArea.LOWER_BACK, BodyArea.IT_BAND}
)


def area_name(area: BodyArea) -> str:
    """Say an area as part of a sentence."""
    return AREA_NAMES[area]


def area_is(area: BodyArea) -> str:
    """Return 'is' or 'are' for an area ("your ankle is", "your calves are")."""
    return "is" if area in SINGULAR_AREAS else "are"


@dataclass(frozen=True)
class Sign:
    """What a red flag means: how urgent it is, why, and how to say the runner has it."""

    urgency: Urgency
    why: str
    with_area: str  # "{area}" is replaced by the area's name
    without_area: str

    def state(self, area: BodyArea | None) -> str:
        """Say the runner's state ("your ankle is swollen") for a "while ..." clause."""
        if area is None:
            return self.without_area
        return self.with_area.format(area=area_name(area), be=area_is(area))


# Every red flag. CANT_WALK_STAIRS is not one: it is "very sore" (a rest day), not an injury.
SIGNS: dict[PainFlag, Sign] = {
    PainFlag.CHEST_PAIN: Sign(
        Urgency.NOW,
        "chest pain during or after exercise can come from the heart",
        "you have chest pain",
        "you have chest pain",
    ),
    PainFlag.FAINTING: Sign(
        Urgency.NOW,
        "fainting or dizziness after a run needs a doctor's check",
        "you feel faint or dizzy",
        "you feel faint or dizzy",
    ),
    PainFlag.DARK_URINE: Sign(
        Urgency.TODAY,
        "dark, tea or cola coloured urine after a run can mean muscle breakdown",
        "you have dark urine",
        "you have dark urine",
    ),
    PainFlag.CANT_BEAR_WEIGHT: Sign(
        Urgency.CHECK,
        "not being able to bear weight can mean an injury such as a fracture",
        "you can't put weight on your {area}",
        "you can't bear weight",
    ),
    PainFlag.SWELLING: Sign(
        Urgency.CHECK,
        "swelling is a sign of injury",
        "your {area} {be} swollen",
        "you have swelling",
    ),
    PainFlag.SHARP: Sign(
        Urgency.CHECK,
        "sharp pain is not normal soreness",
        "you have a sharp pain in your {area}",
        "you have a sharp pain",
    ),
    PainFlag.NUMBNESS: Sign(
        Urgency.CHECK,
        "numbness is not normal soreness",
        "your {area} {be} numb",
        "you have numbness",
    ),
    PainFlag.LOCALISED: Sign(
        Urgency.CHECK,
        "pain in one spot can be an injury",
        "you have pain in one spot in your {area}",
        "you have pain in one spot",
    ),
    PainFlag.LASTING_DAYS: Sign(
        Urgency.CHECK,
        "pain lasting days is more than soreness",
        "your {area} {be} still hurting after days",
        "your pain has lasted days",
    ),
}
RED_FLAGS = frozenset(SIGNS)
URGENT_SIGNS = frozenset(sign for sign, info in SIGNS.items() if info.urgency is not Urgency.CHECK)


@dataclass(frozen=True)
class RedFlag:
    """One red flag: its sign, where (if anywhere), when reported, asked about and cleared."""

    sign: PainFlag
    area: BodyArea | None
    reported_at: datetime
    cleared_at: datetime | None = None
    asked_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.sign not in RED_FLAGS:
            raise InvalidContextError(f"{self.sign.value!r} is not a red flag")
        for moment in (self.reported_at, self.cleared_at, self.asked_at):
            if moment is not None and moment.tzinfo is None:
                raise InvalidContextError("a red flag's times must be timezone-aware")

    @property
    def active(self) -> bool:
        """Tell whether the flag still holds."""
        return self.cleared_at is None

    @property
    def urgency(self) -> Urgency:
        return SIGNS[self.sign].urgency

    def state(self) -> str:
        """Say the runner's state ("your ankle is swollen")."""
        return SIGNS[self.sign].state(self.area)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able form (strings only, so any store takes it)."""
        document: dict[str, Any] = {
            "sign": self.sign.value,
            "reported_at": self.reported_at.isoformat(),
        }
        if self.area is not None:
            document["area"] = self.area.value
        if self.cleared_at is not None:
            document["cleared_at"] = self.cleared_at.isoformat()
        if self.asked_at is not None:
            document["asked_at"] = self.asked_at.isoformat()
        return document

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> RedFlag:
        """Read a stored flag; raise InvalidContextError when it does not parse."""
        try:
            return cls(
                sign=PainFlag(raw["sign"]),
                area=BodyArea(raw["area"]) if raw.get("area") else None,
                reported_at=datetime.fromisoformat(raw["reported_at"]),
                cleared_at=_time(raw.get("cleared_at")),
                asked_at=_time(raw.get("asked_at")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidContextError(f"a stored red flag does not parse: {exc}") from exc


@dataclass(frozen=True)
class HealthState:
    """Every red flag a runner reported, active and cleared."""

    flags: tuple[RedFlag, ...] = field(default_factory=tuple)
    updated_at: datetime | None = None

    @property
    def active(self) -> tuple[RedFlag, ...]:
        """Return the flags that still hold, most urgent first."""
        live = [flag for flag in self.flags if flag.active]
        live.sort(key=lambda flag: (URGENCY_ORDER.index(flag.urgency), flag.reported_at))
        return tuple(live)

    @property
    def signs(self) -> frozenset[PainFlag]:
        """Return the signs of the active flags."""
        return frozenset(flag.sign for flag in self.active)

    @property
    def areas(self) -> frozenset[BodyArea]:
        """Return the body areas of the active flags."""
        return frozenset(flag.area for flag in self.active if flag.area is not None)

    def urgency(self, soreness: int | None = None) -> Urgency:
        """Say how soon to see someone; dark urine with severe muscle pain is an emergency."""
        signs = self.signs
        if not signs:
            return Urgency.NONE
        if PainFlag.DARK_URINE in signs and (soreness or 0) >= SEVERE_PAIN_LEVEL:
            return Urgency.NOW
        return self.active[0].urgency

    def report(
        self, signs: Iterable[PainFlag], area: BodyArea | None, now: datetime
    ) -> HealthState:
        """Add the red flags among `signs`; a flag already active stays as first reported."""
        flags = list(self.flags)
        for sign in signs:
            if sign not in RED_FLAGS:
                continue
            if any(f.active and f.sign is sign and f.area == area for f in flags):
                continue
            flags.append(RedFlag(sign, area, now))
        return self._with(flags, now)

    def clear(
        self, now: datetime, area: BodyArea | None = None
    ) -> tuple[HealthState, tuple[RedFlag, ...]]:
        """Clear the active flags of one area (or every flag); return the new state and those."""
        cleared = tuple(f for f in self.active if area is None or f.area == area)
        flags = [replace(f, cleared_at=now) if f in cleared else f for f in self.flags]
        return self._with(flags, now), cleared

    def due_recheck(self, now: datetime) -> RedFlag | None:
        """Return a flag to ask about ("is your ankle better?"), if one is due."""
        for flag in self.active:
            last = flag.asked_at or flag.reported_at
            if now - last >= RECHECK_AFTER:
                return flag
        return None

    def asked(self, now: datetime) -> HealthState:
        """Note that the runner was just asked about their active flags."""
        flags = [replace(f, asked_at=now) if f.active else f for f in self.flags]
        return self._with(flags, now)

    def _with(self, flags: Sequence[RedFlag], now: datetime) -> HealthState:
        kept = tuple(f for f in flags if f.cleared_at is None or now - f.cleared_at <= KEEP_CLEARED)
        return HealthState(kept, now)

    @classmethod
    def merged(cls, states: Iterable[HealthState]) -> HealthState:
        """Combine several runners' states (a home whose runner is not known)."""
        flags: list[RedFlag] = []
        stamps: list[datetime] = []
        for state in states:
            flags += state.flags
            if state.updated_at is not None:
                stamps.append(state.updated_at)
        return cls(tuple(flags), max(stamps, default=None))

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able form (strings only, so SQLite and DynamoDB alike take it)."""
        document: dict[str, Any] = {"flags": [flag.to_dict() for flag in self.flags]}
        if self.updated_at is not None:
            document["updated_at"] = self.updated_at.isoformat()
        return document

    @classmethod
    def from_dict(cls, raw: Any) -> HealthState:
        """Read a stored state; raise InvalidContextError when it does not parse."""
        if raw is None:
            return cls()
        if not isinstance(raw, Mapping) or not isinstance(raw.get("flags", []), list):
            raise InvalidContextError("a stored health state must be {'flags': [...]}")
        try:
            updated = _time(raw.get("updated_at"))
        except (TypeError, ValueError) as exc:
            raise InvalidContextError(f"a stored health state does not parse: {exc}") from exc
        return cls(tuple(RedFlag.from_dict(flag) for flag in raw.get("flags", [])), updated)


def _time(raw: Any) -> datetime | None:
    if raw is None:
        return None
    moment = datetime.fromisoformat(str(raw))
    if moment.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return moment
