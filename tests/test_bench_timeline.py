"""The benchmark's reading of a device history: lateness of an off, drift of a schedule."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from timeline import drifts_ms, first_off_after, lateness_ms

HISTORY = [(0.0, False), (10.0, True), (71.02, False), (80.0, True), (140.5, False)]


def test_the_first_off_after_a_session_began_is_its_end() -> None:
    assert first_off_after(HISTORY, 10.0) == 71.02
    assert first_off_after(HISTORY, 80.0) == 140.5


def test_an_off_without_an_on_before_it_is_not_an_end() -> None:
    assert first_off_after([(0.0, False), (5.0, False)], 0.0) is None


def test_a_session_still_on_has_no_lateness_yet() -> None:
    assert lateness_ms([(0.0, False), (1.0, True)], 1.0, 2.0) is None


def test_lateness_is_in_milliseconds_and_early_is_negative() -> None:
    assert lateness_ms(HISTORY, 10.0, 71.0) == pytest.approx(20.0)
    assert lateness_ms(HISTORY, 80.0, 141.0) == pytest.approx(-500.0)


def test_drift_is_measured_from_the_first_arrival_at_the_clock_scale() -> None:
    # At 60x, 60 clock seconds take one real second: the third is 50 ms late.
    drifts = drifts_ms([100.0, 101.0, 102.05], [0.0, 60.0, 120.0], 60.0)
    assert drifts == pytest.approx([0.0, 0.0, 50.0])


def test_drift_needs_one_arrival_per_offset() -> None:
    with pytest.raises(ValueError):
        drifts_ms([1.0], [0.0, 1.0], 60.0)
