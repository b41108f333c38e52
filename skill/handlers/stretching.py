"""Guided stretching by voice: start, next, previous, repeat, pause, resume, start over."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from routines.gate import StretchRequest, Verdict, decide
from routines.stretches import StretchLibrary, load_library
from skill.handlers.common import (
    ACTION_KEY,
    IntentHandler,
    load_history,
    request_time,
    respond,
    session_of,
)
from skill.persistence import update_attributes
from skill.speech import ANYTHING_ELSE, Reply, ssml
from skill.stretching import STRETCH_KEY, StretchProgress, stretch_ssml

NEXT_PROMPT = "Say next when you're ready, or repeat to do it again."
NOTE_KEY = "stretch_note"
NOTHING_TO_RESUME = "Say stretch with me to start a cool-down."
OFFER_CONTINUE = "stretch_continue"


def _progress(handler_input: HandlerInput, library: StretchLibrary) -> StretchProgress | None:
    attributes = handler_input.attributes_manager.persistent_attributes
    return StretchProgress.from_attributes(attributes, library)


def _gated(
    handler_input: HandlerInput, progress: StretchProgress, library: StretchLibrary
) -> StretchProgress | Response:
    """Ask the gate about the saved session: the stretches still safe, or stop and say why."""
    reason = _still_safe(handler_input, progress, library)
    if isinstance(reason, StretchProgress):
        return reason
    _save(handler_input, None)
    return respond(
        handler_input,
        Reply(
            speech=f"Let's stop the stretches here. {reason} {ANYTHING_ELSE}",
            reprompt=NOTHING_TO_RESUME,
        ),
    )


def _still_safe(
    handler_input: HandlerInput, progress: StretchProgress, library: StretchLibrary
) -> StretchProgress | str:
    health = load_history(handler_input).health
    stretches = tuple(library.get(stretch_id) for stretch_id in progress.session)
    decision = decide(health, StretchRequest(stretches), library)
    if not decision.allowed:
        return decision.reason
    if decision.verdict is Verdict.ALLOWED:
        return progress
    kept = {stretch.id for stretch in decision.stretches}
    before = [s for s in progress.session[: progress.index] if s in kept]
    after = [s for s in progress.session[progress.index :] if s in kept]
    # Where the current stretch was left out, stand on the one before, so "next" is the next.
    index = len(before) if progress.session[progress.index] in kept else len(before) - 1
    if not after and progress.session[progress.index] not in kept:
        return decision.reason
    session_of(handler_input)[NOTE_KEY] = decision.reason
    return replace(progress, session=tuple(before + after), index=max(0, index))


def _save(handler_input: HandlerInput, progress: StretchProgress | None) -> None:
    def apply(attributes: dict[str, Any]) -> dict[str, Any]:
        kept = {key: value for key, value in attributes.items() if key != STRETCH_KEY}
        return kept if progress is None else kept | {STRETCH_KEY: progress.to_attributes()}

    update_attributes(handler_input.attributes_manager, apply)


def speak_stretch(
    handler_input: HandlerInput, progress: StretchProgress, library: StretchLibrary, intro: str = ""
) -> Response:
    """Guide one stretch, save where we are, and wait for 'next'."""
    _save(handler_input, progress)
    note = session_of(handler_input).pop(NOTE_KEY, None)
    intro = f"{note} {intro}".strip() if note else intro
    stretch = library.get(progress.session[progress.index])
    number = f"Stretch {progress.index + 1} of {len(progress.session)}."
    tail = "That's your last stretch. Say next to finish." if progress.last else NEXT_PROMPT
    body = stretch_ssml(stretch, library)
    speech_ssml = " ".join(part for part in (ssml(intro), ssml(number), body, ssml(tail)) if part)
    return respond(
        handler_input,
        Reply(
            speech=f"{intro} {number} {stretch.title}. {tail}".strip(),
            reprompt=NEXT_PROMPT,
            ssml=speech_ssml,
            card_title=stretch.title,
            card_text=f"{stretch.how}\nHold {stretch.hold_s} seconds"
            + (" on each side." if stretch.sides == 2 else "."),
        ),
    )


class StretchHandler(IntentHandler):
    """Start a cool-down chosen from the latest run and sore areas."""

    intent_name = "StretchIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        """Choose the session and guide the first stretch."""
        library = load_library()
        now = request_time(handler_input)
        history = load_history(handler_input)
        context = history.context(now)
        decision = decide(history.health, StretchRequest(library.session(context)), library)
        if not decision.allowed:
            return respond(
                handler_input,
                Reply(speech=f"{decision.reason} {ANYTHING_ELSE}", reprompt=NOTHING_TO_RESUME),
            )
        session = tuple(s.id for s in decision.stretches)
        served = set().union(*(s.areas for s in decision.stretches))
        sore = sorted(a.value.replace("_", " ") for a in context.sore_areas & served)
        focus = f" We'll start with your {', '.join(sore)}." if sore else ""
        note = f"{decision.reason} " if decision.verdict is Verdict.CHANGED else ""
        intro = (
            f"{note}Let's cool down: {len(session)} gentle stretches.{focus} Move slowly, "
            "breathe deeply, and ease off if anything hurts."
        )
        return speak_stretch(handler_input, StretchProgress(session, 0, now), library, intro)


class _StepHandler(IntentHandler):
    """Move within a stretch session, or explain how to start one."""

    def handle(self, handler_input: HandlerInput) -> Response:
        library = load_library()
        progress = _progress(handler_input, library)
        if progress is None:
            return respond(
                handler_input,
                Reply(
                    speech=f"There's no stretch session going. {NOTHING_TO_RESUME}",
                    reprompt=NOTHING_TO_RESUME,
                ),
            )
        gated = _gated(handler_input, progress, library)
        if not isinstance(gated, StretchProgress):
            return gated
        return self.move(handler_input, gated, library)

    def move(
        self, handler_input: HandlerInput, progress: StretchProgress, library: StretchLibrary
    ) -> Response:
        raise NotImplementedError


class NextStretchHandler(_StepHandler):
    """AMAZON.NextIntent: the next stretch, or the end of the session."""

    intent_name = "AMAZON.NextIntent"

    def move(
        self, handler_input: HandlerInput, progress: StretchProgress, library: StretchLibrary
    ) -> Response:
        """Guide the next stretch, or finish."""
        now = request_time(handler_input)
        if progress.last:
            _save(handler_input, None)
            return respond(
                handler_input,
                Reply(
                    speech="That's your cool-down done. Well done! Drink some water, and have "
                    "a snack with carbs and protein within 30 minutes.",
                    end_session=True,
                ),
            )
        return speak_stretch(handler_input, progress.at(progress.index + 1, now), library)


class PreviousStretchHandler(_StepHandler):
    """AMAZON.PreviousIntent: back one stretch."""

    intent_name = "AMAZON.PreviousIntent"

    def move(
        self, handler_input: HandlerInput, progress: StretchProgress, library: StretchLibrary
    ) -> Response:
        """Guide the stretch before this one."""
        now = request_time(handler_input)
        intro = "That was the first one." if progress.index == 0 else ""
        return speak_stretch(handler_input, progress.at(progress.index - 1, now), library, intro)


class RepeatStretchHandler(_StepHandler):
    """AMAZON.RepeatIntent: this stretch again."""

    intent_name = "AMAZON.RepeatIntent"

    def move(
        self, handler_input: HandlerInput, progress: StretchProgress, library: StretchLibrary
    ) -> Response:
        """Guide the same stretch again."""
        now = request_time(handler_input)
        return speak_stretch(handler_input, progress.at(progress.index, now), library, "Again.")


class PauseStretchHandler(_StepHandler):
    """AMAZON.PauseIntent: stop here, keeping the place."""

    intent_name = "AMAZON.PauseIntent"

    def move(
        self, handler_input: HandlerInput, progress: StretchProgress, library: StretchLibrary
    ) -> Response:
        """Save the place and end the session."""
        _save(handler_input, progress.at(progress.index, request_time(handler_input)))
        return respond(
            handler_input,
            Reply(
                speech=f"Paused at stretch {progress.index + 1} of {len(progress.session)}. "
                "When you're ready, say: Alexa, ask recovery coach to resume my stretches.",
                end_session=True,
            ),
        )


class ResumeStretchHandler(_StepHandler):
    """AMAZON.ResumeIntent and "resume my stretches": carry on, or offer to after a while."""

    intent_name = "ResumeStretchesIntent"
    INTENTS = ("ResumeStretchesIntent", "AMAZON.ResumeIntent")

    def can_handle(self, handler_input: HandlerInput) -> bool:
        """Handle both resume intents."""
        return any(is_intent_name(name)(handler_input) for name in self.INTENTS)

    def move(
        self, handler_input: HandlerInput, progress: StretchProgress, library: StretchLibrary
    ) -> Response:
        """Continue at once, or ask 'continue or start over?' if the session is old."""
        now = request_time(handler_input)
        if progress.stale(now):
            title = library.get(progress.session[progress.index]).title.lower()
            session_of(handler_input)[ACTION_KEY] = {"verb": OFFER_CONTINUE}
            question = (
                f"You were on stretch {progress.index + 1} of {len(progress.session)}, the "
                f"{title}. Do you want to continue? Or say start over."
            )
            return respond(
                handler_input, Reply(speech=question, reprompt=question, keep_action=True)
            )
        return speak_stretch(handler_input, progress.at(progress.index, now), library, "Resuming.")


class StartOverStretchHandler(_StepHandler):
    """AMAZON.StartOverIntent: back to the first stretch."""

    intent_name = "AMAZON.StartOverIntent"

    def move(
        self, handler_input: HandlerInput, progress: StretchProgress, library: StretchLibrary
    ) -> Response:
        """Guide the first stretch again."""
        now = request_time(handler_input)
        return speak_stretch(handler_input, progress.at(0, now), library, "From the top.")


def continue_stretches(handler_input: HandlerInput) -> Response:
    """Carry on after 'yes' to 'do you want to continue?'."""
    library = load_library()
    progress = _progress(handler_input, library)
    if progress is None:
        return respond(handler_input, Reply(speech=NOTHING_TO_RESUME, reprompt=NOTHING_TO_RESUME))
    gated = _gated(handler_input, progress, library)
    if not isinstance(gated, StretchProgress):
        return gated
    progress = gated
    now = request_time(handler_input)
    return speak_stretch(handler_input, progress.at(progress.index, now), library, "Let's go on.")
