"""The report page: its data, escaping, the empty page, over-cap bars, tables and the CLI."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path

import pytest
from click.testing import CliRunner
from report_support import NOW, WEEKS_KM, sample_log, sample_report, twelve_weeks_of_runs

from routines.context import DistanceUnit
from routines.training import next_week_cap_km
from skill.cli import main
from skill.history import History
from skill.persistence import SQLitePersistenceAdapter
from skill.recovery_log import EntryKind, LogEntry, RecoveryLog
from skill.report import (
    DayLoad,
    ReportData,
    ReportError,
    WeekBar,
    build_report_data,
    render_report,
    weekly_bars,
)


class Tables(HTMLParser):
    """Collect each table's body rows (cell texts) by the table's id."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._in_body = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._table = dict(attrs).get("id") or ""
            self.tables[self._table] = []
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body and self._table is not None:
            self.tables[self._table].append([])
        elif tag == "td" and self._in_body:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tbody":
            self._in_body = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables(page: str) -> dict[str, list[list[str]]]:
    parser = Tables()
    parser.feed(page)
    return parser.tables


def expected_caps() -> list[float | None]:
    return [next_week_cap_km(WEEKS_KM[:i]) if i else None for i in range(len(WEEKS_KM))]


def test_weekly_bars_sum_each_seven_day_week_with_its_cap() -> None:
    bars = weekly_bars(twelve_weeks_of_runs(), NOW, UTC)
    assert [bar.km for bar in bars] == pytest.approx(WEEKS_KM)
    assert [bar.cap_km for bar in bars] == pytest.approx(expected_caps())
    assert bars[-1].start == (NOW - timedelta(days=7)).date()
    assert all(later.start - bar.start == timedelta(days=7) for bar, later in pairwise(bars))


def test_bars_over_the_cap_are_marked_and_named() -> None:
    page = render_report(sample_report())
    over = [
        i
        for i, (km, cap) in enumerate(zip(WEEKS_KM, expected_caps(), strict=True))
        if cap and km > cap * 1.000001
    ]
    assert over == [4, 10], "the fixture has two spike weeks"
    assert page.count('class="bar over"') == len(over)
    assert page.count('class="bar"') == len(WEEKS_KM) - len(over)
    rows = tables(page)["mileage-table"]
    assert [i for i, row in enumerate(rows) if row[3] == "yes"] == over
    assert "Over the 10% cap: the week of 7 Apr, the week of 19 May." in page


@pytest.mark.parametrize("unit", list(DistanceUnit))
def test_the_table_fallback_matches_the_data(unit: DistanceUnit) -> None:
    data = sample_report(unit)
    rows = tables(render_report(data))["mileage-table"]
    assert len(rows) == len(data.weeks) == 12
    for row, week in zip(rows, data.weeks, strict=True):
        assert row[0] == week.start.isoformat()
        assert float(row[1]) == pytest.approx(unit.from_km(week.km), abs=0.05)
        if week.cap_km is None:
            assert row[2] == "none"
        else:
            assert float(row[2]) == pytest.approx(unit.from_km(week.cap_km), abs=0.05)
    load_rows = tables(render_report(data))["load-table"]
    last = data.days[-1]
    assert load_rows[-1] == [
        last.day.isoformat(),
        f"{last.fitness:.0f}",
        f"{last.fatigue:.0f}",
        f"{last.form:+.0f}",
    ]


def test_the_charts_describe_themselves() -> None:
    page = render_report(sample_report())
    for chart in ("mileage", "load"):
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in page
        assert re.search(f'<desc id="{chart}-desc">[^<]{{40,}}</desc>', page)
    assert page.count('class="line ') == 3
    assert 'class="zero"' in page


def test_runner_text_never_becomes_markup() -> None:
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    log = RecoveryLog().with_entries([LogEntry(NOW, EntryKind.SORENESS, attack)])
    data = build_report_data(History(), log, NOW, UTC, f"Sam {attack}")
    page = render_report(data)
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert page.count("&lt;img src=x onerror=alert(1)&gt;") == 3  # heading, <title>, log


def test_the_page_fetches_nothing() -> None:
    page = render_report(sample_report())
    assert not re.search(r"<(script|link|img|iframe|object)\b", page)
    assert not re.search(r"\b(src|href)=", page)
    assert re.findall(r"https?://[^\s\"']+", page) == ["http://www.w3.org/2000/svg"] * 2


def test_no_runs_gives_a_friendly_page_that_says_how_to_add_them() -> None:
    page = render_report(build_report_data(History(), RecoveryLog(), NOW, UTC, "Sam"))
    assert "<svg" not in page
    assert "No runs yet" in page and "import one from your watch or Strava" in page
    assert "Nothing logged yet" in page


def test_runs_without_load_still_chart_mileage() -> None:
    # Told by distance alone: no heart rate, time or effort to weigh them by.
    unweighed = tuple(
        replace(run, duration_s=None, load=None, load_method=None, source=None, source_id=None)
        for run in twelve_weeks_of_runs()
    )
    history = History(runs=unweighed)
    page = render_report(build_report_data(history, sample_log(), NOW, UTC, "Sam"))
    assert page.count('class="bar') == 12
    assert "No training load yet" in page and 'id="load-chart"' not in page


def test_the_log_is_newest_first_with_runs_and_sessions() -> None:
    rows = tables(render_report(sample_report()))["log-table"]
    kinds = [row[1] for row in rows]
    assert {"Run", "Soreness", "Red flag", "Cleared", "Heat", "Bath"} == set(kinds)
    assert rows[0][2].startswith("Run: 12.2 km from Strava")
    assert kinds.count("Run") == 36
    stamps = [datetime.strptime(row[0], "%a %d %b %Y, %H:%M") for row in rows]
    assert stamps == sorted(stamps, reverse=True)


@pytest.mark.parametrize(
    ("make", "named"),
    [
        (lambda: WeekBar(date(2025, 1, 1), -1.0), "km"),
        (lambda: WeekBar(date(2025, 1, 1), 5.0, float("nan")), "cap_km"),
        (lambda: DayLoad(date(2025, 1, 1), 1.0, float("inf"), 0.0), "fitness"),
        (lambda: ReportData("Sam", DistanceUnit.KILOMETERS, NOW.replace(tzinfo=None)), "aware"),
        (
            lambda: ReportData(
                "Sam",
                DistanceUnit.KILOMETERS,
                NOW,
                weeks=(WeekBar(date(2025, 1, 8), 1.0), WeekBar(date(2025, 1, 1), 1.0)),
            ),
            "oldest first",
        ),
    ],
)
def test_bad_report_data_is_refused_naming_what_is_wrong(make: object, named: str) -> None:
    with pytest.raises(ReportError, match=named):
        make()  # type: ignore[operator]


# --- recovery-coach report ---------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("RECOVERY_COACH_DATABASE", str(tmp_path / "cli.sqlite3"))
    monkeypatch.delenv("RECOVERY_COACH_CONFIG", raising=False)
    return CliRunner()


def test_report_writes_the_page_of_what_the_runner_told_the_skill(
    cli: CliRunner, tmp_path: Path
) -> None:
    user = "amzn1.ask.account.report"
    for phrase in ("I just ran ten kilometres", "my calves are sore"):
        assert cli.invoke(main, ["ask", phrase, "--user", user]).exit_code == 0
    out = tmp_path / "out" / "report.html"
    out.parent.mkdir()
    result = cli.invoke(main, ["report", "--user", user, "--out", str(out), "--name", "Sam"])
    assert result.exit_code == 0, result.output
    assert result.output == f"Wrote the report to {out.resolve()}\n"
    page = out.read_text(encoding="utf-8")
    assert "Recovery report for Sam" in page and "Sore: calves" in page
    assert "Run: 10.0 km (said)" in page
    assert page.count('class="bar') == 12


def test_report_names_an_unknown_runner_and_a_missing_database(
    cli: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    result = cli.invoke(main, ["report", "--user", "nobody", "--out", str(out)])
    assert result.exit_code == 1 and "not a runner named under runners:" in result.output
    nobody = "amzn1.ask.account.nobody"
    result = cli.invoke(main, ["report", "--user", nobody, "--out", str(out)])
    assert result.exit_code == 1 and "no skill database at" in result.output
    assert not (tmp_path / "cli.sqlite3").exists(), "a report never creates a database"
    SQLitePersistenceAdapter(tmp_path / "cli.sqlite3").update_user("someone", lambda a: {"x": 1})
    result = cli.invoke(main, ["report", "--user", nobody, "--out", str(out)])
    assert result.exit_code == 1 and f"nothing is stored for user {nobody!r}" in result.output
    assert not out.exists()
