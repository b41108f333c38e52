"""Say what happened at home: honest sentences for every outcome, times in the home's zone."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from mqtt_bridge.protocol import BAD_REPLY
from skill.home import BRIDGE_OFFLINE, NO_ANSWER, NO_HOME, Outcome

if TYPE_CHECKING:
    from mqtt_bridge.reply_types import BathStarted, HeatStarted, HomeState

EPSOM_DOSE = "about two cups, roughly 500 grams, of Epsom salt"
LINK_HOME = (
    "I can't reach a home for you yet. To control a heating pad or a bath, link your home: "
    "ask whoever set up Recovery Coach to add your Alexa account, or link it in the Alexa app. "
    "I can still help you recover: just ask how."
)
BATH_STATES: dict[str, str] = {
    "idle": "No bath is running.",
    "starting": "Your bath is just starting: the valve hasn't confirmed it's open yet.",
    "closing": "Your bath should be full: I've asked the valve to close, "
    "but it hasn't confirmed yet.",
    "ready": "Your bath is ready.",
    "stopping": "I've asked the bath valve to close, but it hasn't confirmed yet.",
    "stopped": "The bath was stopped before it was full.",
    "too_hot": "I stopped the bath because the water got too hot.",
    "leak": "I stopped the bath because the leak sensor got wet.",
}


def clock_time(moment: datetime | None, timezone: Any, locale: str) -> str:
    """Say a moment as '8:35 PM' (en-US) or '20:35' (elsewhere), in the home's time zone."""
    if moment is None:
        return "soon"
    moment = moment.astimezone(timezone)
    if locale == "en-US":
        return moment.strftime("%I:%M %p").lstrip("0")
    return moment.strftime("%H:%M")


def minutes(count: int) -> str:
    """Say '1 minute' or '12 minutes'."""
    return f"{count} minute{'' if count == 1 else 's'}"


# The bridge's rule name when its safety gate refuses for the runner's health.
HEALTH_RULE = "health"


def failure(what: str, outcome: Outcome) -> str:
    """Say why something did not happen, never pretending it did."""
    if outcome.code == NO_HOME:
        return LINK_HOME
    if outcome.code == BRIDGE_OFFLINE:
        return f"I couldn't {what}: {outcome.error}. Nothing was changed."
    if outcome.code == BAD_REPLY:
        stop = " I've told it to stop, so nothing is left running." if outcome.undo else ""
        return f"I couldn't {what}: {outcome.error}.{stop}"
    if outcome.code == NO_ANSWER:
        if outcome.undo:
            # The bridge refuses the request if it arrives late, and the stop covers a lost answer.
            return (
                f"I couldn't {what}: {outcome.error}. I've told it to stop, "
                "so nothing will start later."
            )
        return f"I couldn't {what}: {outcome.error}."
    if outcome.rule == HEALTH_RULE and outcome.error:
        return outcome.error  # the safety gate's own sentence
    reason = outcome.error or "something went wrong at home"
    return f"I couldn't {what}: {reason}."


def heat_started(data: HeatStarted, timezone: Any, locale: str) -> str:
    """Confirm a heat session the plug confirmed."""
    speech = f"Your heating pad is on for {minutes(data.minutes)}. "
    speech += f"It switches off at {clock_time(data.ends_at, timezone, locale)}."
    if data.limited:
        speech += f" That's the limit of {minutes(data.max_minutes)} a session."
    return speech


def bath_started(data: BathStarted, timezone: Any, locale: str) -> str:
    """Confirm a bath the valve confirmed."""
    ends = clock_time(data.ends_at, timezone, locale)
    speech = f"Your bath is filling to {data.target_c:g} degrees and should be ready at {ends}."
    if data.epsom:
        speech += f" Add {EPSOM_DOSE} as it fills."
    return speech


def describe_heat(state: HomeState, timezone: Any, locale: str) -> str:
    """Say whether the heating pad is on and for how long."""
    heat = state.heat
    if not heat.running:
        return "The heating pad is off."
    if heat.stopping or heat.ends_at is None:
        return "The heating pad is on, and I'm switching it off: it hasn't confirmed yet."
    left, ends = minutes(heat.remaining_min), clock_time(heat.ends_at, timezone, locale)
    return f"The heating pad is on, with {left} left. It switches off at {ends}."


def describe_bath(state: HomeState) -> str:
    """Say where the bath is at, with the water temperature when a thermometer reports it."""
    bath = state.bath
    if bath.status == "filling":
        target = bath.target_c
        speech = f"Your bath is filling to {target:g} degrees" if target else "Your bath is filling"
        speech += f", ready in about {minutes(bath.remaining_min)}."
    else:
        speech = BATH_STATES.get(bath.status, "No bath is running.")
    reading = water_temperature(state)
    if reading is not None and bath.status in ("filling", "ready"):
        speech += f" The water is at {reading:.1f} degrees."
    return speech


def describe_running(state: HomeState, timezone: Any, locale: str) -> str:
    """Say what is running at home."""
    parts = []
    if state.heat.running:
        parts.append(describe_heat(state, timezone, locale))
    if state.bath.status in ("filling", "closing", "ready", "stopping"):
        parts.append(describe_bath(state))
    offline = [
        name.replace("_", " ") for name, device in state.devices.items() if device.online is False
    ]
    if offline:
        parts.append(f"Offline right now: {', '.join(offline)}.")
    return " ".join(parts) or "Nothing is running right now."


def water_temperature(state: HomeState) -> float | None:
    """Return the bath thermometer's reading, if there is one."""
    for device in state.devices.values():
        if device.role == "bath_temperature" and device.temperature_c is not None:
            return device.temperature_c
    return None
