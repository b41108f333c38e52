"""Import activity files into a runner's history: every file read first, then one write."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import StrEnum
from pathlib import Path

from routines.activity import Activity
from routines.errors import InvalidContextError
from routines.load import HeartRateProfile
from routines.run_merge import Merge, same_run
from routines.training import RunRecord
from skill.activity_files import ActivityFileError, ImplausibleValueError, read_activity
from skill.run_import import UserStore, import_activities


class Outcome(StrEnum):
    ADDED = "added"
    ALREADY_STORED = "already stored"
    TOO_OLD = "too old"
    ERROR = "error"


@dataclass(frozen=True)
class FileOutcome:
    """What importing one file did."""

    path: Path
    outcome: Outcome
    run: RunRecord | None = None
    error: ActivityFileError | None = None
    # The run the runner told Alexa about that this recording replaced.
    replaced: RunRecord | None = None

    def describe(self, timezone: tzinfo | None = None, now: datetime | None = None) -> str:
        """Say what happened in one line: added, already stored, too old, or the error."""
        if self.error is not None:
            return f"error: {self.error}"
        assert self.run is not None, "a file's outcome without an error has its run"
        run = f"{_day(self.run.at, timezone, now)}, {_distance(self.run)}"
        if self.outcome is Outcome.ADDED:
            told = " (replaces the run you told Alexa about)" if self.replaced else ""
            return f"added {run}, from {self.path.name}{told}"
        if self.outcome is Outcome.TOO_OLD:
            return f"not kept: {self.path.name} ({run}) is older than the 12 weeks of runs kept"
        return f"already stored: {self.path.name} ({run})"

    @property
    def failed(self) -> bool:
        """Tell whether the file could not be imported."""
        return self.outcome is Outcome.ERROR


def read_files(paths: Sequence[Path], profile: HeartRateProfile) -> list[Activity | FileOutcome]:
    """Read every file: its activity, or the error that keeps it out (in the order given)."""
    read: list[Activity | FileOutcome] = []
    for path in paths:
        try:
            activity = read_activity(path)
            try:
                # Checked here so a run that cannot be stored fails its own file, not the write.
                activity.to_run(profile)
            except InvalidContextError as exc:
                raise ImplausibleValueError(path, f"implausible recording: {exc}") from exc
        except ActivityFileError as exc:
            read.append(FileOutcome(path, Outcome.ERROR, error=exc))
        else:
            read.append(activity)
    return read


def import_files(
    store: UserStore, user_id: str, paths: Sequence[Path], profile: HeartRateProfile
) -> list[FileOutcome]:
    """Store the runs of every readable file in one write; report each file, in order given."""
    read = read_files(paths, profile)
    good = [
        (path, item) for path, item in zip(paths, read, strict=True) if isinstance(item, Activity)
    ]
    if not good:
        return [item for item in read if isinstance(item, FileOutcome)]
    merge = import_activities(store, user_id, [activity for _, activity in good], profile)
    stored = iter(_outcomes(good, merge, profile))
    return [item if isinstance(item, FileOutcome) else next(stored) for item in read]


def _outcomes(
    good: Sequence[tuple[Path, Activity]], merge: Merge, profile: HeartRateProfile
) -> list[FileOutcome]:
    added = {(run.source, run.source_id): run for run in merge.added}
    too_old = {(run.source, run.source_id): run for run in merge.too_old}
    seen: set[tuple[str, str]] = set()
    found: list[FileOutcome] = []
    for path, activity in good:
        key = (activity.source, activity.source_id)
        run = added.get(key)
        if run is not None and key not in seen:
            replaced = next((old for old in merge.replaced if same_run(old, run)), None)
            found.append(FileOutcome(path, Outcome.ADDED, run, replaced=replaced))
        elif key in too_old and key not in seen:
            found.append(FileOutcome(path, Outcome.TOO_OLD, too_old[key]))
        else:
            found.append(FileOutcome(path, Outcome.ALREADY_STORED, activity.to_run(profile)))
        seen.add(key)
    return found


def _day(at: datetime, timezone: tzinfo | None, now: datetime | None) -> str:
    local = at.astimezone(timezone)
    day = f"{local:%a} {local.day} {local:%b}"
    if now is not None and now.astimezone(timezone).year != local.year:
        day += f" {local.year}"
    return day


def _distance(run: RunRecord) -> str:
    seconds = round(run.duration_s or 0)
    hours, rest = divmod(seconds, 3600)
    return f"{run.distance_km or 0:.1f} km in {hours}:{rest // 60:02d}:{rest % 60:02d}"
