"""Handlers that answer from the training log: how hard a run felt, how tired, when to go hard.

The training-load rules are imported when a question needs them, not at a cold start (about
14 ms of the first answer to "how should I recover"; see bench/results.md).
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from routines.context import DistanceUnit
from skill.handlers.common import (
    OFFER_PLAN,
    IntentHandler,
    elicit,
    load_history,
    request_time,
    respond,
    slot_number,
    unit_for,
    update_history,
)
from skill.history import History
from skill.speech import ANYTHING_ELSE, Reply

EFFORT_SLOT = "effort"
ASK_EFFORT = "How hard did that feel, from 1 to 10?"
RATE_INTENT = "RateRunIntent"
CARD_TITLE = "Your training"
ASK_SOMETHING = "You can ask how tired you are, when you can run hard again, or how your week went."
NO_RECENT_RUN = (
    "I don't have a run from the past few days to rate. Tell me about your run first, "
    "or import it from your watch or Strava."
)


def ask_effort(handler_input: HandlerInput, said: str) -> Response:
    """After `said`, ask how hard the run felt; the bare answer ("a seven") rates it."""
    return elicit(
        handler_input,
        EFFORT_SLOT,
        Reply(speech=f"{said} {ASK_EFFORT}", reprompt=ASK_EFFORT),
        intent_name=RATE_INTENT,
    )


class RateRunHandler(IntentHandler):
    """Take "that felt like a seven": the run's effort, and its load where heart rate is missing."""

    intent_name = RATE_INTENT

    def handle(self, handler_input: HandlerInput) -> Response:
        """Rate the latest recent run, then offer the plan."""
        effort = slot_number(handler_input, EFFORT_SLOT)
        if effort is None or effort != int(effort) or not 1 <= effort <= 10:
            return elicit(
                handler_input,
                EFFORT_SLOT,
                Reply(
                    speech="Please rate it as a whole number from 1, very easy, to 10, flat out.",
                    reprompt=ASK_EFFORT,
                ),
            )
        now = request_time(handler_input)
        rpe = int(effort)
        _, history = update_history(handler_input, lambda stored: stored.with_effort(rpe, now))
        run = history.rated_run(now)
        if run is None:
            return respond(handler_input, Reply(speech=NO_RECENT_RUN, reprompt=NO_RECENT_RUN))
        noted = f"Got it: {rpe} out of 10."
        if run.load_method == "srpe" and run.load is not None:
            noted += f" With its time, that's a training load of about {round(run.load)}."
        return respond(
            handler_input,
            Reply(
                speech=f"{noted} Want your recovery plan?",
                reprompt="Want your recovery plan?",
                offer=OFFER_PLAN,
            ),
        )


def _soreness(history: History, now: datetime) -> tuple[int | None, datetime | None]:
    """Return the soreness that still counts (0-10, an unrated report as the usual 4) and when."""
    level = history.context(now).soreness
    if level is None or history.soreness is None:
        return None, None
    return int(level), history.soreness.at


class TrainingHandler(IntentHandler):
    """Answer a question about training from the runner's whole log, with the week on the card."""

    def __init__(self, timezone: tzinfo | None = None) -> None:
        self.timezone = timezone

    def handle(self, handler_input: HandlerInput) -> Response:
        """Answer from the stored runs, soreness and red flags."""
        now = request_time(handler_input)
        history = load_history(handler_input)
        zone = self.timezone or UTC
        unit = unit_for(handler_input, history.unit)
        speech = self.answer(history, now, zone, unit)
        from routines.load_answers import week_card
        from routines.week import week_summary

        return respond(
            handler_input,
            Reply(
                speech=f"{speech} {ANYTHING_ELSE}",
                reprompt=ASK_SOMETHING,
                card_title=CARD_TITLE,
                card_text=f"{speech}\n\n{week_card(week_summary(history.runs, now, zone), unit)}",
            ),
        )

    def answer(self, history: History, now: datetime, zone: tzinfo, unit: DistanceUnit) -> str:
        """Return what to say."""
        raise NotImplementedError


class HowTiredHandler(TrainingHandler):
    """Answer "how tired am I?" from form (fitness minus fatigue) and soreness."""

    intent_name = "HowTiredIntent"

    def answer(self, history: History, now: datetime, zone: tzinfo, unit: DistanceUnit) -> str:
        """Say the tiredness level and the figures behind it."""
        from routines.load_answers import tired_answer
        from routines.readiness import how_tired

        soreness, _ = _soreness(history, now)
        return tired_answer(how_tired(history.runs, now, zone, soreness))


class HardAgainHandler(TrainingHandler):
    """Answer "when can I run hard again?": a red flag always wins."""

    intent_name = "HardAgainIntent"

    def answer(self, history: History, now: datetime, zone: tzinfo, unit: DistanceUnit) -> str:
        """Say how many hours, and what sets them."""
        from routines.load_answers import hard_again_answer
        from routines.readiness import when_hard_again

        soreness, at = _soreness(history, now)
        hard = when_hard_again(history.runs, soreness, history.health, now, zone, at)
        return hard_again_answer(hard, unit)


class WeekSummaryHandler(TrainingHandler):
    """Answer "how was my week?" with distance, time, load, easy share and the 10% rule."""

    intent_name = "WeekSummaryIntent"

    def answer(self, history: History, now: datetime, zone: tzinfo, unit: DistanceUnit) -> str:
        """Sum up the last 7 days against the 7 before."""
        from routines.load_answers import week_answer
        from routines.week import week_summary

        return week_answer(week_summary(history.runs, now, zone), unit)
