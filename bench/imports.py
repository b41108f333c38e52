"""Import time by module (`python -X importtime`), the ten heaviest by cumulative time."""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

from rows import Row

SECTION = "import time (python -X importtime), top ten by cumulative"
ROOT = Path(__file__).resolve().parent.parent
ENTRIES = {
    "skill.lambda_function": "the Lambda handler's module",
    "skill.cli": "the serve entry (recovery-coach)",
}


def parse(stderr: str) -> dict[str, tuple[int, int]]:
    """Return module -> (self us, cumulative us) from importtime's stderr."""
    times: dict[str, tuple[int, int]] = {}
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        fields = line[len("import time:") :].split("|")
        if len(fields) != 3:
            continue
        name = fields[2].strip()
        times[name] = (int(fields[0]), int(fields[1]))
    return times


def measure(module: str, runs: int) -> dict[str, tuple[int, int]]:
    """Import module in fresh processes; return each module's median times."""
    samples: list[dict[str, tuple[int, int]]] = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", f"import {module}"],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        samples.append(parse(done.stderr))
    names = set.intersection(*(set(sample) for sample in samples))
    return {
        name: (
            round(statistics.median(s[name][0] for s in samples)),
            round(statistics.median(s[name][1] for s in samples)),
        )
        for name in names
    }


def run(quick: bool) -> list[Row]:
    """One row per entry (its total), then the ten heaviest imports under it."""
    runs = 1 if quick else 3
    rows: list[Row] = []
    for entry, meaning in ENTRIES.items():
        times = measure(entry, runs)
        total = times[entry][1] / 1000
        rows.append(
            Row(section=SECTION, name=f"**{entry}** ({meaning})", ours=f"{total:.0f} ms total")
        )
        # Top-level packages only would hide which submodule costs; the whole tree is ranked,
        # skipping the entry and its parent packages (which contain it).
        ranked = sorted(
            (
                (name, pair)
                for name, pair in times.items()
                if name != entry and not entry.startswith(f"{name}.")
            ),
            key=lambda item: item[1][1],
            reverse=True,
        )[:10]
        for name, (own, cumulative) in ranked:
            rows.append(
                Row(
                    section=SECTION,
                    name=f"{entry} → {name}",
                    ours=f"{cumulative / 1000:.1f} ms cumulative ({own / 1000:.1f} ms self)",
                )
            )
    return rows
