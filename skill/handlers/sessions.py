"""Write the heat and bath sessions the home confirmed started into the runner's recovery log."""

from __future__ import annotations

import logging
from typing import Any

from ask_sdk_core.handler_input import HandlerInput

from skill.errors import SaveError
from skill.handlers.common import request_time
from skill.home import Outcome
from skill.persistence import update_attributes
from skill.recovery_log import LogEntry, RecoveryLog, bath_entry, heat_entry

log = logging.getLogger(__name__)


def log_session(handler_input: HandlerInput, verb: str, outcome: Outcome) -> None:
    """Record a confirmed heat/start or bath/fill; other verbs are not sessions."""
    entry = session_entry(handler_input, verb, outcome)
    if entry is None:
        return

    def add(attributes: dict[str, Any]) -> dict[str, Any]:
        return (
            attributes
            | RecoveryLog.from_attributes(attributes).with_entries([entry]).to_attributes()
        )

    try:
        update_attributes(handler_input.attributes_manager, add)
    except SaveError as exc:
        # The device is already on: the runner must hear that, even if the log missed it.
        log.warning("a %s session started but could not be logged: %s", verb, exc)


def session_entry(handler_input: HandlerInput, verb: str, outcome: Outcome) -> LogEntry | None:
    """Describe the session a confirmed outcome started, if it is one."""
    # The reply models need pydantic: imported once a home answers, never on a cold start.
    from mqtt_bridge.reply_types import BathStarted, HeatStarted

    at = request_time(handler_input)
    if verb == "heat/start" and isinstance(outcome.data, HeatStarted):
        return heat_entry(at, outcome.data.minutes)
    if verb == "bath/fill" and isinstance(outcome.data, BathStarted):
        return bath_entry(at, outcome.data.target_c, outcome.data.epsom is not None)
    return None
