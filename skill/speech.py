"""Compose what Alexa says: short spoken answers, more on request, the full plan on a card."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from routines import Knowledge, RecoveryPlan, RunContext, RunRecord, Timing, Triage
from routines.area_advice import AreaAdvice, Said
from routines.context import DistanceUnit, RunType
from routines.plan import TIMING_TITLES, Stage
from routines.words import RUN_NAMES

WANT_MORE = "Want to hear more?"
MEANWHILE = "Want tips meanwhile?"
ANYTHING_ELSE = "What else can I help with?"
NEARBY = "What they do say nearby:"
# Medicines and injury signs always come with the advice to ask a professional.
PROFESSIONAL_TOPICS = frozenset({"pain_relievers", "injury_signs"})
TIPS_PER_CHUNK = 2
CARD_TITLE = "Your recovery plan"

# Races whose name already says how far they are, so the distance is not said again.
NAMED_RACES = frozenset(
    {
        RunType.FIVE_K,
        RunType.PARKRUN,
        RunType.TEN_K,
        RunType.TEN_MILER,
        RunType.HALF_MARATHON,
        RunType.MARATHON,
    }
)

# How the first part of a plan is introduced.
LEAD_LABELS: dict[Timing, str] = {Timing.NOW: "Right now:", Timing.TODAY: "Today:"}

TRIAGE_OPENERS: dict[Triage, str] = {
    Triage.URGENT: "Please take this seriously:",
    Triage.POSSIBLE_INJURY: "Take care:",
    Triage.VERY_SORE: "You're very sore, so today is about rest:",
    Triage.NORMAL: "",
}


def ssml(text: str) -> str:
    """Escape plain text for use inside an SSML <speak> element."""
    # XML's five escapes. Not xml.sax.saxutils (it drags urllib into a cold start), and not
    # str.translate, which is slow on text with non-ASCII letters such as our dashes.
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&apos;")
    )


@dataclass(frozen=True)
class Part:
    """A queued part of an answer, optionally offering a home action ("Want me to draw one?")."""

    text: str
    offer: Mapping[str, Any] | None = None

    def to_session(self) -> dict[str, Any]:
        return {"text": self.text, "offer": dict(self.offer) if self.offer else None}

    @classmethod
    def from_session(cls, raw: Any) -> Part:
        if isinstance(raw, Mapping):
            offer = raw.get("offer")
            return cls(str(raw.get("text", "")), offer if isinstance(offer, Mapping) else None)
        return cls(str(raw))


@dataclass(frozen=True)
class Reply:
    """One answer: what is said now, what is queued for "yes", and the card."""

    speech: str
    reprompt: str | None = None
    more: tuple[Part | str, ...] = ()
    card_title: str | None = None
    card_text: str | None = None
    end_session: bool = False
    offer: str | None = None
    keep_action: bool = False
    ssml: str | None = None  # pre-built SSML (paced stretches); `speech` is its plain-text gist

    def __post_init__(self) -> None:
        if not self.speech.strip():
            raise ValueError("a reply must say something")

    @property
    def parts(self) -> tuple[Part, ...]:
        """Return the queued parts, plain strings included."""
        return tuple(p if isinstance(p, Part) else Part(p) for p in self.more)


@dataclass(frozen=True)
class Chunks:
    """Sentences split into a first answer and the parts that follow on "yes"."""

    first: str
    rest: tuple[str, ...] = field(default_factory=tuple)


def format_distance(km: float, unit: DistanceUnit) -> str:
    """Say a distance in the runner's unit, e.g. '10 mile' or '21.1 kilometre'."""
    value = unit.from_km(km)
    number = f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.1f}"
    return f"{number} {'mile' if unit is DistanceUnit.MILES else 'kilometre'}"


def describe_run(context: RunContext, unit: DistanceUnit) -> str:
    """Name the run in a few words, e.g. 'your 10 mile long run'."""
    name = RUN_NAMES[context.run_type] if context.run_type else "run"
    if context.run_type in NAMED_RACES:
        return f"your {name}"
    if context.distance_km is not None:
        return f"your {format_distance(context.distance_km, unit)} {name}"
    if context.duration_s is not None:
        return f"your {round(context.duration_s / 60)} minute {name}"
    return f"your {name}"


def spoken_duration(seconds: float) -> str:
    """Say a run's time the way runners do: '48 minutes', '1 hour 52', '2 hours'."""
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hour_words = f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{hour_words} {minutes}" if minutes else hour_words


def describe_recorded_run(run: RunRecord, when: str, unit: DistanceUnit) -> str:
    """Name a recorded run, when and how long: 'your 21.1 kilometre run this morning, 1 hour 52'."""
    name = RUN_NAMES[run.run_type] if run.run_type else "run"
    if run.distance_km:
        name = f"{format_distance(run.distance_km, unit)} {name}"
    words = f"your {name} {when}"
    return f"{words}, {spoken_duration(run.duration_s)}" if run.duration_s else words


def plan_reply(
    plan: RecoveryPlan,
    knowledge: Knowledge,
    unit: DistanceUnit,
    offers: Mapping[str, Mapping[str, Any]] | None = None,
    run_words: str | None = None,
) -> Reply:
    """Speak the start of a plan, queue the rest, and put all of it on the card.

    `run_words` names the run when the skill knows it better than the context says (a recorded
    run: when it was and how long it took).
    """
    context = plan.context
    has_run = (
        context.distance_km is not None or context.duration_s is not None or bool(context.run_type)
    )
    intro = (
        _intro(plan, run_words or describe_run(context, unit))
        if has_run
        else ("Here's how to recover after a run.")
    )
    # The moment the first part speaks for; only a plan without red flags moves it to "today".
    lead = Timing.NOW
    opener = TRIAGE_OPENERS[plan.triage.level]
    parts: list[str] = []
    if opener:
        parts.append(f"{opener} {_sentence(plan.triage.reasons[0])}")
    now = plan.at(Timing.NOW)
    if plan.red_flag_advice is not None:
        if plan.triage.level is Triage.URGENT:
            return urgent_reply(plan)
        # Local injury signs: what to do, briefly; the safe tips wait for "yes".
        spoken_now = 0
        first = f"{plan.red_flag_advice} {MEANWHILE}"
    elif plan.triage.needs_professional:
        # Red flags: only the warning and the advice to see someone; the rest waits for "yes".
        spoken_now = 1
        first = " ".join([*parts, *(tip.say for tip in now[:spoken_now])])
        first = f"{first} {plan.professional_advice}" if plan.professional_advice else first
    else:
        # Within a few hours of the run the plan starts "right now"; later it starts "today".
        lead = Timing.NOW if plan.stage is Stage.JUST_FINISHED else Timing.TODAY
        now = plan.at(lead)
        spoken_now = TIPS_PER_CHUNK
        heading = [LEAD_LABELS[lead]] if now else []
        first = " ".join([intro, *parts, *heading, *(tip.say for tip in now[:spoken_now])])
    leftover_now = now[spoken_now:]
    offers = offers or {}
    rest: list[Part | str] = []
    for start in range(0, len(leftover_now), TIPS_PER_CHUNK):
        rest.append(" ".join(tip.say for tip in leftover_now[start : start + TIPS_PER_CHUNK]))
    for timing in (Timing.WITHIN_30_MIN, Timing.TODAY, Timing.TONIGHT, Timing.TOMORROW):
        if timing is lead:
            continue
        tips = plan.at(timing)
        for start in range(0, len(tips), TIPS_PER_CHUNK):
            chunk = tips[start : start + TIPS_PER_CHUNK]
            label = f"{TIMING_TITLES[timing]}: " if start == 0 else ""
            # A chunk that recommends a bath or heat offers to start it, if a home is linked.
            offer = next((offers[tip.id] for tip in chunk if tip.id in offers), None)
            rest.append(Part(label + " ".join(tip.say for tip in chunk), offer))
    rest.append(f"Should you run tomorrow? {plan.run_tomorrow}")
    rest.append(" ".join(plan.training_notes))
    rest.extend(d.say for d in plan.disagreements)
    return Reply(
        speech=first if plan.red_flag_advice else f"{first} {WANT_MORE}",
        reprompt=f"{WANT_MORE} Or tell me how you feel.",
        more=tuple(rest),
        card_title=CARD_TITLE,
        card_text=plan_card(plan, knowledge, unit),
    )


def urgent_reply(plan: RecoveryPlan) -> Reply:
    """Say the urgent action alone: no tips, no pain relievers, no stretching after it."""
    assert plan.red_flag_advice is not None
    card = "\n".join([plan.red_flag_advice, "", "Why: " + "; ".join(plan.triage.reasons) + "."])
    return Reply(
        speech=plan.red_flag_advice,
        card_title="Get medical help",
        card_text=card,
        end_session=True,
    )


def _intro(plan: RecoveryPlan, run: str) -> str:
    hours = plan.context.hours_since_run or 0.0
    if plan.stage is Stage.LATER_THAT_DAY:
        return f"Here's the rest of your recovery after {run}."
    if plan.stage is Stage.NEXT_DAY:
        return f"Here's your recovery the day after {run}."
    if plan.stage is Stage.DAYS_LATER:
        return f"Here's your recovery {max(2, round(hours / 24))} days after {run}."
    return f"Here's your recovery after {run}."


def plan_card(plan: RecoveryPlan, knowledge: Knowledge, unit: DistanceUnit) -> str:
    """Write the whole plan for the Alexa app card."""
    lines: list[str] = []
    if plan.triage.level is not Triage.NORMAL:
        lines.append("Why: " + "; ".join(plan.triage.reasons) + ".")
    if plan.professional_advice:
        lines.append(plan.professional_advice)
    for timing in Timing:
        tips = plan.at(timing)
        if not tips:
            continue
        lines.append("")
        lines.append(TIMING_TITLES[timing])
        for tip in tips:
            lines.append(f"• {tip.say} ({knowledge.sources[tip.source].short})")
    lines += ["", f"Run tomorrow? {plan.run_tomorrow}", *plan.training_notes]
    if plan.disagreements:
        lines += ["", "Where the articles differ", *(f"• {d.say}" for d in plan.disagreements)]
    lines += ["", "Sources", *(f"• {source.title}" for source in knowledge.sources.values())]
    return "\n".join(lines).strip()


def topic_reply(knowledge: Knowledge, topic: str, title: str) -> Reply:
    """Answer a question about one topic, with both sides first where the articles disagree.

    Where the articles don't cover (part of) the topic, say so plainly in the first answer, and
    for a topic they don't cover at all, follow that with what they say nearby.
    """
    own = knowledge.about(topic)
    disagreement = knowledge.disagreement(topic)
    gap = knowledge.gap(topic)
    tips = own or knowledge.nearby(topic)
    if disagreement is not None:
        chunks = Chunks(disagreement.say, tuple(_pairs([tip.say for tip in tips])))
    else:
        chunks = split_chunks([tip.say for tip in tips])
    first = chunks.first
    card = [f"• {tip.say} ({knowledge.sources[tip.source].short})" for tip in tips]
    if gap is not None and own:
        first = f"{first} {gap.say}"
        card += ["", gap.say]
    elif gap is not None:
        first = f"{gap.say} {NEARBY} {first}"
        card = [gap.say, "", NEARBY, *card]
    if topic in PROFESSIONAL_TOPICS:
        first = f"{first} {knowledge.professional_advice}"
    if disagreement is not None:
        card += ["", "Where the articles differ", disagreement.say]
    if topic in PROFESSIONAL_TOPICS:
        card += ["", knowledge.professional_advice]
    return Reply(
        speech=f"{first} {WANT_MORE}" if chunks.rest else f"{first} {ANYTHING_ELSE}",
        reprompt="You can ask me how to recover, or tell me how you feel.",
        more=chunks.rest,
        card_title=title,
        card_text="\n".join(card),
    )


def area_reply(
    knowledge: Knowledge, advice: AreaAdvice, title: str, card_extra: tuple[str, ...] = ()
) -> Reply:
    """Speak an answer about one body area; the card cites each part's article."""
    spoken = " ".join(said.spoken for said in advice.spoken)
    card = [_cited(knowledge, said) for said in (*advice.spoken, *advice.card)]
    card += ["", *card_extra] if card_extra else []
    if advice.professional:
        card += ["", knowledge.professional_advice]
    return Reply(
        speech=f"{spoken} {ANYTHING_ELSE}",
        reprompt="You can ask me how to recover, or tell me how you feel.",
        card_title=title,
        card_text="\n".join(card),
    )


def _cited(knowledge: Knowledge, said: Said) -> str:
    source = knowledge.sources[said.source].short if said.source else "both articles"
    return f"• {said.text} ({source})"


def split_chunks(sentences: list[str]) -> Chunks:
    """Say the first two sentences now and queue the rest two at a time."""
    pairs = list(_pairs(sentences))
    return Chunks(pairs[0] if pairs else "", tuple(pairs[1:]))


def _pairs(sentences: tuple[str, ...] | list[str]) -> list[str]:
    return [
        " ".join(sentences[start : start + TIPS_PER_CHUNK])
        for start in range(0, len(sentences), TIPS_PER_CHUNK)
    ]


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")) if text else ""
