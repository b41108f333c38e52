"""Run a routine against a clock: pure, so it is tested with a fake clock and no devices.

A routine compiles to items at offsets from the start of a segment. A segment ends at a blocking
wait (for the heating pad or the bath); the next one starts when the condition comes true. Every
time is the segment's anchor plus an offset, never the sum of sleeps, so nothing drifts over a
30-minute routine. Pausing shifts the anchor by the length of the pause.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from routines.routine import Bath, Heat, Routine, Say, StretchStep, Wait, WaitFor
from routines.stretches import SETTLE_S, StretchLibrary, load_library, speech_seconds

HEAT_GRACE_S = 120  # a heat session reports done within its minutes plus this


class Status(StrEnum):
    RUNNING = "running"
    WAITING = "waiting"
    PAUSED = "paused"
    FINISHED = "finished"
    STOPPED = "stopped"


@dataclass(frozen=True)
class Announce:
    """Say something on the home's speaker."""

    text: str


@dataclass(frozen=True)
class StartHeat:
    """Start the heating pad; the bridge's safety rules still apply."""

    minutes: int


@dataclass(frozen=True)
class FillBath:
    """Fill the bath; the bridge's safety rules still apply."""

    temperature_c: float | None
    epsom: bool


@dataclass(frozen=True)
class StopDevice:
    """Stop what the routine started ('heat' or 'bath')."""

    device: str


Action = Announce | StartHeat | FillBath | StopDevice


@dataclass(frozen=True)
class _Item:
    offset_s: float
    step: int
    action: Action | None = None
    condition: str | None = None  # a blocking wait
    timeout_s: float = 0.0
    then: str | None = None


def compile_routine(routine: Routine, library: StretchLibrary) -> list[_Item]:
    """Lay the steps out as timed items, segment by segment."""
    items: list[_Item] = []
    offset = 0.0
    for index, step in enumerate(routine.steps):
        if isinstance(step, Say):
            items.append(_Item(offset, index, Announce(step.text)))
            offset += speech_seconds(step.text) + SETTLE_S
        elif isinstance(step, Wait):
            items.append(_Item(offset, index))
            offset += step.seconds
        elif isinstance(step, StretchStep):
            stretch = library.get(step.stretch_id)
            for cue in library.cues(stretch):
                items.append(_Item(offset + cue.at_s, index, Announce(cue.text)))
            offset += library.duration_s(stretch)
        elif isinstance(step, Heat):
            items.append(_Item(offset, index, StartHeat(step.minutes)))
            if not step.background:
                timeout = step.minutes * 60 + HEAT_GRACE_S
                items.append(_Item(offset, index, condition="heat_done", timeout_s=timeout))
                offset = 0.0
        elif isinstance(step, Bath):
            items.append(_Item(offset, index, FillBath(step.temperature_c, step.epsom)))
            if not step.background:
                items.append(_Item(offset, index, condition="bath_ready", timeout_s=30 * 60))
                offset = 0.0
        elif isinstance(step, WaitFor):
            items.append(
                _Item(
                    offset,
                    index,
                    condition=step.condition,
                    timeout_s=step.timeout_s,
                    then=step.then,
                )
            )
            offset = 0.0
    return items


# Asked before each part of a step is carried out: None to go ahead, or why the step is skipped.
Check = Callable[[int], str | None]


@dataclass
class RoutineRun:
    """One run of a routine: call tick() when next_wakeup() comes, and forward events."""

    routine: Routine
    library: StretchLibrary = field(default_factory=load_library)
    check: Check | None = None
    status: Status = Status.RUNNING
    _items: list[_Item] = field(init=False)
    _next: int = field(init=False, default=0)
    _anchor: datetime | None = field(init=False, default=None)
    _paused_at: datetime | None = field(init=False, default=None)
    _block_deadline: datetime | None = field(init=False, default=None)
    _met: set[str] = field(init=False, default_factory=set)
    _failed: set[str] = field(init=False, default_factory=set)
    _started: set[str] = field(init=False, default_factory=set)
    step: int = field(init=False, default=0)
    _resume_status: Status = field(init=False, default=Status.RUNNING)
    _refusals_said: set[str] = field(init=False, default_factory=set)

    def __post_init__(self) -> None:
        self._items = compile_routine(self.routine, self.library)

    def start(self, now: datetime) -> list[Action]:
        """Begin now."""
        self._anchor = now
        return self.tick(now)

    # --- the schedule ---------------------------------------------------------------------

    def tick(self, now: datetime) -> list[Action]:
        """Return every action due by now."""
        out: list[Action] = []
        if self.status in (Status.PAUSED, Status.FINISHED, Status.STOPPED) or self._anchor is None:
            return out
        if self.status is Status.WAITING:
            assert self._block_deadline is not None
            item = self._items[self._next]
            refusal = self._refusal(item)
            if refusal is not None:
                # Health changed while waiting (the heat was stopped for it): move on quietly.
                out += self._say_refusal(refusal)
                self._leave_block(now, announce_then=False)
            elif item.condition in self._met or item.condition in self._failed:
                out += self._leave_block(now, announce_then=True)
            elif now >= self._block_deadline:
                out.append(Announce(_timed_out(item.condition)))
                self._leave_block(self._block_deadline, announce_then=False)
            else:
                return out
        while self._next < len(self._items):
            item = self._items[self._next]
            due = self._anchor + timedelta(seconds=item.offset_s)
            if due > now:
                break
            self.step = item.step
            refusal = self._refusal(item)
            if refusal is not None:
                out += self._say_refusal(refusal)
                self._skip_step_at(due)
                continue
            if item.condition is None:
                if item.action is not None:
                    out.append(item.action)
                    self._note_started(item.action)
                self._next += 1
                continue
            if item.condition in self._met or item.condition in self._failed:
                # Already true (or already failed) by the time we get here: no wait at all.
                out += self._then(item)
                self._anchor = due
                self._next += 1
                continue
            self.status = Status.WAITING
            self._block_deadline = due + timedelta(seconds=item.timeout_s)
            return out
        if self._next >= len(self._items):
            self.status = Status.FINISHED
        return out

    def next_wakeup(self) -> datetime | None:
        """Return when tick() next has something to do."""
        if self._anchor is None or self.status in (Status.PAUSED, Status.FINISHED, Status.STOPPED):
            return None
        if self.status is Status.WAITING:
            return self._block_deadline
        if self._next >= len(self._items):
            return self._anchor
        return self._anchor + timedelta(seconds=self._items[self._next].offset_s)

    # --- events from the home --------------------------------------------------------------

    def condition(self, name: str, now: datetime, ok: bool = True) -> list[Action]:
        """Record that the bath got ready / the heat ended (or failed), and carry on."""
        (self._met if ok else self._failed).add(name)
        # A wait on it ends now (or on resume, if paused).
        return self.tick(now)

    def _refusal(self, item: _Item) -> str | None:
        return self.check(item.step) if self.check is not None else None

    def _say_refusal(self, reason: str) -> list[Action]:
        if reason in self._refusals_said:
            return []
        self._refusals_said.add(reason)
        return [Announce(reason)]

    def _skip_step_at(self, due: datetime) -> None:
        """Leave out the rest of the current step; what follows is due when it would have been."""
        assert self._anchor is not None
        first = self._next
        step = self._items[first].step
        end = first
        while end < len(self._items) and self._items[end].step == step:
            end += 1
        if end < len(self._items):
            if any(item.condition is not None for item in self._items[first:end]):
                self._anchor = due  # the next segment would have started when the wait ended
            else:
                shift = self._items[end].offset_s - self._items[first].offset_s
                self._anchor -= timedelta(seconds=shift)
        self._next = end

    def _leave_block(self, now: datetime, announce_then: bool) -> list[Action]:
        item = self._items[self._next]
        out = self._then(item) if announce_then else []
        self._anchor = now
        self._next += 1
        self._block_deadline = None
        self.status = Status.RUNNING
        return out

    def _then(self, item: _Item) -> list[Action]:
        if item.then and item.condition in self._met:
            return [Announce(item.then)]
        if item.condition in self._failed:
            return [Announce(_skipped(item.condition))]
        return []

    # --- control ---------------------------------------------------------------------------

    def pause(self, now: datetime) -> list[Action]:
        """Hold the schedule where it is."""
        if self.status in (Status.RUNNING, Status.WAITING):
            self._resume_status = self.status
            self.status = Status.PAUSED
            self._paused_at = now
            return [Announce("Paused. Say resume when you're ready.")]
        return []

    def resume(self, now: datetime) -> list[Action]:
        """Continue, shifting everything still to come by the length of the pause."""
        if self.status is not Status.PAUSED or self._paused_at is None or self._anchor is None:
            return []
        shift = now - self._paused_at
        self._anchor += shift
        if self._block_deadline is not None:
            self._block_deadline += shift
        self.status = self._resume_status
        self._paused_at = None
        return [Announce("Resuming."), *self.tick(now)]

    def skip(self, now: datetime) -> list[Action]:
        """Move on to the next step now."""
        if self.status in (Status.FINISHED, Status.STOPPED):
            return []
        current = self._items[self._next].step if self._next < len(self._items) else self.step
        following = next(
            (i for i in range(self._next, len(self._items)) if self._items[i].step > current),
            len(self._items),
        )
        self._next = following
        self._block_deadline = None
        self._paused_at = None
        self.status = Status.RUNNING
        if following < len(self._items):
            self._anchor = now - timedelta(seconds=self._items[following].offset_s)
        return self.tick(now)

    def stop(self, now: datetime) -> list[Action]:
        """End the routine and stop what it started."""
        if self.status in (Status.FINISHED, Status.STOPPED):
            return []
        self.status = Status.STOPPED
        out: list[Action] = [StopDevice(d) for d in sorted(self._started - self._done())]
        return [*out, Announce("Routine stopped.")]

    def upcoming(self) -> int | None:
        """Return the index of the next step to begin, if any."""
        later = [item.step for item in self._items[self._next :] if item.step > self.step]
        return later[0] if later else None

    def _note_started(self, action: Action) -> None:
        if isinstance(action, StartHeat):
            self._started.add("heat")
        elif isinstance(action, FillBath):
            self._started.add("bath")

    def _done(self) -> set[str]:
        done = set()
        if "heat_done" in self._met | self._failed:
            done.add("heat")
        if "bath_ready" in self._met | self._failed:
            done.add("bath")
        return done


def _timed_out(condition: str | None) -> str:
    what = "the bath" if condition == "bath_ready" else "the heating pad"
    return f"I waited long enough for {what}, so let's move on."


def _skipped(condition: str | None) -> str:
    what = "the bath" if condition == "bath_ready" else "the heating pad"
    return f"{what[0].upper()}{what[1:]} didn't start, so let's skip that part."
