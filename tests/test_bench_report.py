"""The benchmark report writer: tables from rows, ratios, goals met and missed."""

from __future__ import annotations

import sys
from pathlib import Path

# bench/ is a folder of scripts, not a package: its pure modules are imported by path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from report import meets_text, ratio_text, render, table
from rows import Row


def test_a_latency_row_under_its_goal_meets_it() -> None:
    row = Row.compared("dispatch", "plan", 3.0, 2.0, "ms", "lower", 1.5)
    assert row.ratio == 1.5
    assert row.meets is True
    assert "| plan | 3 ms | 2 ms | 1.50x | ≤ 1.5x | yes |" in table([row])


def test_a_throughput_row_under_its_goal_misses_it() -> None:
    row = Row.compared("http", "c=8", 400, 1000, "req/s", "higher", 0.8)
    assert row.meets is False
    assert "| c=8 | 400 req/s | 1e+03 req/s | 0.40x | ≥ 0.8x | **no** |" in table([row])


def test_timed_rows_show_p50_and_p99_and_compare_medians() -> None:
    row = Row.timed("dispatch", "plan", [1.0, 2.0, 3.0], [1.0, 1.0, 1.0], 1.5)
    assert row.ours == "2 / 3 ms"
    assert row.ratio == 2.0
    assert row.meets is False


def test_ratio_and_meets_text() -> None:
    assert ratio_text(None) == "—"
    assert ratio_text(0.4166) == "0.42x"
    assert meets_text(None) == "—"
    assert meets_text(True) == "yes"
    assert meets_text(False) == "**no**"


def test_notes_become_footnotes_and_pipes_are_escaped() -> None:
    row = Row(section="s", name="a|b", ours="1 ms", note="not present")
    text = table([row])
    assert "| a\\|b [1] | 1 ms | — | — | — | — |" in text
    assert text.endswith("[1] not present  ")


def test_render_groups_sections_counts_goals_and_appends_changes() -> None:
    rows = [
        Row.compared("dispatch", "plan", 1.0, 1.0, "ms", "lower", 1.5),
        Row.compared("http", "c=1", 1.0, 2.0, "req/s", "higher", 0.8),
        Row(section="http", name="info", ours="x"),
    ]
    text = render({"cores": "2"}, rows, changes="| change | before | after |\n")
    assert "- cores: 2" in text
    assert "1 of 2 goals met." in text
    assert "Missed: http: c=1." in text
    assert text.index("## dispatch") < text.index("## http")
    assert text.count("| row | ours | anchor | ratio | goal | meets |") == 2
    assert text.endswith("## Changes, before and after\n\n| change | before | after |\n")


def test_render_without_changes_has_no_changes_section() -> None:
    assert "Changes" not in render({}, [Row(section="s", name="n", ours="x")])


def test_long_latencies_are_shown_without_exponents() -> None:
    row = Row.timed("cold", "start", [472.0, 1045.4], [88.5, 88.5], 1.3)
    assert row.ours == "759 / 1045 ms"
