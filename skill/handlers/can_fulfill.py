"""Answer CanFulfillIntentRequest, so name-free requests can reach the skill."""

from __future__ import annotations

from collections.abc import Mapping

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_request_type
from ask_sdk_model import Response, Slot
from ask_sdk_model.canfulfill import (
    CanFulfillIntent,
    CanFulfillIntentValues,
    CanFulfillSlot,
    CanFulfillSlotValues,
    CanUnderstandSlotValues,
)
from ask_sdk_model.slu.entityresolution import StatusCode

from skill.handlers.common import parse_duration

# Slots whose values are free numbers or durations rather than entity-resolved words.
NUMBER_SLOTS = frozenset({"distance", "miles", "kilometers", "level"})
DURATION_SLOTS = frozenset({"duration"})


class CanFulfillHandler(AbstractRequestHandler):
    """Say YES for the guidance intents when every slot value is one we understand."""

    def __init__(self, intents: frozenset[str]) -> None:
        self._intents = intents

    def can_handle(self, handler_input: HandlerInput) -> bool:
        """Handle CanFulfillIntentRequest."""
        return bool(is_request_type("CanFulfillIntentRequest")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        """Report whether the intent and each slot can be fulfilled."""
        intent = getattr(handler_input.request_envelope.request, "intent", None)
        slots: Mapping[str, Slot] = getattr(intent, "slots", None) or {}
        if intent is None or intent.name not in self._intents:
            answer = CanFulfillIntent(can_fulfill=CanFulfillIntentValues.NO)
        else:
            verdicts = {name: _slot_verdict(name, slot) for name, slot in slots.items()}
            understood = all(
                v.can_understand == CanUnderstandSlotValues.YES
                for v in verdicts.values()
                if v is not None
            )
            answer = CanFulfillIntent(
                can_fulfill=CanFulfillIntentValues.YES
                if understood
                else CanFulfillIntentValues.MAYBE,
                slots={name: v for name, v in verdicts.items() if v is not None},
            )
        handler_input.response_builder.set_can_fulfill_intent(answer)
        response: Response = handler_input.response_builder.response
        return response


def _slot_verdict(name: str, slot: Slot) -> CanFulfillSlot | None:
    value = getattr(slot, "value", None)
    if not value:
        return None
    if name in NUMBER_SLOTS:
        understood = _is_number(value)
    elif name in DURATION_SLOTS:
        understood = parse_duration(value) is not None
    else:
        understood = _resolved(slot)
    return CanFulfillSlot(
        can_understand=CanUnderstandSlotValues.YES if understood else CanUnderstandSlotValues.MAYBE,
        can_fulfill=CanFulfillSlotValues.YES if understood else CanFulfillSlotValues.NO,
    )


def _resolved(slot: Slot) -> bool:
    resolutions = getattr(slot, "resolutions", None)
    return any(
        authority.status.code == StatusCode.ER_SUCCESS_MATCH
        for authority in getattr(resolutions, "resolutions_per_authority", None) or []
    )


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True
