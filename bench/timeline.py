"""Read a device's on/off history: when it really switched off, and how late that was."""

from __future__ import annotations

from collections.abc import Sequence

Change = tuple[float, bool]  # (wall-clock time, on) as tests/faults/fault_devices.py History keeps


def first_off_after(changes: Sequence[Change], moment: float) -> float | None:
    """Return when the device first switched off at or after `moment` (None if it has not)."""
    previous_on = False
    for at, on in changes:
        if at >= moment and previous_on and not on:
            return at
        previous_on = on
    return None


def lateness_ms(changes: Sequence[Change], switched_on: float, deadline: float) -> float | None:
    """Return how late (ms, negative if early) the session that began at switched_on ended.

    The session's end is the first off after it began, whether that came before or after the
    deadline: an early off counts as negative lateness, not as a miss.
    """
    off = first_off_after(changes, switched_on)
    return None if off is None else (off - deadline) * 1000.0


def drifts_ms(arrivals: Sequence[float], offsets_s: Sequence[float], scale: float) -> list[float]:
    """Return each arrival's drift (real ms) from its schedule, anchored on the first one.

    arrivals are wall-clock seconds, offsets_s the schedule in clock seconds from the first
    item; a clock running `scale` times fast puts item k at arrivals[0] + offsets_s[k] / scale.
    """
    if len(arrivals) != len(offsets_s):
        raise ValueError("one arrival per scheduled offset")
    if not arrivals:
        return []
    start, base = arrivals[0], offsets_s[0]
    return [
        (arrived - start - (offset - base) / scale) * 1000.0
        for arrived, offset in zip(arrivals, offsets_s, strict=True)
    ]
