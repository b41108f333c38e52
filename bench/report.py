"""Write bench/results.md from rows: a header about the machine, one table per section."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rows import Row

COLUMNS = ("row", "ours", "anchor", "ratio", "goal", "meets")


def ratio_text(ratio: float | None) -> str:
    """Show a ratio to two decimals, or a dash when there is none."""
    return "—" if ratio is None else f"{ratio:.2f}x"


def meets_text(meets: bool | None) -> str:
    """Say whether a goal holds; a missed goal stands out."""
    if meets is None:
        return "—"
    return "yes" if meets else "**no**"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table(rows: Iterable[Row]) -> str:
    """Render rows as one markdown table, notes as numbered footnotes below it."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    notes: list[str] = []
    for row in rows:
        name = row.name
        if row.note:
            notes.append(row.note)
            name = f"{name} [{len(notes)}]"
        cells = (
            name,
            row.ours,
            row.anchor,
            ratio_text(row.ratio),
            row.goal_text,
            meets_text(row.meets),
        )
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    if notes:
        lines.append("")
        lines += [f"[{number}] {_cell(note)}  " for number, note in enumerate(notes, 1)]
    return "\n".join(lines)


def render(
    header: Mapping[str, str],
    rows: list[Row],
    changes: str | None = None,
    title: str = "Benchmarks",
) -> str:
    """Render the whole results file: machine facts, a summary, each section, then changes."""
    lines = [f"# {title}", "", "Written by `make bench` (bench/run.py); do not edit by hand.", ""]
    lines += [f"- {key}: {value}" for key, value in header.items()]
    judged = [row for row in rows if row.meets is not None]
    missed = [row for row in judged if not row.meets]
    lines += ["", f"{len(judged) - len(missed)} of {len(judged)} goals met."]
    if missed:
        lines.append("Missed: " + "; ".join(f"{row.section}: {row.name}" for row in missed) + ".")
    sections: dict[str, list[Row]] = {}
    for row in rows:
        sections.setdefault(row.section, []).append(row)
    for section, members in sections.items():
        lines += ["", f"## {section}", "", table(members)]
    if changes is not None:
        lines += ["", "## Changes, before and after", "", changes.strip()]
    return "\n".join(lines) + "\n"
