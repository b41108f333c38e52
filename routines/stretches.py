"""The stretch library, and a session chosen from the run and the sore areas."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from routines.context import BodyArea, RunContext
from routines.errors import KnowledgeError
from routines.yaml_data import load_yaml

SIDE_NAMES = ("right", "left")
# A calm speaking pace, used to time holds after spoken cues (and by the skill for SSML).
WORDS_PER_SECOND = 2.5
LONG_RUN_EXTRAS = ("butterfly", "knees_to_chest")
# Seconds to get into position after a cue finishes.
SETTLE_S = 3.0


def speech_seconds(text: str) -> float:
    """Estimate how long a sentence takes to say."""
    return len(text.split()) / WORDS_PER_SECOND


@dataclass(frozen=True)
class Cue:
    """One thing said during a stretch, at an offset from its start."""

    at_s: float
    text: str


@dataclass(frozen=True)
class Stretch:
    """A gentle static stretch: how to do it, how long, how many sides, what it helps."""

    id: str
    title: str
    how: str
    hold_s: int
    sides: int
    areas: frozenset[BodyArea]
    loads: frozenset[BodyArea] = frozenset()

    @property
    def touches(self) -> frozenset[BodyArea]:
        """Return every area the stretch stretches or puts weight on."""
        return self.areas | self.loads

    def __post_init__(self) -> None:
        if not 10 <= self.hold_s <= 60:
            raise KnowledgeError(f"stretch {self.id!r}: hold_s must be 10 to 60")
        if self.sides not in (1, 2):
            raise KnowledgeError(f"stretch {self.id!r}: sides must be 1 or 2")

    def cues(self, breathing: str, gentle: str) -> tuple[Cue, ...]:
        """Return what to say and when: the cue, breathing reminders, switch sides, relax.

        Holds start once the cue has been said and the runner has settled, so a long cue never
        eats into the hold.
        """
        first_side = f" Start on your {SIDE_NAMES[0]} side." if self.sides == 2 else ""
        opening = f"{self.title}. {self.how}{first_side} {gentle}"
        cues = [Cue(0.0, opening)]
        hold_start = speech_seconds(opening) + SETTLE_S
        for side in range(self.sides):
            if side:
                switch = f"And relax. Now switch to your {SIDE_NAMES[side]} side."
                cues.append(Cue(hold_start, switch))
                hold_start += speech_seconds(switch) + SETTLE_S
            cues.append(Cue(hold_start + self.hold_s / 2 - 5, breathing))
            cues.append(Cue(hold_start + self.hold_s - 10, "Ten more seconds."))
            hold_start += self.hold_s
        cues.append(Cue(hold_start, "And relax."))
        return tuple(cues)

    def duration_s(self, breathing: str, gentle: str) -> float:
        """Return how long the stretch takes, from the first cue to the end of 'And relax'."""
        last = self.cues(breathing, gentle)[-1]
        return last.at_s + speech_seconds(last.text) + SETTLE_S


@dataclass(frozen=True)
class StretchLibrary:
    """Every stretch, the usual cool-down order, and the shared spoken reminders."""

    stretches: Mapping[str, Stretch]
    cool_down: tuple[str, ...]
    breathing: str
    gentle: str

    def __post_init__(self) -> None:
        unknown = [name for name in self.cool_down if name not in self.stretches]
        if unknown:
            raise KnowledgeError(f"cool_down names unknown stretches: {unknown}")

    def get(self, stretch_id: str) -> Stretch:
        """Return a stretch by id, or raise KeyError."""
        return self.stretches[stretch_id]

    def cues(self, stretch: Stretch) -> tuple[Cue, ...]:
        """Return a stretch's timed cues with the library's reminders."""
        return stretch.cues(self.breathing, self.gentle)

    def duration_s(self, stretch: Stretch) -> float:
        """Return how long a stretch takes with the library's reminders."""
        return stretch.duration_s(self.breathing, self.gentle)

    def session(self, context: RunContext | None = None, limit: int = 8) -> tuple[Stretch, ...]:
        """Choose a cool-down: sore areas first, the usual order, more after a long run."""
        sore = context.sore_areas if context else frozenset()
        first = [s for s in self.stretches.values() if s.areas & sore]
        first.sort(key=lambda s: -len(s.areas & sore))
        usual = [self.stretches[i] for i in self.cool_down]
        if context is not None and context.is_long_run:
            # After a long run, hips and lower back get their turn too ("open up tight hips").
            usual += [s for s in self.stretches.values() if s.id in LONG_RUN_EXTRAS]
        chosen = list(dict.fromkeys([*first, *usual]))
        return tuple(chosen[:limit])


def parse_library(document: Mapping[str, Any]) -> StretchLibrary:
    """Build the library from its parsed YAML."""
    try:
        stretches = {
            str(raw["id"]): Stretch(
                id=str(raw["id"]),
                title=str(raw["title"]),
                how=" ".join(str(raw["how"]).split()),
                hold_s=int(raw["hold_s"]),
                sides=int(raw["sides"]),
                areas=frozenset(BodyArea(area) for area in _list(raw.get("areas"))),
                loads=frozenset(BodyArea(area) for area in _list(raw.get("loads"))),
            )
            for raw in document["stretches"]
        }
        return StretchLibrary(
            stretches,
            tuple(str(name) for name in document["cool_down"]),
            str(document["breathing"]),
            str(document["gentle"]),
        )
    except KnowledgeError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise KnowledgeError(f"malformed stretch data: {exc!r}") from exc


@functools.cache
def load_library() -> StretchLibrary:
    """Load the packaged stretch library (once per process)."""
    text = resources.files("routines").joinpath("data/stretches.yaml").read_text("utf-8")
    return parse_library(load_yaml(text))


def _list(value: Any) -> Iterable[str]:
    return [str(item) for item in value] if isinstance(value, list) else []
