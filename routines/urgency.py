"""What to say when a red flag is active: the action first, briefly, by how urgent it is."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from routines.context import PainFlag
from routines.health import SIGNS, HealthState, RedFlag, Urgency, area_name
from routines.words import and_list

# Said first, and alone: nothing about pain relievers or stretching follows these.
EMERGENCY: dict[PainFlag, str] = {
    PainFlag.CHEST_PAIN: (
        "Call emergency services now: chest pain during or after exercise can come from the "
        "heart. Stop exercising, and don't drive yourself."
    ),
    PainFlag.FAINTING: (
        "Get medical help now: fainting or dizziness after a run needs a doctor's check. Sit or "
        "lie down, sip water, and call emergency services if it gets worse."
    ),
    PainFlag.DARK_URINE: (
        "Get medical help now: dark urine with severe muscle pain can mean serious muscle "
        "breakdown. Go to urgent care or call emergency services, and sip water."
    ),
}
TODAY = (
    "Please get medical help today: dark, tea or cola coloured urine after a run can mean muscle "
    "breakdown. Sip water, and don't run until a doctor has seen you."
)
CHECK = (
    "Have a doctor or physiotherapist check {what}: {why}. Until then, no running, and no heat "
    "or stretching on it."
)
DOCTOR_SIGNS = (
    "Call emergency services for chest pain or fainting. Get medical help the same day for dark, "
    "tea or cola coloured urine. See a doctor or physiotherapist for sharp pain, pain in one "
    "spot, swelling, numbness, pain lasting days, or if you can't bear weight. Ordinary soreness "
    "that eases within two or three days needs no doctor."
)


def red_flag_advice(health: HealthState, soreness: int | None = None) -> str | None:
    """Say what to do about the active red flags, most urgent first; None when there are none."""
    active = health.active
    if not active:
        return None
    level = health.urgency(soreness)
    first = active[0]
    if level is Urgency.NOW:
        return EMERGENCY[first.sign if first.sign in EMERGENCY else PainFlag.DARK_URINE]
    if level is Urgency.TODAY:
        return TODAY
    return CHECK.format(what=_what(active), why=_why(active))


def recheck_question(flag: RedFlag, now: datetime) -> str:
    """Ask whether a flag reported days ago has cleared."""
    days = max(1, (now - flag.reported_at).days)
    ago = "A day ago" if days == 1 else f"{days} days ago"
    return f"{ago} you told me {flag.state()}. Is that better now?"


def clear_question(flags: Sequence[RedFlag]) -> str:
    """Ask the runner to confirm before a flag is cleared."""
    states = and_list([flag.state() for flag in flags])
    if any(flag.urgency is not Urgency.CHECK for flag in flags):
        return (
            f"You told me {states}. Has a doctor seen you and said you're fine to exercise? "
            "Say yes to clear it."
        )
    return (
        f"You told me {states}. Has that cleared up, or has a doctor or physiotherapist said "
        "you can run? Say yes to clear it."
    )


def _what(flags: Sequence[RedFlag]) -> str:
    areas = list(dict.fromkeys(f"your {area_name(f.area)}" for f in flags if f.area is not None))
    return and_list(areas) if areas else "it"


def _why(flags: Sequence[RedFlag]) -> str:
    return SIGNS[flags[0].sign].why
