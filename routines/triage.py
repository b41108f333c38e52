"""Sort soreness from injury: the red flags come first, always."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from routines.context import PainFlag, RunContext
from routines.health import SIGNS, Urgency

VERY_SORE_LEVEL = 7
# Muscle soreness peaks 24-72 h after a run; still hurting past that is "pain lasting days".
SORENESS_PEAK_HOURS = 72
LASTING_SORENESS_LEVEL = 4


class Triage(StrEnum):
    NORMAL = "normal"
    VERY_SORE = "very_sore"
    POSSIBLE_INJURY = "possible_injury"
    URGENT = "urgent"


SEVERITY: dict[Triage, int] = {
    Triage.NORMAL: 0,
    Triage.VERY_SORE: 1,
    Triage.POSSIBLE_INJURY: 2,
    Triage.URGENT: 3,
}

# Red flags triage by how urgent their sign is (routines.health); not walking down the stairs is
# very sore, not injured (RunToTheFinish: "not a day to push through with a run").
FLAG_TRIAGE: dict[PainFlag, tuple[Triage, str]] = {
    **{
        flag: (Triage.POSSIBLE_INJURY if sign.urgency is Urgency.CHECK else Triage.URGENT, sign.why)
        for flag, sign in SIGNS.items()
    },
    PainFlag.CANT_WALK_STAIRS: (
        Triage.VERY_SORE,
        "if you can't walk down the stairs, that's not a day to run",
    ),
}


@dataclass(frozen=True)
class TriageResult:
    """A triage level with the reasons that led to it, most serious first."""

    level: Triage
    reasons: tuple[str, ...]

    @property
    def needs_professional(self) -> bool:
        """Tell whether the runner should see a health professional."""
        return SEVERITY[self.level] >= SEVERITY[Triage.POSSIBLE_INJURY]


def triage(context: RunContext) -> TriageResult:
    """Classify how the runner is doing from their pain flags, soreness and time since the run."""
    found: list[tuple[Triage, str]] = [FLAG_TRIAGE[flag] for flag in sorted(context.pain_flags)]
    soreness = context.soreness or 0
    if (
        PainFlag.LASTING_DAYS not in context.pain_flags
        and context.hours_since_run is not None
        and context.hours_since_run > SORENESS_PEAK_HOURS
        and soreness >= LASTING_SORENESS_LEVEL
    ):
        found.append(FLAG_TRIAGE[PainFlag.LASTING_DAYS])
    if soreness >= VERY_SORE_LEVEL:
        found.append((Triage.VERY_SORE, f"you rate your soreness {soreness} out of 10"))
    if not found:
        return TriageResult(Triage.NORMAL, ())
    found.sort(key=lambda item: -SEVERITY[item[0]])
    return TriageResult(found[0][0], tuple(reason for _, reason in found))
