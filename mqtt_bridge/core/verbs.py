"""Requests as typed values: each verb's JSON parameters parsed once, at the edge."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from mqtt_bridge.errors import RequestError
from mqtt_bridge.health import MAX_RUNNER, Runner
from mqtt_bridge.protocol import Request
from mqtt_bridge.routine_control import unknown_routine
from routines.errors import RoutinesError
from routines.health import HealthState

MAX_ANNOUNCEMENT = 1000
ROUTINE_STEPS = ("stop", "pause", "resume", "next")


@dataclass(frozen=True)
class HeatStart:
    """Switch the heating pad on for a while."""

    minutes: float | None = None
    confirm_quiet_hours: bool = False
    runner: Runner | None = None

    def __post_init__(self) -> None:
        _number("minutes", self.minutes)
        _flag("confirm_quiet_hours", self.confirm_quiet_hours)


@dataclass(frozen=True)
class HeatStop:
    """Switch the heating pad off."""


@dataclass(frozen=True)
class BathFill:
    """Open the bath valve until the bath is full or its time is up."""

    temperature_c: float | None = None
    epsom: bool = False
    runner: Runner | None = None

    def __post_init__(self) -> None:
        _number("temperature_c", self.temperature_c)
        _flag("epsom", self.epsom)


@dataclass(frozen=True)
class BathStop:
    """Close the bath valve."""


@dataclass(frozen=True)
class Speak:
    """Say some words on the home's speaker (the `announce` verb)."""

    text: str

    def __post_init__(self) -> None:
        if not isinstance(self.text, str) or not self.text.strip():
            raise RequestError("text must be a non-empty string")
        if len(self.text) > MAX_ANNOUNCEMENT:
            raise RequestError(f"text must be at most {MAX_ANNOUNCEMENT} characters")


@dataclass(frozen=True)
class Status:
    """Describe the home."""


@dataclass(frozen=True)
class RoutineStart:
    """Start a routine by name, or only check whether it may start (dry run)."""

    name: str
    dry_run: bool = False
    runner: Runner | None = None

    def __post_init__(self) -> None:
        _flag("dry_run", self.dry_run)


@dataclass(frozen=True)
class RoutineStep:
    """Stop, pause, resume or skip ahead in the running routine."""

    step: str

    def __post_init__(self) -> None:
        if self.step not in ROUTINE_STEPS:
            raise ValueError(f"not a routine step: {self.step!r}")


Body = HeatStart | HeatStop | BathFill | BathStop | Speak | Status | RoutineStart | RoutineStep
B = TypeVar("B", bound=Body, covariant=True)


@dataclass(frozen=True)
class Call(Generic[B]):
    """One request to carry out: what it asks, who waits for the answer, and until when."""

    verb: str
    body: B
    transaction: str | None = None
    # When the caller stops waiting: after this, doing it would contradict what the user heard.
    expires_at: datetime | None = None


def parse_call(request: Request, routines: Collection[str]) -> Call[Body]:
    """Turn a parsed request envelope into its verb's typed body; raise RequestError if bad."""
    params = dict(request.params)
    body = _PARSERS[request.verb](params, routines)
    return Call(request.verb, body, request.transaction, request.expires_at)


Params = dict[str, Any]


def _heat_start(params: Params, routines: Collection[str]) -> Body:
    runner = _runner(params)
    _only(params, {"minutes", "confirm_quiet_hours"})
    return HeatStart(params.get("minutes"), params.get("confirm_quiet_hours", False), runner)


def _bath_fill(params: Params, routines: Collection[str]) -> Body:
    runner = _runner(params)
    _only(params, {"temperature_c", "epsom"})
    return BathFill(params.get("temperature_c"), params.get("epsom", False), runner)


def _speak(params: Params, routines: Collection[str]) -> Body:
    _only(params, {"text"})
    return Speak(params.get("text"))  # type: ignore[arg-type]  # checked in __post_init__


def _routine_start(params: Params, routines: Collection[str]) -> Body:
    runner = _runner(params)
    _only(params, {"name", "dry_run"})
    dry_run = params.get("dry_run", False)
    _flag("dry_run", dry_run)
    name = params.get("name")
    if not isinstance(name, str):
        raise unknown_routine(name, routines)
    return RoutineStart(name, dry_run, runner)


def _bare(body: Body) -> Callable[[Params, Collection[str]], Body]:
    def parse(params: Params, routines: Collection[str]) -> Body:
        _only(params, set())
        return body

    return parse


_PARSERS: dict[str, Callable[[Params, Collection[str]], Body]] = {
    "heat/start": _heat_start,
    "heat/stop": _bare(HeatStop()),
    "bath/fill": _bath_fill,
    "bath/stop": _bare(BathStop()),
    "announce": _speak,
    "status": _bare(Status()),
    "routine/start": _routine_start,
    **{f"routine/{step}": _bare(RoutineStep(step)) for step in ROUTINE_STEPS},
}


def _runner(params: Params) -> Runner | None:
    """Take `runner` and `health` out of a request's parameters."""
    name = params.pop("runner", None)
    raw = params.pop("health", None)
    if name is None:
        if raw is not None:
            raise RequestError("health needs the runner it belongs to")
        return None
    if not isinstance(name, str):
        raise RequestError(f"runner must be a name of 1 to {MAX_RUNNER} characters")
    runner = Runner(name)
    if raw is None:
        return runner
    if not isinstance(raw, Mapping):
        raise RequestError("health must be an object with flags")
    try:
        return Runner(name, HealthState.from_dict(raw))
    except RoutinesError as exc:
        raise RequestError(f"health does not parse: {exc}") from exc


def _only(params: Params, allowed: set[str]) -> None:
    unknown = set(params) - allowed
    if unknown:
        raise RequestError(f"unknown parameter {sorted(unknown)[0]!r}")


def _number(name: str, value: object) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise RequestError(f"{name} must be a number")


def _flag(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise RequestError(f"{name} must be true or false")
