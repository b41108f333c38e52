"""What a heat or bath session needs from the rest of the core, handed over as one."""

from __future__ import annotations

from dataclasses import dataclass

from mqtt_bridge.core.confirmations import Confirmations
from mqtt_bridge.core.house import House
from mqtt_bridge.core.speech import Speech
from mqtt_bridge.core.stopping import Stopping
from mqtt_bridge.core.timers import SessionTimers
from mqtt_bridge.health import RunnerHealth
from mqtt_bridge.routine_control import RoutineControl


@dataclass(frozen=True)
class SessionParts:
    """The house, the safety gate, timers, confirmations, stops, routines and speech."""

    house: House
    health: RunnerHealth
    timers: SessionTimers
    confirmations: Confirmations
    stopping: Stopping
    routines: RoutineControl
    speech: Speech


class SessionControl:
    """Base of the heating pad's and the bath's controllers: the parts they share."""

    def __init__(self, parts: SessionParts) -> None:
        self._house = parts.house
        self._health = parts.health
        self._timers = parts.timers
        self._confirmations = parts.confirmations
        self._stopping = parts.stopping
        self._routines = parts.routines
        self._speech = parts.speech
