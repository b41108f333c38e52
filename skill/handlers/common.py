"""Helpers every handler shares: slots, the request's time, the user's history, replies."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Intent, IntentConfirmationStatus, Response, Slot, SlotConfirmationStatus
from ask_sdk_model.dialog import ElicitSlotDirective
from ask_sdk_model.slu.entityresolution import StatusCode
from ask_sdk_model.ui import SimpleCard

from routines.context import DistanceUnit
from skill.history import HISTORY_KEYS, History
from skill.persistence import update_attributes
from skill.recovery_log import logged_history
from skill.speech import Reply, ssml

MORE_KEY = "more"
ACTION_KEY = "action"
OFFER_KEY = "offer"
OFFER_PLAN = "plan"

DURATION = re.compile(
    r"^P(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)
DURATION_SECONDS = {"days": 86400, "hours": 3600, "minutes": 60, "seconds": 1}
LOCALE_UNITS = {"en-US": DistanceUnit.MILES}


def request_time(handler_input: HandlerInput) -> datetime:
    """Return the request's own timestamp, the 'now' for everything the skill decides."""
    stamp = getattr(handler_input.request_envelope.request, "timestamp", None)
    if not isinstance(stamp, datetime):
        return datetime.now(UTC)
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def slot_value(handler_input: HandlerInput, name: str) -> str | None:
    """Return what the user said for a slot, if anything."""
    slot = _slots(handler_input).get(name)
    value = getattr(slot, "value", None)
    return str(value).strip() if value not in (None, "", "?") else None


def slot_said(handler_input: HandlerInput, name: str) -> bool:
    """Tell whether the runner said anything for a slot, even what Alexa could not read ('?')."""
    value = getattr(_slots(handler_input).get(name), "value", None)
    return value is not None and str(value).strip() != ""


def slot_id(handler_input: HandlerInput, name: str) -> str | None:
    """Return the canonical id of a custom slot value when entity resolution matched one."""
    resolutions = getattr(_slots(handler_input).get(name), "resolutions", None)
    for authority in getattr(resolutions, "resolutions_per_authority", None) or []:
        if authority.status.code == StatusCode.ER_SUCCESS_MATCH and authority.values:
            return str(authority.values[0].value.id)
    return None


def slot_values(handler_input: HandlerInput) -> dict[str, str | None]:
    """Return every slot as a plain mapping: a custom slot's resolved id, else what was said."""
    return {
        name: slot_id(handler_input, name) or slot_value(handler_input, name)
        for name in _slots(handler_input)
    }


def _slots(handler_input: HandlerInput) -> dict[str, Any]:
    intent = getattr(handler_input.request_envelope.request, "intent", None)
    return getattr(intent, "slots", None) or {}


def slot_number(handler_input: HandlerInput, name: str) -> float | None:
    """Return an AMAZON.NUMBER slot as a number, or None when absent or not a number."""
    value = slot_value(handler_input, name)
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def parse_duration(value: str) -> float | None:
    """Convert an AMAZON.DURATION value such as PT1H30M to seconds."""
    match = DURATION.match(value)
    if match is None or not any(match.groupdict().values()):
        return None
    return sum(
        float(amount) * DURATION_SECONDS[part]
        for part, amount in match.groupdict().items()
        if amount is not None
    )


def load_history(handler_input: HandlerInput) -> History:
    """Read the user's history from persistent attributes."""
    return History.from_attributes(handler_input.attributes_manager.persistent_attributes)


def update_history(
    handler_input: HandlerInput, change: Callable[[History], History]
) -> tuple[History, History]:
    """Apply `change` to the stored history atomically; return the history before and after.

    On a conflicting save the change runs again on what is stored now, so it must only compute
    a new history from the one it gets. Raises SaveError when the change could not be stored:
    the caller must then not say it was.
    """
    seen: list[tuple[History, History]] = []

    def apply(attributes: dict[str, Any]) -> dict[str, Any]:
        before = History.from_attributes(attributes)
        after = change(before)
        seen.append((before, after))
        # Keep what is not history (a stretch in progress) under the history's own keys.
        kept = {key: value for key, value in attributes.items() if key not in HISTORY_KEYS}
        return kept | after.to_attributes() | logged_history(attributes, before, after)

    update_attributes(handler_input.attributes_manager, apply)
    return seen[-1]


def unit_for(handler_input: HandlerInput, last_used: DistanceUnit | None = None) -> DistanceUnit:
    """Use the unit the runner last used, else the locale's usual one."""
    if last_used is not None:
        return last_used
    locale = getattr(handler_input.request_envelope.request, "locale", None) or "en-US"
    return LOCALE_UNITS.get(locale, DistanceUnit.KILOMETERS)


def session_of(handler_input: HandlerInput) -> dict[str, Any]:
    """Return the session attributes, which the SDK creates for every in-session request."""
    # Out-of-session requests have none (the SDK raises when asked); give them a throwaway dict.
    if handler_input.request_envelope.session is None:
        return {}
    session = handler_input.attributes_manager.session_attributes
    if session is None:
        return {}
    return session


def respond(handler_input: HandlerInput, reply: Reply) -> Response:
    """Turn a Reply into a response, queueing the parts the user can ask for with 'yes'."""
    session = session_of(handler_input)
    session[MORE_KEY] = [part.to_session() for part in reply.parts]
    if not reply.keep_action:
        session.pop(ACTION_KEY, None)
    if reply.offer:
        session[OFFER_KEY] = reply.offer
    else:
        session.pop(OFFER_KEY, None)
    builder = handler_input.response_builder.speak(reply.ssml or ssml(reply.speech))
    if reply.card_title and reply.card_text:
        builder.set_card(SimpleCard(title=reply.card_title, content=reply.card_text))
    if reply.end_session:
        builder.set_should_end_session(True)
    elif reply.reprompt:
        builder.ask(ssml(reply.reprompt))
    response: Response = builder.response
    return response


def elicit(
    handler_input: HandlerInput,
    slot: str,
    reply: Reply,
    cleared: Iterable[str] = (),
    intent_name: str | None = None,
) -> Response:
    """Ask for one slot of this intent (Dialog.ElicitSlot), keeping the slots already given.

    `cleared` names slots whose values were unusable: they go back empty, so the answer fills
    them afresh. Alexa sends the answer as this same intent, with the slots given so far, or,
    given `intent_name`, as that intent (intent chaining: a new intent starts with no slots).
    """
    intent = getattr(handler_input.request_envelope.request, "intent", None)
    empty = set(cleared) | {slot}
    given = _slots(handler_input) if intent_name is None else {}
    slots = {
        name: Slot(name=name, confirmation_status=SlotConfirmationStatus.NONE)
        if name in empty
        else value
        for name, value in given.items()
    }
    slots.setdefault(slot, Slot(name=slot, confirmation_status=SlotConfirmationStatus.NONE))
    updated = Intent(
        name=intent_name or getattr(intent, "name", None),
        slots=slots,
        confirmation_status=IntentConfirmationStatus.NONE
        if intent_name is not None
        else getattr(intent, "confirmation_status", None) or IntentConfirmationStatus.NONE,
    )
    handler_input.response_builder.add_directive(
        ElicitSlotDirective(updated_intent=updated, slot_to_elicit=slot)
    )
    return respond(handler_input, reply)


class IntentHandler(AbstractRequestHandler):
    """Base for handlers that answer one intent, named by `intent_name`."""

    intent_name = ""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        """Handle this class's intent."""
        return bool(is_intent_name(self.intent_name)(handler_input))
