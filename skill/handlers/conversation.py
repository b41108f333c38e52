"""Handlers for the conversation itself: launch, yes/no, help, stop, fallback, errors."""

from __future__ import annotations

import logging

from ask_sdk_core.dispatch_components import AbstractExceptionHandler, AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.response_helper import ResponseFactory
from ask_sdk_core.utils import is_intent_name, is_request_type
from ask_sdk_model import Response
from ask_sdk_runtime.exceptions import DispatchException

from skill.errors import SaveError, StorageError
from skill.handlers.common import (
    ACTION_KEY,
    MORE_KEY,
    OFFER_KEY,
    OFFER_PLAN,
    load_history,
    request_time,
    respond,
    session_of,
)
from skill.handlers.guidance import GetRecoveryPlanHandler
from skill.handlers.health import CLEAR_FLAGS, clear_flags, keep_flags, recheck_due
from skill.handlers.home import carry_out, home_of, share_health
from skill.handlers.stretching import OFFER_CONTINUE, continue_stretches
from skill.home import HomeAccess
from skill.speech import ANYTHING_ELSE, WANT_MORE, Part, Reply, ssml

log = logging.getLogger(__name__)

WELCOME = (
    "Welcome to Recovery Coach. Tell me about your run, like: I just ran ten miles. "
    "Or ask: how should I recover?"
)
HELP = (
    "I give recovery advice after a run, from two running articles. You can say: "
    "I ran a half marathon. My calves are sore. Should I use ice or heat? "
    "What should I eat? Should I run tomorrow? What would you like to do?"
)
REPROMPT = "You can ask me how to recover, or tell me about your run."
SORRY = "Sorry, something went wrong on my side. " + REPROMPT
SAVE_FAILED = (
    "Sorry, I couldn't save that just now, so I haven't recorded it. "
    "Please tell me again in a minute."
)
READ_FAILED = (
    "Sorry, something went wrong on my side: I can't reach your saved runs right now. "
    "Please try again in a minute."
)
GOODBYE = "Recover well. Happy running!"
STRETCH_AGAIN = "Say stretch with me to start a cool-down, or ask me how to recover."


class LaunchHandler(AbstractRequestHandler):
    """Greet the runner when the skill is opened by name."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        """Handle LaunchRequest."""
        return bool(is_request_type("LaunchRequest")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        """Say what the skill can do, or first ask about a red flag reported days ago."""
        history = load_history(handler_input)
        question = recheck_due(handler_input, history, request_time(handler_input))
        if question is not None:
            return respond(handler_input, question.after("Welcome back to Recovery Coach."))
        return respond(handler_input, Reply(speech=WELCOME, reprompt=REPROMPT))


class YesHandler(AbstractRequestHandler):
    """Carry out what was asked to be confirmed, accept an offer, or continue an answer."""

    def __init__(self, access: HomeAccess | None = None) -> None:
        self.access = access

    def can_handle(self, handler_input: HandlerInput) -> bool:
        """Handle AMAZON.YesIntent."""
        return bool(is_intent_name("AMAZON.YesIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        """Speak the next queued part, or carry out the offer."""
        session = session_of(handler_input)
        queued = [Part.from_session(raw) for raw in session.get(MORE_KEY) or []]
        action = session.get(ACTION_KEY)
        if isinstance(action, dict) and action.get("verb") == OFFER_CONTINUE:
            response: Response = continue_stretches(handler_input)
            return response
        if isinstance(action, dict) and action.get("verb") == CLEAR_FLAGS:
            reply, history = clear_flags(handler_input, action)
            share_health(handler_input, self.access, history.health)
            return respond(handler_input, reply)
        if isinstance(action, dict):
            done = carry_out(handler_input, self.access, action)
            if done.keep_action or not queued:
                return respond(handler_input, done)
            speech = f"{done.speech} Want to hear the rest of your plan?"
            return respond(
                handler_input, Reply(speech=speech, reprompt=REPROMPT, more=tuple(queued))
            )
        if session.get(OFFER_KEY) == OFFER_PLAN:
            plan: Response = GetRecoveryPlanHandler(self.access).handle(handler_input)
            return plan
        if not queued:
            return respond(handler_input, Reply(speech=f"OK. {REPROMPT}", reprompt=REPROMPT))
        part, rest = queued[0], tuple(queued[1:])
        if part.offer and home_of(handler_input, self.access):
            # "…a warm Epsom bath helps. Want me to draw one?": a yes now starts it.
            session[ACTION_KEY] = dict(part.offer)
            question = str(part.offer.get("question", "Want me to do that?"))
            return respond(
                handler_input,
                Reply(
                    speech=f"{part.text} {question}", reprompt=question, more=rest, keep_action=True
                ),
            )
        tail = WANT_MORE if rest else f"That's everything. {ANYTHING_ELSE}"
        return respond(
            handler_input, Reply(speech=f"{part.text} {tail}", reprompt=REPROMPT, more=rest)
        )


class NoHandler(AbstractRequestHandler):
    """Stop offering more."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        """Handle AMAZON.NoIntent."""
        return bool(is_intent_name("AMAZON.NoIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        """Decline what was offered, or say goodbye."""
        session = session_of(handler_input)
        action = session.get(ACTION_KEY)
        if isinstance(action, dict) and action.get("verb") == CLEAR_FLAGS:
            return respond(handler_input, keep_flags(handler_input))
        if isinstance(action, dict) and action.get("verb") == OFFER_CONTINUE:
            # "Do you want to continue?" "No": nothing was going to be switched on or off.
            return respond(
                handler_input,
                Reply(
                    speech=f"OK, we'll leave the stretches there. {STRETCH_AGAIN}",
                    reprompt=REPROMPT,
                ),
            )
        if isinstance(action, dict):
            queued = tuple(Part.from_session(raw) for raw in session.get(MORE_KEY) or [])
            if queued:
                speech = "OK, I won't. Want to hear the rest of your plan?"
                return respond(handler_input, Reply(speech=speech, reprompt=REPROMPT, more=queued))
            return respond(
                handler_input, Reply(speech=f"OK, I won't. {ANYTHING_ELSE}", reprompt=REPROMPT)
            )
        return respond(handler_input, Reply(speech=f"OK. {GOODBYE}", end_session=True))


class HelpHandler(AbstractRequestHandler):
    """Explain what to say."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        """Handle AMAZON.HelpIntent."""
        return bool(is_intent_name("AMAZON.HelpIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        """List a few things to say."""
        return respond(handler_input, Reply(speech=HELP, reprompt=REPROMPT))


class StopHandler(AbstractRequestHandler):
    """End the session on stop, cancel or 'go home'."""

    INTENTS = ("AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.NavigateHomeIntent")

    def can_handle(self, handler_input: HandlerInput) -> bool:
        """Handle Stop, Cancel and NavigateHome."""
        return any(is_intent_name(name)(handler_input) for name in self.INTENTS)

    def handle(self, handler_input: HandlerInput) -> Response:
        """Say goodbye."""
        return respond(handler_input, Reply(speech=GOODBYE, end_session=True))


class FallbackHandler(AbstractRequestHandler):
    """Answer phrases the model could not place."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        """Handle AMAZON.FallbackIntent."""
        return bool(is_intent_name("AMAZON.FallbackIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        """Say what the skill can help with."""
        return respond(
            handler_input,
            Reply(speech=f"Sorry, I can't help with that. {HELP}", reprompt=REPROMPT),
        )


class SessionEndedHandler(AbstractRequestHandler):
    """Acknowledge the end of a session; Alexa ignores anything said here."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        """Handle SessionEndedRequest."""
        return bool(is_request_type("SessionEndedRequest")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        """Log why the session ended and answer with an empty response."""
        request = handler_input.request_envelope.request
        log.info("session ended: %s", getattr(request, "reason", None))
        response: Response = handler_input.response_builder.response
        return response


class ExceptionEncounteredHandler(AbstractRequestHandler):
    """Log Alexa's report that one of our responses was invalid."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        """Handle System.ExceptionEncountered."""
        return bool(is_request_type("System.ExceptionEncountered")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        """Log the error Alexa reports; nothing may be spoken in reply."""
        error = getattr(handler_input.request_envelope.request, "error", None)
        log.error("Alexa reported an invalid response: %s", error)
        response: Response = handler_input.response_builder.response
        return response


class CatchAllExceptionHandler(AbstractExceptionHandler):
    """Say something useful whatever went wrong."""

    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        """Handle every exception."""
        return True

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        """Log the failure and apologise with a way forward."""
        if isinstance(exception, DispatchException):
            # No handler takes this request (an intent the model lacks): expected, no traceback.
            log.warning("no handler for this request: %s", exception)
        else:
            log.error("handler failed: %s", exception, exc_info=exception)
        if isinstance(exception, SaveError):
            # Nothing of this request was stored: never let the runner think it was.
            speech = SAVE_FAILED
        elif isinstance(exception, StorageError):
            speech = READ_FAILED
        else:
            speech = SORRY
        try:
            return respond(handler_input, Reply(speech=speech, reprompt=REPROMPT))
        except Exception:  # the last handler must answer even when the request itself is odd
            log.exception("could not queue the apology in the session; answering without it")
        fallback: Response = ResponseFactory().speak(ssml(speech)).ask(ssml(REPROMPT)).response
        return fallback
