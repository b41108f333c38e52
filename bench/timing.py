"""Time ours and its anchor interleaved, so drift on a shared machine hits both alike."""

from __future__ import annotations

import time
from collections.abc import Callable


def interleaved(
    ours: Callable[[], object],
    anchor: Callable[[], object],
    runs: int,
    warmup: int = 20,
    batch: int = 10,
) -> tuple[list[float], list[float]]:
    """Return ms samples of each: warm both up, then alternate batches of `batch` calls."""
    for _ in range(warmup):
        ours()
        anchor()
    ours_ms: list[float] = []
    anchor_ms: list[float] = []
    while len(ours_ms) < runs:
        for operation, samples in ((ours, ours_ms), (anchor, anchor_ms)):
            for _ in range(min(batch, runs - len(samples))):
                started = time.perf_counter()
                operation()
                samples.append((time.perf_counter() - started) * 1000)
    return ours_ms, anchor_ms
