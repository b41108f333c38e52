"""Clocks: the real one, and a scaled one so a 20-minute session can be watched in seconds."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Tell the time, and how many real seconds a span of clock seconds takes."""

    scale: float

    def now(self) -> datetime:
        """Return the current (possibly scaled) time, timezone-aware."""
        ...

    def wall(self, moment: datetime) -> datetime:
        """Return the wall-clock time at which this clock reads `moment`."""
        ...


class ScaledClock:
    """Wall-clock time sped up `scale` times around a fixed origin.

    Processes that share the origin (the bridge, the simulators, a restarted bridge) agree on
    the time, so deadlines persisted by one are read correctly by the next. Once started, the
    clock advances with the monotonic clock: a wall clock stepped back an hour (NTP, a dead RTC
    battery) would otherwise keep a heating pad on for an extra hour.
    """

    def __init__(self, scale: float = 1.0, origin: float | None = None) -> None:
        if not 0 < scale <= 10_000:
            raise ValueError("time scale must be between 0 and 10000")
        self.scale = scale
        self._wall0 = self._wall_time()
        self._mono0 = time.monotonic()
        self.origin = self._wall0 if origin is None else origin

    def now(self) -> datetime:
        """Return origin + elapsed time * scale, elapsed time measured monotonically."""
        elapsed = self._wall0 - self.origin + (time.monotonic() - self._mono0)
        return datetime.fromtimestamp(self.origin + elapsed * self.scale, UTC)

    def wall(self, moment: datetime) -> datetime:
        """Return the wall-clock time at which this clock reads (or read) `moment`."""
        behind = (self.now() - moment).total_seconds() / self.scale
        return datetime.fromtimestamp(self._wall_time() - behind, UTC)

    def _wall_time(self) -> float:
        return time.time()


SYSTEM_CLOCK = ScaledClock(1.0, origin=0.0)
