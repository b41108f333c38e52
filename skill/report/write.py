"""Make a runner's report from what the skill stored for them, and write it to a file."""

from __future__ import annotations

from datetime import datetime, tzinfo
from pathlib import Path

from skill.history import History
from skill.persistence import SQLitePersistenceAdapter
from skill.recovery_log import RecoveryLog
from skill.report.data import ReportError, build_report_data
from skill.report.page import render_report


def write_report(
    database: Path,
    user_id: str,
    out: Path,
    now: datetime,
    tz: tzinfo,
    runner: str | None = None,
) -> Path:
    """Read the user's attributes from the skill's database and write their report to `out`."""
    if not database.exists():
        raise ReportError(f"no skill database at {database}: the skill has stored nothing yet")
    store = SQLitePersistenceAdapter(database)
    try:
        attributes = store.read_user(user_id)
    finally:
        store.close()
    if not attributes:
        raise ReportError(f"nothing is stored for user {user_id!r} in {database}")
    data = build_report_data(
        History.from_attributes(attributes),
        RecoveryLog.from_attributes(attributes),
        now,
        tz,
        runner or user_id,
    )
    try:
        out.write_text(render_report(data), encoding="utf-8")
    except OSError as exc:
        raise ReportError(f"cannot write the report to {out}: {exc}") from exc
    return out
