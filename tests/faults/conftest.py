"""Fault-matrix fixtures, and the hook that prints the table (and writes it when asked).

`make faults` sets FAULTS_TABLE=docs/faults.md: the table is printed at the end of the run and
written there. Without it (e.g. in `make test`) rows are collected and nothing is written.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fault_harness import FaultHome
from fault_table import Row, document, render

from mqtt_bridge.broker import MosquittoBroker

ROW_KEY = "fault_row"
_rows: list[tuple[Row, str]] = []


@pytest.fixture
def make_home(
    private_broker: MosquittoBroker, tmp_path: Path
) -> Iterator[Callable[..., FaultHome]]:
    """Start a home on this test's own broker; everything is stopped afterwards."""
    homes: list[FaultHome] = []

    def make(**options: Any) -> FaultHome:
        home = FaultHome(private_broker, tmp_path, **options)
        homes.append(home)
        return home.start()

    yield make
    for home in homes:
        home.close()


@pytest.fixture
def record(request: pytest.FixtureRequest) -> Callable[[Row], Row]:
    """Record this case's row for the table (call it before asserting the goals)."""

    def keep(row: Row) -> Row:
        request.node.user_properties.append((ROW_KEY, row))
        return row

    return keep


def _outcome(report: pytest.TestReport) -> str:
    expected_failure = hasattr(report, "wasxfail")
    if report.skipped:
        return "xfail" if expected_failure else "skipped"
    if report.failed:
        return "**XPASS(strict)**" if expected_failure else "**FAILED**"
    return "xpass" if expected_failure else "pass"


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call":
        return
    for key, value in report.user_properties:
        if key == ROW_KEY and isinstance(value, Row):
            _rows.append((value, _outcome(report)))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    target = os.environ.get("FAULTS_TABLE")
    if not target or not _rows:
        return
    terminalreporter.section("fault matrix (issue #10)")
    terminalreporter.write(render(_rows))
    Path(target).write_text(document(_rows), encoding="utf-8")
    terminalreporter.write_line(f"written to {target}")
