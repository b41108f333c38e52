"""Write the report as one self-contained HTML page: inline CSS and SVG, nothing fetched."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from skill.recovery_log import EntryKind, LogEntry
from skill.report.charts import day_label, load_chart, mileage_chart
from skill.report.data import DayLoad, ReportData, WeekBar

KIND_NAMES = {
    EntryKind.SORENESS: "Soreness",
    EntryKind.RED_FLAG: "Red flag",
    EntryKind.CLEARED: "Cleared",
    EntryKind.HEAT: "Heat",
    EntryKind.BATH: "Bath",
    EntryKind.RUN: "Run",
}
ADD_RUNS = (
    "No runs yet, so there is nothing to chart. Tell Alexa about a run "
    "(“Alexa, tell Recovery Coach I ran five kilometres”) or import one from your watch "
    "or Strava, then make this report again."
)
NOTHING_LOGGED = (
    "Nothing logged yet. Tell Alexa how you feel (“my calves are sore”) and it shows up here."
)
STYLE = """
body { font-family: system-ui, sans-serif; color: #333; max-width: 760px; margin: 0 auto;
       padding: 16px; background: #f7f7f7; line-height: 1.4; }
section { background: #fff; border-radius: 8px; padding: 12px 16px; margin: 16px 0; }
h1 { font-size: 1.5em; margin: 0.2em 0; }
h2 { font-size: 1.15em; margin: 0.3em 0; }
svg.chart { width: 100%; height: auto; display: block; }
table { border-collapse: collapse; width: 100%; font-size: 0.9em; }
th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid #e5e5e5; }
td.num, th.num { text-align: right; }
tr.over td { color: #cc0000; font-weight: bold; }
.kind { display: inline-block; min-width: 5.5em; font-weight: bold; }
.red_flag .kind { color: #cc0000; }
.cleared .kind { color: #4e9a06; }
.muted { color: #666; font-size: 0.9em; }
"""


def render_report(data: ReportData) -> str:
    """Return the report page for `data` as one HTML document."""
    generated = _when(data.generated_at, data)
    body = [
        "<header>",
        f"<h1>Recovery report for {escape(data.runner)}</h1>",
        f'<p class="muted">Made {escape(generated)}. '
        f"Distances in {'miles' if data.unit.value == 'mi' else 'kilometres'}.</p>",
        "</header>",
    ]
    if data.has_runs:
        body += [_mileage_section(data), _load_section(data)]
    else:
        body.append(
            f'<section id="no-runs"><h2>No runs yet</h2><p>{escape(ADD_RUNS)}</p></section>'
        )
    body.append(_log_section(data))
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>Recovery report: {escape(data.runner)}</title>",
            f"<style>{STYLE}</style>",
            "</head>",
            "<body>",
            *body,
            "</body>",
            "</html>",
            "",
        ]
    )


def mileage_summary(data: ReportData) -> str:
    """Say what the mileage chart shows, for screen readers and the SVG's description."""
    weeks, unit = data.weeks, data.unit.value
    latest = weeks[-1]
    text = (
        f"Distance run in each of {len(weeks)} weeks from {day_label(weeks[0].start)} "
        f"to {day_label(latest.start)}. The latest week: "
        f"{data.unit.from_km(latest.km):.1f} {unit}"
    )
    if latest.cap_km is not None:
        text += f", against a 10% cap of {data.unit.from_km(latest.cap_km):.1f} {unit}"
    over = [week for week in weeks if week.over_cap]
    if over:
        names = ", ".join(f"the week of {day_label(week.start)}" for week in over)
        text += f". Over the 10% cap: {names}."
    else:
        text += ". No week went over the 10% cap."
    return text


def load_summary(days: Sequence[DayLoad]) -> str:
    """Say what the load chart shows."""
    last = days[-1]
    state = "fresh" if last.form >= 0 else "carrying fatigue"
    return (
        f"Daily training load from {day_label(days[0].day)} to {day_label(last.day)}. "
        f"On {day_label(last.day)}: fitness {last.fitness:.0f}, fatigue {last.fatigue:.0f}, "
        f"form {last.form:+.0f} ({state})."
    )


def _mileage_section(data: ReportData) -> str:
    summary = mileage_summary(data)
    unit = escape(data.unit.value)
    rows = "".join(_week_row(week, data) for week in data.weeks)
    return (
        '<section id="mileage"><h2>Weekly distance and the 10% rule</h2>'
        f"{mileage_chart(data.weeks, data.unit, summary)}"
        f'<p class="muted">{escape(summary)} The green band is how much more each week could '
        "be than the last week that kept to the rule.</p>"
        "<details><summary>The same as a table</summary>"
        f'<table id="mileage-table"><thead><tr><th>Week starting</th>'
        f'<th class="num">Distance ({unit})</th><th class="num">10% cap ({unit})</th>'
        f"<th>Over the cap?</th></tr></thead><tbody>{rows}</tbody></table></details></section>"
    )


def _week_row(week: WeekBar, data: ReportData) -> str:
    cap = f"{data.unit.from_km(week.cap_km):.1f}" if week.cap_km is not None else "none"
    over = "yes" if week.over_cap else "no"
    kind = ' class="over"' if week.over_cap else ""
    return (
        f"<tr{kind}><td>{week.start.isoformat()}</td>"
        f'<td class="num">{data.unit.from_km(week.km):.1f}</td>'
        f'<td class="num">{cap}</td><td>{over}</td></tr>'
    )


def _load_section(data: ReportData) -> str:
    heading = "<h2>Fitness, fatigue and form</h2>"
    if not data.days:
        return (
            f'<section id="load">{heading}<p>No training load yet: runs recorded with heart '
            "rate, or with how hard they felt, give it.</p></section>"
        )
    summary = load_summary(data.days)
    # One row a week keeps the table short; the chart has every day.
    rows = "".join(
        f'<tr><td>{day.day.isoformat()}</td><td class="num">{day.fitness:.0f}</td>'
        f'<td class="num">{day.fatigue:.0f}</td><td class="num">{day.form:+.0f}</td></tr>'
        for day in data.days[::-7][::-1]
    )
    return (
        f'<section id="load">{heading}{load_chart(data.days, summary)}'
        f'<p class="muted">{escape(summary)} Fitness is the 42-day average of training load, '
        "fatigue the 7-day one; form below zero means more fatigue than fitness.</p>"
        '<details><summary>The same as a table (one day a week)</summary><table id="load-table">'
        '<thead><tr><th>Day</th><th class="num">Fitness</th><th class="num">Fatigue</th>'
        f'<th class="num">Form</th></tr></thead><tbody>{rows}</tbody></table></details></section>'
    )


def _log_section(data: ReportData) -> str:
    if not data.log:
        return f'<section id="log"><h2>Recovery log</h2><p>{escape(NOTHING_LOGGED)}</p></section>'
    items = "".join(_log_item(entry, data) for entry in data.log)
    return (
        '<section id="log"><h2>Recovery log</h2><p class="muted">Newest first.</p>'
        f'<table id="log-table"><tbody>{items}</tbody></table></section>'
    )


def _log_item(entry: LogEntry, data: ReportData) -> str:
    return (
        f'<tr class="{entry.kind.value}"><td>{escape(_when(entry.at, data))}</td>'
        f'<td><span class="kind">{KIND_NAMES[entry.kind]}</span></td>'
        f"<td>{escape(entry.text)}</td></tr>"
    )


def _when(moment: datetime, data: ReportData) -> str:
    local = moment.astimezone(data.timezone)
    return f"{local.strftime('%a')} {day_label(local.date())} {local.year}, {local:%H:%M}"
