"""Fixes to the recorded-runs groundwork found while importing files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from routines.activity import Activity
from routines.errors import InvalidContextError
from routines.training import RunRecord
from skill.history import History

START = datetime(2025, 10, 6, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("field", "value"),
    [("avg_hr", 400.0), ("max_hr", 5.0), ("cadence_spm", 900.0), ("elevation_gain_m", -3.0)],
)
def test_an_activity_refuses_values_its_run_would_refuse(field: str, value: float) -> None:
    # Found out of range only when it became a run, the import's one write would fail for every
    # file in it; the activity must refuse it, so only its own file fails.
    with pytest.raises(InvalidContextError, match=field):
        Activity(START, 10.0, 3000.0, "gpx", "digest", **{field: value})  # type: ignore[arg-type]


def test_a_run_too_old_to_keep_is_not_reported_as_added() -> None:
    recent = RunRecord(at=START, distance_km=8.0, duration_s=2600, source="fit", source_id="a")
    old = RunRecord(
        at=START - timedelta(days=400),
        distance_km=12.0,
        duration_s=4000,
        source="gpx",
        source_id="b",
    )
    history, merge = History(runs=(recent,)).with_imported([old])
    assert history.runs == (recent,)
    assert merge.runs == history.runs
    assert merge.added == ()
    assert merge.too_old == (old,)
