"""Routines as YAML: a name, a spoken title and steps; errors give file, line and reason."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from routines.errors import RoutinesError
from routines.stretches import StretchLibrary, load_library
from routines.yaml_data import compose_yaml, load_yaml

NAME = re.compile(r"^[a-z0-9_]+$")
CONDITIONS = ("bath_ready", "heat_done")
# What a say or wait step can depend on: left out along with it when the safety gate says no.
NEEDS = ("heat", "bath", "stretches")
MAX_WAIT_S = 3600
DEFAULT_WAIT_FOR_S = 30 * 60


class RoutineError(RoutinesError):
    """A routine file is invalid; the message is 'file:line: reason'."""


@dataclass(frozen=True)
class Say:
    text: str
    needs: str | None = None


@dataclass(frozen=True)
class Wait:
    seconds: float
    needs: str | None = None


@dataclass(frozen=True)
class StretchStep:
    stretch_id: str


@dataclass(frozen=True)
class Heat:
    minutes: int
    background: bool = False


@dataclass(frozen=True)
class Bath:
    temperature_c: float | None = None
    epsom: bool = False
    background: bool = False


@dataclass(frozen=True)
class WaitFor:
    condition: str
    timeout_s: float = DEFAULT_WAIT_FOR_S
    then: str | None = None  # said only if the condition came true


Step = Say | Wait | StretchStep | Heat | Bath | WaitFor


@dataclass(frozen=True)
class Routine:
    """A named sequence of steps."""

    name: str
    title: str
    steps: tuple[Step, ...]
    description: str = ""
    source: str = "<string>"

    @property
    def uses(self) -> list[str]:
        """Name what the routine switches on or asks of the body: heat, bath, stretches."""
        kinds = {Heat: "heat", Bath: "bath", StretchStep: "stretches"}
        found = {kinds[type(step)] for step in self.steps if type(step) in kinds}
        return [kind for kind in ("stretches", "heat", "bath") if kind in found]

    def step_title(self, index: int, library: StretchLibrary | None = None) -> str:
        """Describe one step in a few words, for status and "what's next"."""
        step = self.steps[index]
        library = library or load_library()
        titles: dict[type, Any] = {
            Say: lambda s: "a word from your coach",
            Wait: lambda s: (
                f"a {round(s.seconds / 60)} minute pause"
                if s.seconds >= 60
                else f"a {round(s.seconds)} second pause"
            ),
            StretchStep: lambda s: library.get(s.stretch_id).title.lower(),
            Heat: lambda s: f"{s.minutes} minutes of heat",
            Bath: lambda s: "an Epsom bath" if s.epsom else "a warm bath",
            WaitFor: lambda s: (
                "waiting for your bath"
                if s.condition == "bath_ready"
                else "waiting for the heating pad"
            ),
        }
        return str(titles[type(step)](step))


def parse_routine(
    text: str, source: str = "<string>", library: StretchLibrary | None = None
) -> Routine:
    """Parse and check a routine, reporting problems as 'source:line: reason'."""
    library = library or load_library()
    try:
        root = compose_yaml(text)
        document = load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", exc)
        raise RoutineError(f"{source}:{line}: not valid YAML ({problem})") from None

    def fail(line: int, reason: str) -> RoutineError:
        return RoutineError(f"{source}:{line}: {reason}")

    if not isinstance(document, Mapping) or root is None:
        raise fail(1, "a routine is a mapping with name, title and steps")
    lines = _key_lines(root)
    unknown = set(document) - {"name", "title", "description", "steps"}
    if unknown:
        key = sorted(unknown)[0]
        raise fail(lines.get(key, 1), f"unknown key {key!r}")
    name = document.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise fail(lines.get("name", 1), "name must be lower_case_with_underscores")
    title = document.get("title")
    if not isinstance(title, str) or not title.strip():
        raise fail(lines.get("title", 1), "title is required (what Alexa calls the routine)")
    raw_steps = document.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise fail(lines.get("steps", 1), "steps must be a non-empty list")
    step_lines = _item_lines(root, "steps")
    steps: list[Step] = []
    for index, raw in enumerate(raw_steps):
        line = step_lines[index] if index < len(step_lines) else lines.get("steps", 1)
        try:
            steps.extend(_parse_step(raw, library))
        except ValueError as exc:
            raise fail(line, str(exc)) from None
    return Routine(name, title.strip(), tuple(steps), str(document.get("description", "")), source)


def _parse_step(raw: Any, library: StretchLibrary) -> list[Step]:
    if not isinstance(raw, Mapping):
        raise ValueError("each step is a mapping such as {say: ...} or {stretch: calf_wall}")
    background = raw.get("background", False)
    if not isinstance(background, bool):
        raise ValueError("background must be true or false")
    needs = raw.get("needs")
    if needs is not None and needs not in NEEDS:
        raise ValueError(f"needs is one of {', '.join(NEEDS)}")
    kinds = [key for key in raw if key not in ("background", "needs")]
    if len(kinds) != 1:
        raise ValueError(f"a step has exactly one action, got {sorted(map(str, kinds))}")
    kind = kinds[0]
    value = raw[kind]
    if background and kind not in ("heat", "bath"):
        raise ValueError("only heat and bath steps can run in the background")
    if needs is not None and kind not in ("say", "wait"):
        raise ValueError("only say and wait steps can have needs")
    if kind == "say":
        if not isinstance(value, str) or not value.strip():
            raise ValueError("say needs the words to say")
        return [Say(" ".join(value.split()), needs)]
    if kind == "wait":
        return [Wait(_seconds(value), needs)]
    if kind == "stretch":
        return [StretchStep(_stretch_id(value, library))]
    if kind == "stretches":
        ids = library.cool_down if value == "cool_down" else value
        if not isinstance(ids, list | tuple) or not ids:
            raise ValueError("stretches is 'cool_down' or a list of stretch ids")
        return [StretchStep(_stretch_id(item, library)) for item in ids]
    if kind == "heat":
        options = value if isinstance(value, Mapping) else {"minutes": value}
        _only(options, {"minutes"}, "heat")
        minutes = options.get("minutes")
        if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 60:
            raise ValueError("heat minutes must be a whole number from 1 to 60")
        return [Heat(minutes, background)]
    if kind == "bath":
        options = value if isinstance(value, Mapping) else {}
        _only(options, {"temperature_c", "epsom"}, "bath")
        temperature = options.get("temperature_c")
        if temperature is not None and (
            isinstance(temperature, bool) or not isinstance(temperature, int | float)
        ):
            raise ValueError("bath temperature_c must be a number")
        epsom = options.get("epsom", False)
        if not isinstance(epsom, bool):
            raise ValueError("bath epsom must be true or false")
        return [Bath(float(temperature) if temperature is not None else None, epsom, background)]
    if kind == "wait_for":
        options = value if isinstance(value, Mapping) else {"condition": value}
        _only(options, {"condition", "timeout_minutes", "then"}, "wait_for")
        condition = options.get("condition")
        if condition not in CONDITIONS:
            raise ValueError(f"wait_for is one of {', '.join(CONDITIONS)}")
        timeout = options.get("timeout_minutes", DEFAULT_WAIT_FOR_S / 60)
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, int | float)
            or not 0 < timeout <= 60
        ):
            raise ValueError("wait_for timeout_minutes must be 1 to 60")
        then = options.get("then")
        if then is not None and not isinstance(then, str):
            raise ValueError("wait_for then must be words to say")
        return [WaitFor(str(condition), float(timeout) * 60, then)]
    raise ValueError(
        f"unknown step {kind!r}: use say, wait, stretch, stretches, heat, bath or wait_for"
    )


def _seconds(value: Any) -> float:
    if isinstance(value, Mapping):
        _only(value, {"seconds", "minutes"}, "wait")
        seconds = float(value.get("seconds", 0)) + float(value.get("minutes", 0)) * 60
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise ValueError("wait is a number of seconds, or {seconds: N} / {minutes: N}")
    if not 0 < seconds <= MAX_WAIT_S:
        raise ValueError(f"wait must be between 0 and {MAX_WAIT_S} seconds")
    return seconds


def _stretch_id(value: Any, library: StretchLibrary) -> str:
    if not isinstance(value, str) or value not in library.stretches:
        known = ", ".join(sorted(library.stretches))
        raise ValueError(f"unknown stretch {value!r}; known: {known}")
    return value


def _only(options: Mapping[str, Any], allowed: set[str], kind: str) -> None:
    unknown = set(map(str, options)) - allowed
    if unknown:
        raise ValueError(f"{kind} has no option {sorted(unknown)[0]!r}")


def _key_lines(root: yaml.Node) -> dict[str, int]:
    if not isinstance(root, yaml.MappingNode):
        return {}
    return {str(key.value): key.start_mark.line + 1 for key, _ in root.value}


def _item_lines(root: yaml.Node, key: str) -> list[int]:
    if not isinstance(root, yaml.MappingNode):
        return []
    for name, value in root.value:
        if name.value == key and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def builtin_routines(library: StretchLibrary | None = None) -> dict[str, Routine]:
    """Load the routines that ship with Recovery Coach."""
    folder = resources.files("routines").joinpath("data/routines")
    found = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            routine = parse_routine(entry.read_text("utf-8"), f"routines/{entry.name}", library)
            found[routine.name] = routine
    return found


def load_routines(
    folder: Path | None = None, library: StretchLibrary | None = None
) -> dict[str, Routine]:
    """Return the built-in routines plus a user's own from `folder` (which may replace them)."""
    routines = builtin_routines(library)
    if folder is not None:
        if not folder.is_dir():
            raise RoutineError(f"{folder}: routines folder does not exist")
        for path in sorted(folder.glob("*.yaml")):
            routine = parse_routine(path.read_text("utf-8"), str(path), library)
            routines[routine.name] = routine
    return routines
