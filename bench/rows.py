"""Hold one benchmark row: our figure beside its anchor, the ratio and the goal."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, replace
from typing import Literal

# "lower" rows compare latencies (ours / anchor, smaller is better); "higher" rows compare
# throughputs (ours / anchor, larger is better); "absolute" rows have no anchor, only a goal.
Direction = Literal["lower", "higher", "absolute"]


@dataclass(frozen=True)
class Row:
    """One line of bench/results.md."""

    section: str
    name: str
    ours: str
    anchor: str = "—"
    ratio: float | None = None
    direction: Direction = "lower"
    goal: float | None = None
    goal_text: str = "—"
    meets: bool | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if not self.section or not self.name:
            raise ValueError("a row needs a section and a name")
        if self.ratio is not None and self.ratio < 0:
            raise ValueError(f"negative ratio for {self.name}")

    @classmethod
    def compared(
        cls,
        section: str,
        name: str,
        ours: float,
        anchor: float,
        unit: str,
        direction: Direction,
        goal: float | None,
        note: str = "",
    ) -> Row:
        """Build a row from two measured figures of the same unit."""
        ratio = ours / anchor if anchor > 0 else None
        meets: bool | None = None
        goal_text = "—"
        if goal is not None and ratio is not None:
            meets = ratio <= goal if direction == "lower" else ratio >= goal
            goal_text = f"≤ {goal:g}x" if direction == "lower" else f"≥ {goal:g}x"
        return cls(
            section=section,
            name=name,
            ours=f"{ours:.3g} {unit}",
            anchor=f"{anchor:.3g} {unit}",
            ratio=ratio,
            direction=direction,
            goal=goal,
            goal_text=goal_text,
            meets=meets,
            note=note,
        )

    @classmethod
    def timed(
        cls,
        section: str,
        name: str,
        ours: list[float],
        anchor: list[float],
        goal: float | None,
        note: str = "",
    ) -> Row:
        """Build a latency row (ms samples) compared by the median, showing p50/p99 of both."""
        row = cls.compared(
            section,
            name,
            statistics.median(ours),
            statistics.median(anchor),
            "ms",
            "lower",
            goal,
            note,
        )
        return replace(row, ours=_p50_p99_text(ours), anchor=_p50_p99_text(anchor))


def _p50_p99_text(samples: list[float]) -> str:
    p50, p99 = p50_p99(samples)
    return f"{_ms(p50)} / {_ms(p99)} ms"


def _ms(value: float) -> str:
    # Three significant figures, without switching to exponents past 1000 ms.
    return f"{value:.0f}" if value >= 100 else f"{value:.3g}"


def percentile(samples: list[float], share: float) -> float:
    """Return the nearest-rank percentile (share in 0..1) of samples."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


def p50_p99(samples: list[float]) -> tuple[float, float]:
    """Return the median and the 99th percentile of samples."""
    return statistics.median(samples), percentile(samples, 0.99)
