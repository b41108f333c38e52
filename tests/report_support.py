"""Twelve weeks of a runner's runs, their daily load averages and a recovery log, for reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from routines import RunRecord
from routines.context import DistanceUnit
from skill.history import History
from skill.recovery_log import EntryKind, LogEntry, RecoveryLog
from skill.report import ReportData, build_report_data

NOW = datetime(2025, 6, 2, 20, 0, tzinfo=UTC)
# Kilometres per week, oldest first: week 5 is a spike over its 10% cap, weeks 11-12 build past it.
WEEKS_KM = (20.0, 22.0, 24.0, 26.0, 35.0, 25.0, 27.0, 29.0, 30.0, 32.0, 37.0, 35.0)
# Training load per kilometre, as a heart-rate load would roughly give.
LOAD_PER_KM = 9.0


def twelve_weeks_of_runs(now: datetime = NOW) -> tuple[RunRecord, ...]:
    """Three runs a week (40%, 25%, 35% of the week), each inside its 7-day week ending now."""
    runs = []
    for index, total in enumerate(WEEKS_KM):
        week_start = now - timedelta(days=7 * (len(WEEKS_KM) - index))
        for offset, share in ((1, 0.40), (3, 0.25), (5, 0.35)):
            km = round(total * share, 3)
            runs.append(
                RunRecord(
                    at=week_start + timedelta(days=offset, hours=1),
                    distance_km=km,
                    duration_s=km * 330,
                    source="strava",
                    source_id=f"{index}-{offset}",
                    load=km * LOAD_PER_KM,
                    load_method="trimp",
                )
            )
    return tuple(runs)


def sample_log() -> RecoveryLog:
    """A soreness report, a red flag and its clearing, a heat and a bath session."""
    return RecoveryLog().with_entries(
        [
            LogEntry(NOW - timedelta(days=20), EntryKind.SORENESS, "Sore (6/10): calves"),
            LogEntry(
                NOW - timedelta(days=15), EntryKind.RED_FLAG, "Red flag: your ankle is swollen"
            ),
            LogEntry(NOW - timedelta(days=9), EntryKind.CLEARED, "Cleared: your ankle is swollen"),
            LogEntry(NOW - timedelta(days=3), EntryKind.HEAT, "Heating pad on for 20 minutes"),
            LogEntry(NOW - timedelta(days=2), EntryKind.BATH, "Epsom salt bath filled to 39 °C"),
        ]
    )


def sample_report(unit: DistanceUnit = DistanceUnit.KILOMETERS, runner: str = "Sam") -> ReportData:
    """The report of twelve weeks of runs, with load averages and a recovery log."""
    runs = twelve_weeks_of_runs()
    return build_report_data(History(runs=runs), sample_log(), NOW, UTC, runner, unit)
