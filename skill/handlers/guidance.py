"""Handlers that answer with recovery guidance, one per intent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import tzinfo
from enum import StrEnum
from typing import Any, TypeVar

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from routines import (
    BodyArea,
    InvalidContextError,
    Knowledge,
    PainFlag,
    RunRecord,
    RunType,
    area_advice,
    build_plan,
    load_knowledge,
    training_load,
    triage,
)
from routines.area_advice import AreaAdvice
from routines.context import RACE_DISTANCE_KM, DistanceUnit
from routines.gate import RunRequest, decide
from routines.health import AREA_NAMES, HealthState, area_is, area_name
from routines.plan import run_tomorrow_advice, training_notes
from routines.urgency import DOCTOR_SIGNS, red_flag_advice
from skill.handlers.common import (
    OFFER_PLAN,
    IntentHandler,
    elicit,
    load_history,
    parse_duration,
    request_time,
    respond,
    slot_id,
    slot_number,
    slot_value,
    slot_values,
    unit_for,
    update_history,
)
from skill.handlers.health import recheck_due
from skill.handlers.home import GATED, share_health
from skill.handlers.training import ask_effort
from skill.history import History, SorenessReport
from skill.home import HomeAccess
from skill.run_slots import (
    DISTANCE_SLOTS,
    KILOMETERS_SLOT,
    MILES_SLOT,
    UNIT_SLOT,
    run_distance,
    said_unit,
)
from skill.run_time import RunMoment, run_moment, spoken_when
from skill.speech import (
    ANYTHING_ELSE,
    Reply,
    area_reply,
    describe_recorded_run,
    describe_run,
    format_distance,
    plan_reply,
    topic_reply,
)

E = TypeVar("E", bound=StrEnum)

ASK_SOMETHING = "You can ask me how to recover, or tell me how you feel."
ASK_DISTANCE = "How far did you run?"
ASK_AREA = "Which area is sore?"


class GetRecoveryPlanHandler(IntentHandler):
    """Answer "how should I recover?" from the latest run and soreness report."""

    intent_name = "GetRecoveryPlanIntent"

    def __init__(self, access: HomeAccess | None = None, timezone: tzinfo | None = None) -> None:
        self.access = access
        self.timezone = timezone

    def handle(self, handler_input: HandlerInput) -> Response:
        """Speak the first part of the plan and put the whole plan on a card."""
        now = request_time(handler_input)
        history = load_history(handler_input)
        unit = unit_for(handler_input, history.unit)
        context = history.context(now)
        asked_about = _enum(RunType, slot_id(handler_input, "runType"))
        if asked_about is not None and history.latest_run(now) is None:
            # "How do I recover after a marathon?" with nothing logged: plan for that run type.
            context = replace(context, run_type=asked_about)
        plan = build_plan(
            context, training_load(history.runs, now), unit=unit, health=history.health
        )
        offers = home_offers(handler_input, self.access, history.health)
        latest = history.latest_run(now)
        run_words = None
        if latest is not None and latest.imported:
            # A watch or Strava told us about this run: say which one, the runner didn't.
            when = spoken_when(latest.at, now, self.timezone)
            run_words = describe_recorded_run(latest, when, unit)
        return respond(handler_input, plan_reply(plan, load_knowledge(), unit, offers, run_words))


class LogRunHandler(IntentHandler):
    """Log a run ("I just ran ten miles", "I ran a half marathon yesterday")."""

    intent_name = "LogRunIntent"

    def __init__(self, access: HomeAccess | None = None, timezone: tzinfo | None = None) -> None:
        self.access = access
        self.timezone = timezone

    def handle(self, handler_input: HandlerInput) -> Response:
        """Store the run at the time it was run, with any soreness said, and offer the plan."""
        now = request_time(handler_input)
        # Only the runner's unit is needed before saving; the whole history is read once, there.
        stored = History.unit_in(handler_input.attributes_manager.persistent_attributes)
        slots = slot_values(handler_input)
        run_type = _enum(RunType, slots.get("runType"))
        said_in = said_unit(slots)
        unit = said_in or unit_for(handler_input, stored)
        measured = run_distance(slots, unit)
        duration_text = slot_value(handler_input, "duration")
        duration = parse_duration(duration_text) if duration_text else None
        if measured is None and duration is None and run_type not in RACE_DISTANCE_KM:
            return _ask_distance(handler_input, unit, "")
        moment = run_moment(slots.get("when"), now, self.timezone)
        area = _enum(BodyArea, slot_id(handler_input, "area"))
        try:
            run = RunRecord(
                at=moment.at,
                distance_km=measured[1].to_km(measured[0]) if measured is not None else None,
                duration_s=duration,
                run_type=run_type,
            )
            context = run.context(now)
        except InvalidContextError:
            return _ask_distance(
                handler_input, unit, "That doesn't sound like a distance I can log. "
            )
        sore = SorenessReport(at=now, areas=frozenset({area})) if area is not None else None

        def log(stored: History) -> History:
            logged = stored.with_run(run, said_in)
            return logged.with_report(sore) if sore is not None else logged

        before, history = update_history(handler_input, log)
        if history.health != before.health:
            share_health(handler_input, self.access, history.health)
        load = training_load(history.runs, now)
        week = (
            format_distance(load.this_week_km, unit)
            .replace("mile", "miles")
            .replace("kilometre", "kilometres")
        )
        speech = " ".join(
            part
            for part in (
                _logged(describe_run(context, unit), moment),
                f"I've noted that your {AREA_NAMES[area]} {area_is(area)} sore too."
                if area
                else "",
                f"That makes {week} in the last 7 days.",
            )
            if part
        )
        if run.duration_s is not None and run.rpe is None:
            # With its time known, how hard it felt gives the run's training load.
            return ask_effort(handler_input, speech)
        return respond(
            handler_input,
            Reply(
                speech=f"{speech} Want your recovery plan?",
                reprompt="Want your recovery plan?",
                offer=OFFER_PLAN,
            ),
        )


def _logged(run: str, moment: RunMoment) -> str:
    """Say the run is logged, and when, so a wrong day can be caught at once."""
    if not moment.spoken:
        return f"Nice work on {run}! I've logged it."
    if moment.not_yet:
        named = moment.spoken[:1].upper() + moment.spoken[1:]
        return f"Nice work on {run}! {named} hasn't come yet, so I've logged it as just now."
    return f"Nice work! I've logged {run} from {moment.spoken}."


def _ask_distance(handler_input: HandlerInput, unit: DistanceUnit, prefix: str) -> Response:
    """Ask how far, in the runner's own unit: a bare "ten" then means ten of those."""
    slot, example = (
        (MILES_SLOT, "five miles")
        if unit is DistanceUnit.MILES
        else (KILOMETERS_SLOT, "five kilometres")
    )
    return elicit(
        handler_input,
        slot,
        Reply(
            speech=f"{prefix}{ASK_DISTANCE} For example: {example}.",
            reprompt=ASK_DISTANCE,
        ),
        cleared=(*DISTANCE_SLOTS, UNIT_SLOT, "duration") if prefix else (),
    )


class ReportSorenessHandler(IntentHandler):
    """Take "my calves are sore" or "my soreness is a seven" and tailor the plan."""

    intent_name = "ReportSorenessIntent"

    def __init__(self, access: HomeAccess | None = None) -> None:
        self.access = access

    def handle(self, handler_input: HandlerInput) -> Response:
        """Remember the soreness and answer with the plan it leads to."""
        level = slot_number(handler_input, "level")
        if level is not None and not (0 <= level <= 10 and level == int(level)):
            return elicit(
                handler_input,
                "level",
                Reply(
                    speech="Please rate your soreness as a whole number from 0 to 10.",
                    reprompt="How sore are you, from 0 to 10?",
                ),
            )
        area = _enum(BodyArea, slot_id(handler_input, "area"))
        if area is None and level is None:
            # "I'm sore" says nothing to tailor the plan with: ask where, keeping the dialog open.
            heard = slot_value(handler_input, "area")
            prefix = f"I don't know {heard} as a place runners get sore. " if heard else ""
            return elicit(
                handler_input,
                "area",
                Reply(
                    speech=f"{prefix}{ASK_AREA} For example: my calves, or my hamstrings.",
                    reprompt=ASK_AREA,
                ),
            )
        report = SorenessReport(
            at=request_time(handler_input),
            level=int(level) if level is not None else None,
            areas=frozenset({area}) if area else frozenset(),
        )
        return _report_and_plan(handler_input, report, self.access)


class ReportPainHandler(IntentHandler):
    """Take "I have a sharp pain in my knee" and triage it honestly."""

    intent_name = "ReportPainIntent"

    def __init__(self, access: HomeAccess | None = None) -> None:
        self.access = access

    def handle(self, handler_input: HandlerInput) -> Response:
        """Remember the pain and answer with triage first."""
        area = _enum(BodyArea, slot_id(handler_input, "area"))
        flag = _enum(PainFlag, slot_id(handler_input, "sign"))
        flags = {flag} if flag else set()
        if area is not None and flag is None:
            # Pain the user points to in one place, without a word for it, is localised pain.
            flags.add(PainFlag.LOCALISED)
        report = SorenessReport(
            at=request_time(handler_input),
            areas=frozenset({area}) if area else frozenset(),
            flags=frozenset(flags or {PainFlag.LOCALISED}),
        )
        return _report_and_plan(handler_input, report, self.access)


class TopicHandler(IntentHandler):
    """Answer a question about one topic of the guidance, for one body area where it can."""

    def __init__(self, intent_name: str, topic: str) -> None:
        self.intent_name = intent_name
        self.topic = topic

    def handle(self, handler_input: HandlerInput) -> Response:
        """Speak what the articles say about the topic, applied to the area asked about."""
        knowledge = load_knowledge()
        title = TOPIC_TITLES[self.topic]
        area = _enum(BodyArea, slot_id(handler_input, "area"))
        answer = AREA_ANSWERS.get(self.topic)
        if area is None or answer is None:
            return respond(handler_input, topic_reply(knowledge, self.topic, title))
        history = load_history(handler_input)
        soreness = history.context(request_time(handler_input)).soreness
        advice = answer(knowledge, area, history.health, soreness)
        return respond(handler_input, area_reply(knowledge, advice, _area_title(title, area)))


# Topics whose answer can be applied to one body area ("ice or heat for my calves").
AREA_ANSWERS: dict[str, Callable[[Knowledge, BodyArea, HealthState, int | None], AreaAdvice]] = {
    "ice_heat": area_advice.ice_or_heat,
    "why_sore": area_advice.why_sore,
}


TOPIC_TITLES: dict[str, str] = {
    "why_sore": "Why you're sore",
    "injury_signs": "Sore or injured?",
    "stretching": "Stretching",
    "hydration": "Hydration",
    "ice_heat": "Ice or heat?",
    "food": "Refuelling",
    "epsom_bath": "Epsom salt bath",
    "foam_rolling": "Foam rolling",
    "massage": "Massage",
    "compression": "Compression",
    "magnesium": "Magnesium",
    "cbd": "CBD",
    "turmeric": "Turmeric",
    "sleep": "Sleep",
    "light_activity": "Active recovery",
    "rest": "Rest days",
    "training": "Building mileage",
    "warm_up": "Warming up",
    "pain_relievers": "Pain relievers",
    "sunlight": "Sunlight",
}


class InjuryCheckHandler(IntentHandler):
    """Answer "when should I see a doctor?": the signs, or what to do about the ones reported."""

    intent_name = "InjuryCheckIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        """Speak the runner's own red-flag advice, else the signs to watch for."""
        return respond(handler_input, injury_answer(handler_input))


def injury_answer(handler_input: HandlerInput) -> Reply:
    """Answer about injury signs, for the area asked about if any, assuming none were reported."""
    history = load_history(handler_input)
    now = request_time(handler_input)
    soreness = history.context(now).soreness
    knowledge = load_knowledge()
    area = _enum(BodyArea, slot_id(handler_input, "area"))
    if area is not None:
        answer = area_advice.injury_check(knowledge, area, history.health, soreness)
        title = _area_title(TOPIC_TITLES["injury_signs"], area)
        return area_reply(knowledge, answer, title, (DOCTOR_SIGNS,))
    advice = red_flag_advice(history.health, soreness)
    card = [DOCTOR_SIGNS, "", knowledge.professional_advice]
    if advice is not None:
        return Reply(
            speech=f"{advice} {ANYTHING_ELSE}",
            reprompt=ASK_SOMETHING,
            card_title=TOPIC_TITLES["injury_signs"],
            card_text="\n".join([advice, "", *card]),
        )
    return Reply(
        speech=f"{DOCTOR_SIGNS} {ANYTHING_ELSE}",
        reprompt=ASK_SOMETHING,
        card_title=TOPIC_TITLES["injury_signs"],
        card_text="\n".join(card),
    )


class RecoveryTopicHandler(IntentHandler):
    """Answer "what about foam rolling?" for any topic the articles cover."""

    intent_name = "RecoveryTopicIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        """Speak the topic the slot names, or list what I know about."""
        topic = slot_id(handler_input, "topic")
        if topic == "injury_signs":
            return respond(handler_input, injury_answer(handler_input))
        if topic not in TOPIC_TITLES:
            heard = slot_value(handler_input, "topic")
            prefix = f"I don't have advice about {heard}. " if heard else ""
            return elicit(
                handler_input,
                "topic",
                Reply(
                    speech=f"{prefix}I can tell you about stretching, warming up, foam rolling, "
                    "massage, Epsom baths, compression, magnesium, turmeric, CBD, sleep, food, "
                    "drinks, ice and heat, active recovery, rest days and sunlight. "
                    "Which would you like?",
                    reprompt="Which topic would you like?",
                ),
            )
        return respond(handler_input, topic_reply(load_knowledge(), topic, TOPIC_TITLES[topic]))


class RunTomorrowHandler(IntentHandler):
    """Answer "should I run tomorrow?" from triage and training load."""

    intent_name = "RunTomorrowIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        """Say yes, easy, or no, and why."""
        now = request_time(handler_input)
        history = load_history(handler_input)
        running = decide(history.health, RunRequest())
        if not running.allowed:
            question = recheck_due(handler_input, history, now)
            if question is not None:
                return respond(handler_input, question.after(running.reason))
            return respond(
                handler_input,
                Reply(speech=f"{running.reason} {ANYTHING_ELSE}", reprompt=ASK_SOMETHING),
            )
        context = history.context(now)
        result = triage(context)
        parts = [run_tomorrow_advice(context, result)]
        if result.needs_professional:
            parts.append(load_knowledge().professional_advice)
        load = training_load(history.runs, now)
        if load.over_ten_percent:
            parts.append(training_notes(load, unit_for(handler_input, history.unit))[1])
        return respond(
            handler_input,
            Reply(speech=" ".join([*parts, ANYTHING_ELSE]), reprompt=ASK_SOMETHING),
        )


class MileageHandler(IntentHandler):
    """Answer "how fast should I build mileage?" with the 10% rule applied to the log."""

    intent_name = "MileageIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        """Apply the 10% and 80% easy rules to the logged runs."""
        now = request_time(handler_input)
        history = load_history(handler_input)
        notes = training_notes(
            training_load(history.runs, now), unit_for(handler_input, history.unit)
        )
        running = decide(history.health, RunRequest())
        if not running.allowed:
            notes = (running.reason, "Once it's cleared:", *notes)
        knowledge = load_knowledge()
        gradual = knowledge.tip("gradual_increase").say
        return respond(
            handler_input,
            Reply(
                speech=" ".join([*notes, ANYTHING_ELSE]),
                reprompt=ASK_SOMETHING,
                card_title=TOPIC_TITLES["training"],
                card_text="\n".join([*notes, gradual, knowledge.tip("weekly_rest_days").say]),
            ),
        )


def home_offers(
    handler_input: HandlerInput, access: HomeAccess | None, health: HealthState
) -> dict[str, dict[str, Any]]:
    """Offer to start the bath or the heating pad where a plan recommends them and it's safe."""
    system = getattr(handler_input.request_envelope.context, "system", None)
    user = getattr(getattr(system, "user", None), "user_id", None)
    if access is None or access.home_for(user) is None:
        return {}
    bath_c = access.safety.bath_default_c
    minutes = access.safety.heat_default_minutes
    offers = {
        "epsom_bath": {
            "verb": "bath/fill",
            "params": {"temperature_c": bath_c, "epsom": True},
            "question": f"Want me to draw you a warm Epsom bath at {bath_c:g} degrees?",
        },
        "heat_if_persists": {
            "verb": "heat/start",
            "params": {"minutes": minutes},
            "question": f"Want me to turn on your heating pad for {minutes} minutes?",
        },
    }
    return {
        tip: offer
        for tip, offer in offers.items()
        if decide(health, GATED[str(offer["verb"])]).allowed
    }


def _report_and_plan(
    handler_input: HandlerInput, report: SorenessReport, access: HomeAccess | None
) -> Response:
    now = request_time(handler_input)
    before, history = update_history(handler_input, lambda stored: stored.with_report(report))
    if history.health != before.health:
        share_health(handler_input, access, history.health)
    unit = unit_for(handler_input, history.unit)
    context = history.context(now)
    plan = build_plan(context, training_load(history.runs, now), unit=unit, health=history.health)
    offers = home_offers(handler_input, access, history.health)
    reply = plan_reply(plan, load_knowledge(), unit, offers)
    areas = sorted(report.areas)
    if areas and plan.red_flag_advice is None and not plan.triage.needs_professional:
        names = " and ".join(AREA_NAMES[area] for area in areas)
        verb = area_is(areas[0]) if len(areas) == 1 else "are"
        reply = replace(reply, speech=f"Sorry your {names} {verb} hurting. {reply.speech}")
    return respond(handler_input, reply)


def _area_title(title: str, area: BodyArea) -> str:
    return f"{title} ({area_name(area)})"


def _enum(kind: type[E], value: str | None) -> E | None:
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError:
        return None
