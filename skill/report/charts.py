"""Draw the report's charts as inline SVG: weekly mileage with the 10% band, and training load."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from routines.context import DistanceUnit
from skill.report.data import DayLoad, WeekBar

WIDTH = 720
HEIGHT = 320
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 40, 44
PLOT_W = WIDTH - LEFT - RIGHT
PLOT_H = HEIGHT - TOP - BOTTOM
BAR_SHARE = 0.62
TICKS = 5

BAR = "#3465a4"
OVER = "#cc0000"
BAND = "#73d216"
CAP = "#4e9a06"
FITNESS = "#1f77b4"
FATIGUE = "#ff7f0e"
FORM = "#9467bd"
GRID = "#dddddd"
INK = "#333333"


@dataclass(frozen=True)
class Scale:
    """Map values from [low, high] onto the plot's height, SVG's y growing downwards."""

    low: float
    high: float
    step: float

    def y(self, value: float) -> float:
        """Return the SVG y of a value."""
        return TOP + PLOT_H * (self.high - value) / (self.high - self.low)

    def ticks(self) -> list[float]:
        """Return the values a gridline is drawn at."""
        count = round((self.high - self.low) / self.step)
        return [self.low + self.step * index for index in range(count + 1)]


def nice_scale(low: float, high: float) -> Scale:
    """Return a scale covering [low, high] with round steps (1, 2, 2.5 or 5 times a power of 10)."""
    span = max(high - low, 1e-9)
    raw = span / TICKS
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    bottom = math.floor(low / step) * step
    top = math.ceil(high / step) * step
    if top <= bottom:
        top = bottom + step
    return Scale(bottom, top, step)


def day_label(day: date) -> str:
    """Say a date shortly ("3 Mar")."""
    return f"{day.day} {day.strftime('%b')}"


def number(value: float) -> str:
    """Write a value for a label: whole where it is whole, else one decimal."""
    return f"{value:.0f}" if abs(value - round(value)) < 1e-9 else f"{value:.1f}"


def mileage_chart(weeks: Sequence[WeekBar], unit: DistanceUnit, summary: str) -> str:
    """Draw the weekly bars, each week's 10% band up to its cap, and over-cap bars in red."""
    values = [unit.from_km(week.km) for week in weeks]
    caps = [unit.from_km(week.cap_km) if week.cap_km is not None else None for week in weeks]
    scale = nice_scale(0.0, max([*values, *(cap for cap in caps if cap is not None), 1.0]))
    slot = PLOT_W / max(len(weeks), 1)
    parts = [_open("mileage", "Weekly distance and the 10% rule", summary), _grid(scale)]
    for index, (week, value, cap) in enumerate(zip(weeks, values, caps, strict=True)):
        x = LEFT + slot * index
        if cap is not None:
            base = cap / 1.1
            parts.append(
                f'<rect class="band" x="{x:.1f}" y="{scale.y(cap):.1f}" width="{slot:.1f}" '
                f'height="{scale.y(base) - scale.y(cap):.1f}" fill="{BAND}" fill-opacity="0.3"/>'
                f'<line class="cap" x1="{x:.1f}" x2="{x + slot:.1f}" y1="{scale.y(cap):.1f}" '
                f'y2="{scale.y(cap):.1f}" stroke="{CAP}" stroke-width="2" '
                'stroke-dasharray="5 3"/>'
            )
        width = slot * BAR_SHARE
        kind, colour = ("bar over", OVER) if week.over_cap else ("bar", BAR)
        top = scale.y(value)
        parts.append(
            f'<rect class="{kind}" x="{x + (slot - width) / 2:.1f}" y="{top:.1f}" '
            f'width="{width:.1f}" height="{scale.y(0) - top:.1f}" fill="{colour}">'
            f"<title>{escape(_week_words(week, value, cap, unit))}</title></rect>"
            f'<text x="{x + slot / 2:.1f}" y="{HEIGHT - BOTTOM + 16}" '
            f'text-anchor="middle">{day_label(week.start)}</text>'
        )
    parts += [
        _axis_title(f"{unit.value} per week"),
        _legend(
            [("bar", BAR, "distance"), ("bar", OVER, "over the cap"), ("band", BAND, "10% band")]
        ),
        "</svg>",
    ]
    return "".join(parts)


def load_chart(days: Sequence[DayLoad], summary: str) -> str:
    """Draw fitness, fatigue and form as lines over the days, with form's zero line."""
    values = [v for day in days for v in (day.fitness, day.fatigue, day.form)]
    scale = nice_scale(min([*values, 0.0]), max([*values, 1.0]))
    step = PLOT_W / max(len(days) - 1, 1)
    parts = [_open("load", "Fitness, fatigue and form", summary), _grid(scale)]
    zero = scale.y(0.0)
    parts.append(
        f'<line class="zero" x1="{LEFT}" x2="{LEFT + PLOT_W}" y1="{zero:.1f}" y2="{zero:.1f}" '
        f'stroke="{INK}" stroke-width="1.5"/>'
    )
    for index, day in enumerate(days):
        if index % 14 == 0:
            parts.append(
                f'<text x="{LEFT + step * index:.1f}" y="{HEIGHT - BOTTOM + 16}" '
                f'text-anchor="middle">{day_label(day.day)}</text>'
            )
    for name, colour in (("fitness", FITNESS), ("fatigue", FATIGUE), ("form", FORM)):
        points = [(LEFT + step * i, scale.y(getattr(day, name))) for i, day in enumerate(days)]
        if len(points) == 1:
            x, y = points[0]
            parts.append(
                f'<circle class="line {name}" cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>'
            )
            continue
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(
            f'<polyline class="line {name}" points="{path}" fill="none" stroke="{colour}" '
            'stroke-width="3" stroke-linejoin="round" stroke-linecap="round"/>'
        )
    parts += [
        _axis_title("load"),
        _legend(
            [
                ("line", FITNESS, "fitness (42 days)"),
                ("line", FATIGUE, "fatigue (7 days)"),
                ("line", FORM, "form = fitness - fatigue"),
            ]
        ),
        "</svg>",
    ]
    return "".join(parts)


def _open(name: str, title: str, summary: str) -> str:
    return (
        f'<svg class="chart" id="{name}-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{name}-title {name}-desc" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="sans-serif" font-size="12" fill="{INK}">'
        f'<title id="{name}-title">{escape(title)}</title>'
        f'<desc id="{name}-desc">{escape(summary)}</desc>'
        f'<rect class="plot" x="{LEFT}" y="{TOP}" width="{PLOT_W}" height="{PLOT_H}" '
        'fill="#ffffff"/>'
    )


def _grid(scale: Scale) -> str:
    lines = []
    for value in scale.ticks():
        y = scale.y(value)
        lines.append(
            f'<line x1="{LEFT}" x2="{LEFT + PLOT_W}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{number(value)}</text>'
        )
    return "".join(lines)


def _axis_title(text: str) -> str:
    middle = TOP + PLOT_H / 2
    return (
        f'<text x="14" y="{middle:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {middle:.1f})">{escape(text)}</text>'
    )


def _legend(items: Sequence[tuple[str, str, str]]) -> str:
    parts = ['<g class="legend">']
    x = float(LEFT)
    for shape, colour, label in items:
        if shape == "line":
            parts.append(
                f'<line x1="{x:.1f}" x2="{x + 18:.1f}" y1="16" y2="16" stroke="{colour}" '
                'stroke-width="3"/>'
            )
        else:
            opacity = ' fill-opacity="0.3"' if shape == "band" else ""
            parts.append(
                f'<rect x="{x:.1f}" y="10" width="18" height="12" fill="{colour}"{opacity}/>'
            )
        parts.append(f'<text x="{x + 24:.1f}" y="20">{escape(label)}</text>')
        x += 24 + 7.5 * len(label) + 18
    parts.append("</g>")
    return "".join(parts)


def _week_words(week: WeekBar, value: float, cap: float | None, unit: DistanceUnit) -> str:
    words = f"Week of {day_label(week.start)}: {value:.1f} {unit.value}"
    if cap is not None:
        words += f", cap {cap:.1f} {unit.value}"
        if week.over_cap:
            words += " (over the cap)"
    return words
