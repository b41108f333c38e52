"""Red flags end only when the runner says so: clearing after a yes, and asking after a few days."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from routines import BodyArea
from routines.health import area_name
from routines.urgency import clear_question, recheck_question, red_flag_advice
from skill.handlers.common import (
    ACTION_KEY,
    IntentHandler,
    load_history,
    request_time,
    respond,
    session_of,
    slot_id,
    update_history,
)
from skill.handlers.home import ASK_NEXT
from skill.history import History
from skill.speech import ANYTHING_ELSE, Reply

CLEAR_FLAGS = "clear_flags"


@dataclass(frozen=True)
class Question:
    """A yes/no question about a red flag, asked after something else is said."""

    text: str

    def after(self, speech: str) -> Reply:
        """Say `speech`, then ask; a yes clears the flag."""
        return Reply(speech=f"{speech} {self.text}", reprompt=self.text, keep_action=True)


def recheck_due(handler_input: HandlerInput, history: History, now: datetime) -> Question | None:
    """Ask "is your ankle better?" when a flag is a few days old; a yes clears it."""
    flag = history.health.due_recheck(now)
    if flag is None:
        return None
    update_history(handler_input, lambda stored: stored.with_health(stored.health.asked(now)))
    session_of(handler_input)[ACTION_KEY] = {
        "verb": CLEAR_FLAGS,
        "area": flag.area.value if flag.area else None,
    }
    return Question(recheck_question(flag, now))


class ClearInjuryHandler(IntentHandler):
    """Take "my ankle is fine now" or "the doctor said I can run", and confirm before clearing."""

    intent_name = "ClearInjuryIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        """Ask to confirm what would be cleared."""
        active = load_history(handler_input).health.active
        area = _area(slot_id(handler_input, "area"))
        if not active:
            return respond(
                handler_input,
                Reply(
                    speech=f"You haven't told me about an injury, so there's nothing to clear. "
                    f"{ANYTHING_ELSE}",
                    reprompt=ASK_NEXT,
                ),
            )
        matching = [flag for flag in active if area is None or flag.area == area]
        if not matching and area is not None:
            held = active[0].state()
            return respond(
                handler_input,
                Reply(
                    speech=f"I don't have anything about your {area_name(area)} on record. "
                    f"You told me {held}. To clear that, say: clear my injury.",
                    reprompt=ASK_NEXT,
                ),
            )
        session_of(handler_input)[ACTION_KEY] = {
            "verb": CLEAR_FLAGS,
            "area": area.value if area else None,
        }
        question = clear_question(matching)
        return respond(
            handler_input, Reply(speech=question, reprompt="Yes or no?", keep_action=True)
        )


def clear_flags(handler_input: HandlerInput, action: Mapping[str, Any]) -> tuple[Reply, History]:
    """Clear the flags a yes confirmed; return what to say and the new history."""
    now = request_time(handler_input)
    area = _area(action.get("area"))
    before, history = update_history(
        handler_input, lambda stored: stored.with_health(stored.health.clear(now, area)[0])
    )
    health, cleared = before.health.clear(now, area)
    if not cleared:
        return Reply(
            speech=f"There was nothing to clear. {ANYTHING_ELSE}", reprompt=ASK_NEXT
        ), history
    where = {flag.area for flag in cleared if flag.area is not None}
    what = f"your {area_name(next(iter(where)))}" if len(where) == 1 else "what you told me about"
    speech = f"Glad to hear it. I've cleared {what}."
    if health.active:
        speech += f" I still have on record that {health.active[0].state()}."
    else:
        speech += " Ease back in gently, and stop if it hurts again."
    return Reply(speech=f"{speech} {ANYTHING_ELSE}", reprompt=ASK_NEXT), history


def keep_flags(handler_input: HandlerInput) -> Reply:
    """Answer a no: the flag stays, with what to do about it."""
    history = load_history(handler_input)
    now = request_time(handler_input)
    advice = red_flag_advice(history.health, history.context(now).soreness)
    speech = "OK, I'll keep it on record."
    if advice:
        speech += f" {advice}"
    return Reply(speech=f"{speech} {ANYTHING_ELSE}", reprompt=ASK_NEXT)


def _area(value: Any) -> BodyArea | None:
    try:
        return BodyArea(value) if value else None
    except ValueError:
        return None
