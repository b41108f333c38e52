"""The corpus scorer counts what issue #11 asks, and the console path measures real recognition."""

from __future__ import annotations

from pathlib import Path

import pytest
from measure import (
    Expected,
    Heard,
    HeardSlot,
    Row,
    Verdict,
    canonical,
    judge,
    main,
    slot_matches,
    tally,
)


def _soreness(area: str, level: object = None) -> Expected:
    slots: dict[str, object] = {"area": area}
    if level is not None:
        slots["level"] = level
    return Expected("my calves are an eight", "ReportSorenessIntent", slots)


def test_the_right_intent_with_every_labelled_slot_is_right() -> None:
    heard = Heard("ReportSorenessIntent", {"area": HeardSlot("calf", "calves")})
    assert judge(_soreness("calves"), heard) is Verdict.RIGHT


def test_slots_the_corpus_did_not_label_are_ignored() -> None:
    heard = Heard(
        "ReportSorenessIntent",
        {"area": HeardSlot("calves", "calves"), "level": HeardSlot("8")},
    )
    assert judge(_soreness("calves"), heard) is Verdict.RIGHT


def test_a_wrong_or_missing_slot_is_a_slot_error() -> None:
    wrong = Heard("ReportSorenessIntent", {"area": HeardSlot("quads", "quads")})
    missing = Heard("ReportSorenessIntent", {})
    assert judge(_soreness("calves"), wrong) is Verdict.WRONG_SLOTS
    assert judge(_soreness("calves"), missing) is Verdict.WRONG_SLOTS


def test_a_wrong_intent_is_judged_before_slots_and_counts_double() -> None:
    heard = Heard("AMAZON.FallbackIntent")
    assert judge(_soreness("calves"), heard) is Verdict.WRONG_INTENT
    results = [
        (_soreness("calves"), Verdict.RIGHT),
        (_soreness("calves"), Verdict.RIGHT),
        (_soreness("calves"), Verdict.WRONG_SLOTS),
        (_soreness("calves"), Verdict.WRONG_INTENT),
    ]
    row, overall = tally(results)
    assert (row.n, row.right, row.wrong_slots, row.wrong_intent) == (4, 2, 1, 1)
    assert row.figure == pytest.approx(1 - (1 + 2 * 1) / 4)
    assert overall.figure == row.figure


def test_the_figure_is_floored_at_zero() -> None:
    assert Row("X", 2, 0, 2, 0).figure == 0.0
    assert Row("X", 3, 1, 1, 1).figure == 0.0


def test_rows_sort_worst_first_with_overall_last() -> None:
    good = Expected("stop", "AMAZON.StopIntent")
    bad = Expected("help", "AMAZON.HelpIntent")
    rows = tally([(good, Verdict.RIGHT), (bad, Verdict.WRONG_SLOTS)])
    assert [r.intent for r in rows] == ["AMAZON.HelpIntent", "AMAZON.StopIntent", "**overall**"]


@pytest.mark.parametrize("heard", ["8", "8.0", "eight", "08"])
def test_numbers_compare_numerically(heard: str) -> None:
    assert slot_matches("level", 8, HeardSlot(heard))
    assert slot_matches("level", 8.0, HeardSlot(heard))


def test_a_different_number_does_not_match() -> None:
    assert not slot_matches("distance", 13.1, HeardSlot("131"))
    assert not slot_matches("distance", 8, HeardSlot("eighteen"))
    assert slot_matches("distance", 6.2, HeardSlot("six point two"))


@pytest.mark.parametrize("heard", ["PT1H30M", "PT90M", "an hour and a half", "90 minutes"])
def test_durations_compare_as_iso_amounts(heard: str) -> None:
    assert slot_matches("duration", "PT1H30M", HeardSlot(heard))


def test_a_different_or_unreadable_duration_does_not_match() -> None:
    assert not slot_matches("duration", "PT1H30M", HeardSlot("PT1H"))
    assert not slot_matches("duration", "PT10M", HeardSlot("fifteen minutes for my calves"))


@pytest.mark.parametrize(
    ("slot", "value", "expected"),
    [
        ("sign", "localised", "one_spot"),
        ("sign", "cant_walk_stairs", "stairs"),
        ("sign", "Can\u2019t bear weight", "cant_bear_weight"),
        ("unit", "km", "kilometers"),
        ("unit", "mi", "miles"),
        ("runType", "half-marathon", "half_marathon"),
        ("topic", "light_activity", "active_recovery"),
        ("topic", "rest", "rest_days"),
        ("area", "IT band", "it_band"),
        ("area", "knees", "knee"),
        ("bathType", "epsom", "epsom_salt"),
        ("routine", "long run recovery", "long_run_recovery"),
    ],
)
def test_values_are_spelled_as_the_corpus_ids(slot: str, value: str, expected: str) -> None:
    assert canonical(slot, value) == expected


def test_the_resolved_name_wins_over_the_words_heard() -> None:
    # "foam rolling" has the model id "massage", but the corpus tells massage from foam rolling.
    assert slot_matches("topic", "foam_rolling", HeardSlot("foam roller", "foam rolling"))
    assert not slot_matches("topic", "massage", HeardSlot("foam roller", "foam rolling"))
    # Aliases belong to their slot: a routine called "long run" is not the run type "long".
    assert canonical("routine", "long run") == "long_run"


CORPUS = """\
- text: my calves are sore
  intent: ReportSorenessIntent
  slots: {area: calves}
- text: i ran for 90 minutes
  intent: LogRunIntent
  slots: {duration: PT1H30M}
- text: i have a sharp pain in my knee
  intent: ReportPainIntent
  slots: {area: knee, sign: sharp}
- text: draw me a warm bath
  intent: DrawBathIntent
  slots: {bathType: epsom_salt}
- text: purple monkey dishwasher
  intent: StretchIntent
"""


def test_the_console_path_measures_a_corpus_end_to_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "en-US.yaml"
    corpus.write_text(CORPUS)
    out = tmp_path / "understanding.md"

    assert main([str(corpus), "--path", "console", "--misses", "--write", str(out)]) == 0

    printed = capsys.readouterr().out
    text = out.read_text()
    # The file keeps the tables; the misses are printed only.
    assert printed.startswith(text) and "misses</summary>" not in text
    assert "## console, en-US" in text
    assert "virtual-alexa" not in text.split("scoring.")[1]
    # The bath is heard as warm, not the labelled Epsom salt; the nonsense reaches no intent.
    assert "| DrawBathIntent | 1 | 0 | 0 | 1 | 0.00 | 0 |" in text
    assert "| StretchIntent | 1 | 0 | 1 | 0 | 0.00 | 0 |" in text
    assert "| ReportSorenessIntent | 1 | 1 | 0 | 0 | 1.00 | 100 |" in text
    assert "| LogRunIntent | 1 | 1 | 0 | 0 | 1.00 | 100 |" in text
    assert "| ReportPainIntent | 1 | 1 | 0 | 0 | 1.00 | 100 |" in text
    # overall: 1 - (1 slot error + 2 x 1 intent error) / 5
    assert "| **overall** | 5 | 3 | 1 | 1 | 0.40 | 60 |" in text
    assert '"purple monkey dishwasher" wants StretchIntent, heard AMAZON.FallbackIntent' in printed


def test_a_corpus_for_an_unknown_locale_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "fr-FR.yaml"
    corpus.write_text(CORPUS)
    assert main([str(corpus), "--path", "console"]) == 1
    assert "no interaction model for locale 'fr-FR'" in capsys.readouterr().err


def test_the_readme_table_is_replaced_between_its_markers(tmp_path: Path) -> None:
    from measure import README_END, README_START, MeasureError, Measurement, update_readme

    corpus = [
        Expected("my calves are sore", "ReportSorenessIntent", {"area": "calves"}),
        Expected("stretch with me", "StretchIntent"),
    ]
    heard = [
        Heard("ReportSorenessIntent", {"area": HeardSlot("calves", "calves")}),
        Heard("AMAZON.FallbackIntent"),
    ]
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n{README_START}\nold\n{README_END}\nafter\n")
    update_readme(readme, [Measurement("console", "en-US", corpus, heard)])
    text = readme.read_text()
    assert "old" not in text and text.endswith(f"{README_END}\nafter\n")
    assert "| ReportSorenessIntent | 1.00 (100%) |" in text
    assert "| StretchIntent | 0.00 (0%) |" in text
    assert "| **overall** | 0.00 (50%) |" in text
    readme.write_text("no markers\n")
    with pytest.raises(MeasureError):
        update_readme(readme, [Measurement("console", "en-US", corpus, heard)])
