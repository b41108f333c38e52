"""Run every benchmark, ours beside its anchor, and write bench/results.md (`make bench`).

Each row module exposes `run(quick: bool) -> list[Row]`. Anchors are measured in the same run
on the same machine, interleaved or back to back with ours. Missed goals are reported in the
table, not by the exit status: that is non-zero only when a benchmark crashed.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import platform
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(BENCH), str(ROOT / "tests")]

from report import render  # noqa: E402
from rows import Row  # noqa: E402

# Section name -> row module in bench/. timers and load are written separately; until they
# exist their rows say so.
SECTIONS = {
    "dispatch": "dispatch",
    "http": "http_rows",
    "cold": "cold_start",
    "bridge": "bridge_rows",
    "timers": "timers",
    "load": "load",
    "imports": "imports",
}
PACKAGES = ("ask-sdk-core", "flask", "waitress", "paho-mqtt")
MOSQUITTO = "/usr/sbin/mosquitto"
RESULTS = BENCH / "results.md"
CHANGES = BENCH / "changes.md"


def machine() -> dict[str, str]:
    """Describe what the figures were measured on."""
    facts = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": str(os.cpu_count()),
        "CPU": _cpu_model(),
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "Python": f"{platform.python_version()} ({platform.python_implementation()})",
    }
    for package in PACKAGES:
        try:
            facts[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            facts[package] = "not installed"
    facts["Mosquitto"] = _mosquitto_version()
    facts["method"] = (
        "latency rows: p50 / p99 in ms, ratio = our p50 / anchor p50 (lower is better); "
        "throughput rows: requests per second, ratio = ours / anchor (higher is better)"
    )
    return facts


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _mosquitto_version() -> str:
    try:
        done = subprocess.run([MOSQUITTO, "-h"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return "not found"
    first = (done.stdout or done.stderr).splitlines()[:1]
    return first[0].removeprefix("mosquitto version ") if first else "unknown"


def load_section(section: str) -> Callable[[bool], list[Row]] | None:
    """Return a section's run function, or None when its module is not in this tree."""
    module = SECTIONS[section]
    if not (BENCH / f"{module}.py").exists():
        return None
    runner: Callable[[bool], list[Row]] = importlib.import_module(module).run
    return runner


def run_sections(sections: list[str], quick: bool) -> tuple[list[Row], bool]:
    """Run each section; return the rows and whether any crashed (its row says how)."""
    rows: list[Row] = []
    crashed = False
    for section in sections:
        started = time.monotonic()
        print(f"bench: {section}...", file=sys.stderr, flush=True)
        runner = load_section(section)
        if runner is None:
            rows.append(
                Row(
                    section=section,
                    name=section,
                    ours="not present",
                    note=f"bench/{SECTIONS[section]}.py is not in this tree yet",
                )
            )
            continue
        try:
            rows += runner(quick)
        except Exception as exc:  # one crashed benchmark must not hide the others' figures
            traceback.print_exc()
            crashed = True
            rows.append(Row(section=section, name=section, ours=f"CRASHED: {exc!r}"[:300]))
        print(f"bench: {section} took {time.monotonic() - started:.0f} s", file=sys.stderr)
    return rows, crashed


def headline_first(rows: list[Row]) -> list[Row]:
    """Put the headline rows (the issue's goals) first, keeping each section's order."""
    return [r for r in rows if r.section == "headline"] + [
        r for r in rows if r.section != "headline"
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and print (and write) the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs: a smoke check")
    parser.add_argument("--only", choices=sorted(SECTIONS), action="append", help="a section")
    parser.add_argument(
        "--output",
        type=Path,
        help="where to write the results [default: bench/results.md for a full run of every "
        "section; a --quick or --only run only prints]",
    )
    options = parser.parse_args(argv)
    # Quiet the servers' own chatter (queue depth, the no-verification warning): the table
    # is the output. Errors still show.
    logging.basicConfig(level=logging.ERROR)
    sections = options.only or list(SECTIONS)
    header = machine()
    header["mode"] = "quick (smoke check)" if options.quick else "full"
    rows, crashed = run_sections(sections, options.quick)
    changes = CHANGES.read_text(encoding="utf-8") if CHANGES.exists() else None
    text = render(header, headline_first(rows), changes, title="Recovery Coach benchmarks")
    print(text)
    output = options.output
    if output is None and not options.quick and not options.only:
        output = RESULTS
    if output is not None:
        output.write_text(text, encoding="utf-8")
        print(f"bench: wrote {output}", file=sys.stderr)
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
