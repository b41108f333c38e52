"""Recognise the same run from two sources, so each run is stored once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

from routines.training import RunRecord

# Two recordings of one run (a watch's FIT file and the same run on Strava) start within
# this of each other and agree on distance within SAME_DISTANCE.
SAME_START = timedelta(minutes=3)
SAME_DISTANCE = 0.05
# A run the runner told us about is placed roughly ("this morning"): the recording of it starts
# within this and agrees on distance within SPOKEN_DISTANCE.
SPOKEN_WINDOW = timedelta(hours=12)
SPOKEN_DISTANCE = 0.15


@dataclass(frozen=True)
class Merge:
    """Stored runs after an import, with what the import added and what was already there."""

    runs: tuple[RunRecord, ...]
    added: tuple[RunRecord, ...] = ()
    duplicates: tuple[RunRecord, ...] = ()
    # Runs the runner told us about that a recording of the same run replaced.
    replaced: tuple[RunRecord, ...] = ()
    # New runs older than the history keeps: not stored.
    too_old: tuple[RunRecord, ...] = ()


def _close(a: float | None, b: float | None, tolerance: float) -> bool:
    if a is None or b is None:
        return False
    return abs(a - b) <= tolerance * max(a, b, 1e-9)


def same_run(stored: RunRecord, new: RunRecord) -> bool:
    """Tell whether two records describe the same run."""
    if stored.source_id is not None and (stored.source, stored.source_id) == (
        new.source,
        new.source_id,
    ):
        return True
    if stored.imported and new.imported:
        return abs(stored.at - new.at) <= SAME_START and _close(
            stored.distance_km, new.distance_km, SAME_DISTANCE
        )
    spoken, recorded = (stored, new) if new.imported else (new, stored)
    if spoken.imported or not recorded.imported:
        return False
    return abs(spoken.at - recorded.at) <= SPOKEN_WINDOW and _close(
        spoken.distance_km, recorded.distance_km, SPOKEN_DISTANCE
    )


def _richer(a: RunRecord, b: RunRecord) -> bool:
    """Tell whether `b` says more about the run than `a` (heart rate beats none)."""
    return (b.load_method == "trimp") and (a.load_method != "trimp")


def merge_runs(stored: Sequence[RunRecord], new: Iterable[RunRecord]) -> Merge:
    """Add `new` runs to `stored` ones, each run once, in time order."""
    runs = list(stored)
    added: list[RunRecord] = []
    duplicates: list[RunRecord] = []
    replaced: list[RunRecord] = []
    for run in new:
        match = next((i for i, kept in enumerate(runs) if same_run(kept, run)), None)
        if match is None:
            runs.append(run)
            added.append(run)
            continue
        kept = runs[match]
        if not kept.imported and run.imported:
            # The recording is the better account; what only the runner knows stays.
            runs[match] = replace(
                run,
                rpe=kept.rpe if run.rpe is None else run.rpe,
                run_type=kept.run_type if run.run_type is None else run.run_type,
            )
            replaced.append(kept)
            added.append(runs[match])
        elif kept.imported and _richer(kept, run):
            runs[match] = replace(run, rpe=kept.rpe, run_type=kept.run_type or run.run_type)
            duplicates.append(run)
        else:
            duplicates.append(run)
    runs.sort(key=lambda run: run.at)
    return Merge(tuple(runs), tuple(added), tuple(duplicates), tuple(replaced))


def without_run(stored: Sequence[RunRecord], source: str, source_id: str) -> tuple[RunRecord, ...]:
    """Return the stored runs less the one a source deleted (a Strava activity removed)."""
    return tuple(run for run in stored if (run.source, run.source_id) != (source, source_id))
