"""Guided stretching by voice: paced SSML for one stretch at a time, and saved progress."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from routines.stretches import Stretch, StretchLibrary, speech_seconds
from skill.speech import ssml

MAX_BREAK_S = 10
# Progress older than this is offered ("continue or start over?") rather than just continued.
STALE_AFTER = timedelta(hours=6)
STRETCH_KEY = "stretch"


def pause_ssml(seconds: float) -> str:
    """Return breaks adding up to `seconds`, none longer than Alexa's 10-second maximum."""
    parts = []
    remaining = round(seconds, 1)
    while remaining > 0.05:
        step = min(MAX_BREAK_S, remaining)
        parts.append(f'<break time="{step:g}s"/>')
        remaining = round(remaining - step, 1)
    return "".join(parts)


def stretch_ssml(stretch: Stretch, library: StretchLibrary) -> str:
    """Speak a whole stretch in time: cue, holds with breathing and a countdown, switch sides."""
    cues = library.cues(stretch)
    out = []
    for index, cue in enumerate(cues):
        text = cue.text
        if text.startswith("And relax") and index:
            # Count the last three seconds of the hold down aloud.
            out.append('Three.<break time="1s"/>Two.<break time="1s"/>One.<break time="0.5s"/>')
        out.append(ssml(text))
        if index + 1 < len(cues):
            end = cue.at_s + speech_seconds(text)
            gap = cues[index + 1].at_s - end
            if cues[index + 1].text.startswith("And relax"):
                gap -= 3.5  # the countdown fills the end of the hold
            out.append(pause_ssml(max(0.0, gap)))
    return " ".join(part for part in out if part)


@dataclass(frozen=True)
class StretchProgress:
    """Where a runner is in a stretch session."""

    session: tuple[str, ...]
    index: int
    updated: datetime

    @classmethod
    def from_attributes(
        cls, attributes: Mapping[str, Any], library: StretchLibrary
    ) -> StretchProgress | None:
        raw = attributes.get(STRETCH_KEY)
        if not isinstance(raw, Mapping):
            return None
        try:
            session = tuple(str(s) for s in raw["session"] if str(s) in library.stretches)
            index = int(raw["index"])
            updated = datetime.fromisoformat(str(raw["updated"]))
        except (KeyError, TypeError, ValueError):
            return None
        if not session or not 0 <= index < len(session):
            return None
        return cls(session, index, updated)

    def to_attributes(self) -> dict[str, Any]:
        return {
            "session": list(self.session),
            "index": self.index,
            "updated": self.updated.isoformat(),
        }

    def at(self, index: int, now: datetime) -> StretchProgress:
        return replace(self, index=max(0, min(index, len(self.session) - 1)), updated=now)

    @property
    def last(self) -> bool:
        return self.index == len(self.session) - 1

    def stale(self, now: datetime) -> bool:
        return now - self.updated > STALE_AFTER
