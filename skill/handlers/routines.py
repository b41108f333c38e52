"""Home routines by voice: start (after a yes), stop, what's next, and which there are."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from routines.words import and_list
from skill import home_speech
from skill.handlers.common import elicit, respond, slot_id, slot_value
from skill.handlers.home import (
    ASK_NEXT,
    _HomeHandler,
    ask_to_confirm,
    carry_out,
    health_params,
    home_of,
)
from skill.home import HomeAccess
from skill.speech import Reply
from skill.text import normalize

if TYPE_CHECKING:
    from mqtt_bridge.reply_types import HomeState, RoutineName

DEFAULT_ROUTINE = "long_run_recovery"
# What a routine uses, said before asking to start it.
USES = {"stretches": "stretches", "heat": "the heating pad", "bath": "the bath"}


def _match(
    wanted: str | None, spoken: str | None, routines: list[RoutineName]
) -> RoutineName | None:
    """Find a routine by slot id, or by what was said against names and titles."""
    if wanted:
        found = next((r for r in routines if r.name == wanted), None)
        if found:
            return found
    if spoken:
        said = normalize(spoken).replace(" routine", "")
        for routine in routines:
            names = {normalize(routine.title), normalize(routine.name.replace("_", " "))}
            if said in names:
                return routine
    return None


class StartRoutineHandler(_HomeHandler):
    """Start a routine at home, after a yes."""

    intent_name = "StartRoutineIntent"

    def handle_home(self, handler_input: HandlerInput, access: HomeAccess) -> Response:
        """Find the routine on the bridge and ask to start it."""
        # The reply models need pydantic: imported once a home answers, never on a cold start.
        from mqtt_bridge.reply_types import HomeState, RoutineStarted

        home = home_of(handler_input, access)
        assert home is not None
        status = access.request(home, "status")
        if not status.ok:
            return respond(
                handler_input,
                Reply(speech=home_speech.failure("start a routine", status), reprompt=ASK_NEXT),
            )
        routines = status.expect(HomeState).routines
        spoken = slot_value(handler_input, "routine")
        wanted = slot_id(handler_input, "routine") or (None if spoken else DEFAULT_ROUTINE)
        routine = _match(wanted, spoken, routines)
        if routine is None:
            names = ", ".join(r.title for r in routines)
            return elicit(
                handler_input,
                "routine",
                Reply(
                    speech=f"I don't know a routine called {spoken}. You have: {names}. Which one?",
                    reprompt="Which routine?",
                ),
            )
        # The bridge's gate says, before we ask, what this runner's health leaves of the routine.
        params = {"name": routine.name, "dry_run": True, **health_params(handler_input)}
        check = access.request(home, "routine/start", params)
        if not check.ok:
            speech = home_speech.failure("start the routine", check)
            return respond(handler_input, Reply(speech=f"{speech} {ASK_NEXT}", reprompt=ASK_NEXT))
        allowed = check.expect(RoutineStarted)
        note = f"{allowed.note} " if allowed.note else ""
        uses = [USES[kind] for kind in allowed.uses if kind in USES]
        said = f" It uses {and_list(uses)}." if uses else ""
        question = f"{note}Start the {routine.title} routine?{said}"
        action = {"verb": "routine/start", "params": {"name": routine.name}}
        return ask_to_confirm(handler_input, question, action)


class StopRoutineHandler(_HomeHandler):
    """Stop the routine (and whatever it started)."""

    intent_name = "StopRoutineIntent"

    def handle_home(self, handler_input: HandlerInput, access: HomeAccess) -> Response:
        """Stop at once; stopping needs no confirmation."""
        return respond(handler_input, carry_out(handler_input, access, {"verb": "routine/stop"}))


class WhatsNextHandler(_HomeHandler):
    """Answer "what's next?" for the running routine."""

    intent_name = "WhatsNextIntent"

    def handle_home(self, handler_input: HandlerInput, access: HomeAccess) -> Response:
        """Say the current and the next step."""
        return self.answer_from_status(
            handler_input, access, "check the routine", lambda state, _: describe_routine(state)
        )


class ListRoutinesHandler(_HomeHandler):
    """List the routines the home bridge has."""

    intent_name = "ListRoutinesIntent"

    def handle_home(self, handler_input: HandlerInput, access: HomeAccess) -> Response:
        """Name them, and how to start one."""
        # The reply models need pydantic: imported once a home answers, never on a cold start.
        from mqtt_bridge.reply_types import HomeState

        outcome, _ = self.status(handler_input, access)
        if not outcome.ok:
            speech = home_speech.failure("list your routines", outcome)
        else:
            titles = [r.title for r in outcome.expect(HomeState).routines]
            speech = (
                f"You have {len(titles)} routines: {and_list(titles)}. "
                f"To start one, say: start the {titles[0]} routine."
                if titles
                else "There are no routines set up."
            )
        return respond(handler_input, Reply(speech=speech, reprompt=ASK_NEXT))


def describe_routine(state: HomeState) -> str:
    """Say where the routine is."""
    routine = state.routine
    if routine is None:
        return "No routine is running. You can say: start the cool-down stretches routine."
    status, title = routine.status, routine.title
    if status == "interrupted":
        return f"The {title} routine was interrupted when the home bridge restarted."
    if status in ("finished", "stopped"):
        return f"The {title} routine has {status}."
    now, upcoming = routine.step_title, routine.next_step_title
    speech = f"In the {title} routine, now: {now}."
    speech += f" Next: {upcoming}." if upcoming else " That's the last step."
    if status == "paused":
        speech += " It's paused."
    return speech
