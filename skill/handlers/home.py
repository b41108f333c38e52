"""Handlers that drive the home: heating pad, bath and status, with confirmation first."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from mqtt_bridge.errors import RefusedError, RequestError
from routines.gate import BathRequest, HeatRequest, Request, decide
from routines.health import HealthState
from skill import home_speech
from skill.handlers.common import (
    ACTION_KEY,
    IntentHandler,
    elicit,
    load_history,
    parse_duration,
    respond,
    session_of,
    slot_id,
    slot_number,
    slot_said,
    slot_value,
)
from skill.handlers.sessions import log_session
from skill.home import HomeAccess, Outcome, runner_id
from skill.speech import ANYTHING_ELSE, Reply

if TYPE_CHECKING:
    from mqtt_bridge.reply_types import HomeState

ASK_NEXT = "What else can I help with?"
ASK_MINUTES = "How many minutes?"
MINUTES_SLOT = "minutes"
DURATION_SLOT = "duration"
EPSOM = "epsom"
# BATH_TYPE slot value ids in the interaction model.
BATH_TYPES = frozenset({EPSOM, "plain"})
QUIET_HOURS_QUESTION = "If you're awake and will stay awake, do you want it on anyway?"

# What each action is called when it fails ("I couldn't turn on the heating pad: ...").
ACTION_NAMES: dict[str, str] = {
    "heat/start": "turn on the heating pad",
    "heat/stop": "turn off the heating pad",
    "bath/fill": "run the bath",
    "bath/stop": "stop the bath",
    "status": "check your home",
    "routine/start": "start the routine",
    "routine/stop": "stop the routine",
}


# What the safety gate is asked before each device action the skill starts.
GATED: dict[str, Request] = {"heat/start": HeatRequest(), "bath/fill": BathRequest()}
# Requests that carry the runner's health, so the bridge's own gate decides on it too.
CARRY_HEALTH = frozenset({"heat/start", "bath/fill", "routine/start"})


def locale_of(handler_input: HandlerInput) -> str:
    """Return the request's locale."""
    return str(getattr(handler_input.request_envelope.request, "locale", None) or "en-US")


def user_of(handler_input: HandlerInput) -> str | None:
    """Return the Alexa user id."""
    system = getattr(handler_input.request_envelope.context, "system", None)
    return getattr(getattr(system, "user", None), "user_id", None)


def home_of(handler_input: HandlerInput, access: HomeAccess | None) -> str | None:
    """Return the home this user controls, if any."""
    return access.home_for(user_of(handler_input)) if access is not None else None


def share_health(
    handler_input: HandlerInput, access: HomeAccess | None, health: HealthState
) -> None:
    """Tell the user's home bridge their red flags, so what it runs is gated on them too."""
    home = home_of(handler_input, access)
    if access is not None and home is not None:
        access.share_health(home, runner_id(user_of(handler_input)), health)


def health_params(handler_input: HandlerInput) -> dict[str, Any]:
    """Return the request parameters that let the bridge's gate decide for this runner."""
    return {
        "runner": runner_id(user_of(handler_input)),
        "health": load_history(handler_input).health.to_dict(),
    }


def refused_by_gate(handler_input: HandlerInput, verb: str) -> str | None:
    """Ask the safety gate about a device action; return the reason when it says no."""
    request = GATED.get(verb)
    if request is None:
        return None
    decision = decide(load_history(handler_input).health, request)
    return None if decision.allowed else decision.reason


def ask_to_confirm(handler_input: HandlerInput, question: str, action: dict[str, Any]) -> Response:
    """Ask a yes/no question; 'yes' carries out the action."""
    session_of(handler_input)[ACTION_KEY] = action
    return respond(handler_input, Reply(speech=question, reprompt="Yes or no?", keep_action=True))


def carry_out(
    handler_input: HandlerInput, access: HomeAccess | None, action: dict[str, Any]
) -> Reply:
    """Send a confirmed action to the home and say what really happened."""
    home = home_of(handler_input, access)
    if access is None or home is None:
        return Reply(speech=home_speech.LINK_HOME, reprompt=ASK_NEXT)
    verb = str(action["verb"])
    params = dict(action.get("params") or {})
    refusal = refused_by_gate(handler_input, verb)
    if refusal is not None:
        # Health may have changed since the question was asked: the gate decides at the yes.
        return Reply(speech=f"{refusal} {ASK_NEXT}", reprompt=ASK_NEXT)
    if verb in CARRY_HEALTH:
        params.update(health_params(handler_input))
    outcome = access.request(home, verb, params)
    locale = locale_of(handler_input)
    if outcome.ok:
        log_session(handler_input, verb, outcome)
        return Reply(speech=success(verb, outcome, access, locale), reprompt=ASK_NEXT)
    if outcome.rule == "quiet_hours" and verb == "heat/start":
        session_of(handler_input)[ACTION_KEY] = {
            "verb": verb,
            "params": {**params, "confirm_quiet_hours": True},
        }
        return Reply(
            speech=f"{_capitalised(outcome.error or 'it is quiet hours')}. {QUIET_HOURS_QUESTION}",
            reprompt="Do you want the heating pad on anyway?",
            keep_action=True,
        )
    return Reply(speech=home_speech.failure(ACTION_NAMES[verb], outcome), reprompt=ASK_NEXT)


def success(verb: str, outcome: Outcome, access: HomeAccess, locale: str) -> str:
    """Say a confirmed success."""
    # The reply models need pydantic: imported once a home answers, never on a cold start.
    from mqtt_bridge.reply_types import (
        BathStarted,
        BathStopped,
        HeatStarted,
        HeatStopped,
        RoutineStarted,
    )

    zone = access.timezone
    if verb == "heat/start":
        return home_speech.heat_started(outcome.expect(HeatStarted), zone, locale)
    if verb == "bath/fill":
        return home_speech.bath_started(outcome.expect(BathStarted), zone, locale)
    if verb == "heat/stop":
        if outcome.expect(HeatStopped).was_on:
            return "The heating pad is off."
        return "The heating pad was already off."
    if verb == "bath/stop":
        if outcome.expect(BathStopped).was_filling:
            return "I've stopped the bath."
        return "The bath wasn't running."
    if verb == "routine/start":
        started = outcome.expect(RoutineStarted)
        note = f"{started.note} " if started.note else ""
        return f"{note}Starting the {started.title} routine. Listen for each step on your speaker."
    if verb == "routine/stop":
        return "I've stopped the routine, and anything it switched on."
    return "Done."


class _HomeHandler(IntentHandler):
    # The device action the safety gate is asked about first, linked home or not.
    gated_verb: str | None = None

    def __init__(self, access: HomeAccess | None) -> None:
        self.access = access

    def handle(self, handler_input: HandlerInput) -> Response:
        """Answer with a sentence about linking when the user has no home."""
        refusal = refused_by_gate(handler_input, self.gated_verb) if self.gated_verb else None
        if refusal is not None:
            return respond(handler_input, Reply(speech=f"{refusal} {ASK_NEXT}", reprompt=ASK_NEXT))
        if home_of(handler_input, self.access) is None:
            return respond(handler_input, Reply(speech=home_speech.LINK_HOME, reprompt=ASK_NEXT))
        assert self.access is not None
        return self.handle_home(handler_input, self.access)

    def handle_home(self, handler_input: HandlerInput, access: HomeAccess) -> Response:
        raise NotImplementedError

    def status(self, handler_input: HandlerInput, access: HomeAccess) -> tuple[Outcome, str]:
        home = home_of(handler_input, access)
        assert home is not None
        return access.request(home, "status"), locale_of(handler_input)

    def answer_from_status(
        self,
        handler_input: HandlerInput,
        access: HomeAccess,
        what: str,
        describe: Callable[[HomeState, str], str],
    ) -> Response:
        """Describe the home's state, or say why it could not be read."""
        # The reply models need pydantic: imported once a home answers, never on a cold start.
        from mqtt_bridge.reply_types import HomeState

        outcome, locale = self.status(handler_input, access)
        speech = (
            describe(outcome.expect(HomeState), locale)
            if outcome.ok
            else home_speech.failure(what, outcome)
        )
        return respond(handler_input, Reply(speech=f"{speech} {ANYTHING_ELSE}", reprompt=ASK_NEXT))


class HeatOnHandler(_HomeHandler):
    """Turn on the heating pad, for the asked time within the limit, after a yes."""

    intent_name = "HeatOnIntent"
    gated_verb = "heat/start"

    def handle_home(self, handler_input: HandlerInput, access: HomeAccess) -> Response:
        """Work out the minutes, say any limit aloud, and ask to confirm."""
        requested = _requested_minutes(handler_input)
        if requested is None and _unusable_minutes(handler_input):
            # "Turn on the heat for…" with no usable number: ask rather than pick the default.
            return _ask_minutes(handler_input)
        try:
            chosen, limited = access.safety.heat_minutes(requested)
        except RequestError:
            return _ask_minutes(handler_input)
        if requested is None:
            note = f"You didn't say how long, so I'll use the safe default of {chosen} minutes. "
        elif limited:
            note = (
                f"{round(requested)} minutes is over the {chosen} minute limit, "
                f"so I'll set {chosen} minutes. "
            )
        else:
            note = ""
        question = f"{note}Turn on the heating pad for {chosen} minutes? It switches off by itself."
        return ask_to_confirm(
            handler_input, question, {"verb": "heat/start", "params": {"minutes": chosen}}
        )


class HeatOffHandler(_HomeHandler):
    """Turn off the heating pad at once; switching off needs no confirmation."""

    intent_name = "HeatOffIntent"

    def handle_home(self, handler_input: HandlerInput, access: HomeAccess) -> Response:
        """Switch off and say whether it was on."""
        return respond(handler_input, carry_out(handler_input, access, {"verb": "heat/stop"}))


class HeatStatusHandler(_HomeHandler):
    """Say how long is left on the heating pad."""

    intent_name = "HeatStatusIntent"

    def handle_home(self, handler_input: HandlerInput, access: HomeAccess) -> Response:
        """Read the bridge's state."""
        return self.answer_from_status(
            handler_input,
            access,
            "check the heating pad",
            lambda state, locale: home_speech.describe_heat(state, access.timezone, locale),
        )


class DrawBathHandler(_HomeHandler):
    """Run a bath to a safe temperature, Epsom or plain, after a yes."""

    intent_name = "DrawBathIntent"
    gated_verb = "bath/fill"

    def handle_home(self, handler_input: HandlerInput, access: HomeAccess) -> Response:
        """Check the temperature against the limits, then ask to confirm."""
        asked = slot_number(handler_input, "temperature")
        try:
            target = access.safety.bath_target(asked)
        except RefusedError as exc:
            return elicit(
                handler_input,
                "temperature",
                Reply(
                    speech=f"I won't do that: {exc}. Pick a temperature from "
                    f"{access.safety.bath_min_c:g} to {access.safety.bath_max_c:g} degrees.",
                    reprompt="What temperature?",
                ),
            )
        epsom = slot_id(handler_input, "bathType") == EPSOM
        kind = "an Epsom salt bath" if epsom else "a bath"
        question = f"Run {kind} at {target:g} degrees?"
        if epsom:
            question += f" You'll need {home_speech.EPSOM_DOSE}."
        params = {"temperature_c": target, "epsom": epsom}
        return ask_to_confirm(handler_input, question, {"verb": "bath/fill", "params": params})


class StopBathHandler(_HomeHandler):
    """Stop the bath at once."""

    intent_name = "StopBathIntent"

    def handle_home(self, handler_input: HandlerInput, access: HomeAccess) -> Response:
        """Close the valve and say whether it was running."""
        return respond(handler_input, carry_out(handler_input, access, {"verb": "bath/stop"}))


class BathStatusHandler(_HomeHandler):
    """Answer "is my bath ready?"."""

    intent_name = "BathStatusIntent"

    def handle_home(self, handler_input: HandlerInput, access: HomeAccess) -> Response:
        """Read the bridge's state."""
        return self.answer_from_status(
            handler_input,
            access,
            "check the bath",
            lambda state, locale: home_speech.describe_bath(state),
        )


class HomeStatusHandler(_HomeHandler):
    """Answer "what's running?"."""

    intent_name = "HomeStatusIntent"

    def handle_home(self, handler_input: HandlerInput, access: HomeAccess) -> Response:
        """Summarise heat, bath and offline devices."""
        return self.answer_from_status(
            handler_input,
            access,
            "check your home",
            lambda state, locale: home_speech.describe_running(state, access.timezone, locale),
        )


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _ask_minutes(handler_input: HandlerInput) -> Response:
    """Ask for the heating pad's minutes, emptying what could not be used."""
    return elicit(
        handler_input,
        MINUTES_SLOT,
        Reply(speech=f"{ASK_MINUTES} For example: twenty minutes.", reprompt=ASK_MINUTES),
        cleared=(DURATION_SLOT,),
    )


def _unusable_minutes(handler_input: HandlerInput) -> bool:
    """Tell whether a minutes or duration slot was said but holds nothing usable (e.g. '?')."""
    return any(slot_said(handler_input, name) for name in (MINUTES_SLOT, DURATION_SLOT))


def _requested_minutes(handler_input: HandlerInput) -> float | None:
    duration = slot_value(handler_input, DURATION_SLOT)
    if duration:
        seconds = parse_duration(duration)
        if seconds is not None:
            return seconds / 60
    return slot_number(handler_input, MINUTES_SLOT)
