"""The runner's HTML report: twelve weeks of mileage, training load and the recovery log."""

from skill.report.data import (
    DayLoad,
    ReportData,
    ReportError,
    WeekBar,
    build_report_data,
    run_entry,
    weekly_bars,
)
from skill.report.page import render_report

__all__ = [
    "DayLoad",
    "ReportData",
    "ReportError",
    "WeekBar",
    "build_report_data",
    "render_report",
    "run_entry",
    "weekly_bars",
]
