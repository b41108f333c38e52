"""A runner's recovery log: soreness, red flags, heat and bath sessions, kept in their attributes.

The history keeps only the latest soreness report and the current red flags; the report shows
what happened over twelve weeks, so each event is also written here when it is recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from routines.health import AREA_NAMES, HealthState, RedFlag
from skill.errors import SkillError
from skill.history import History, SorenessReport

LOG_KEY = "log"
# Twelve weeks, as the runs and the report's charts.
KEEP_ENTRIES_FOR = timedelta(days=84)
MAX_ENTRIES = 200
MAX_TEXT = 300

log = logging.getLogger(__name__)


class LogError(SkillError):
    """A recovery log entry is not valid."""


class EntryKind(StrEnum):
    """What a log entry records."""

    SORENESS = "soreness"
    RED_FLAG = "red_flag"
    CLEARED = "cleared"
    HEAT = "heat"
    BATH = "bath"
    RUN = "run"


@dataclass(frozen=True)
class LogEntry:
    """One event in the recovery log, said in a short sentence."""

    at: datetime
    kind: EntryKind
    text: str

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise LogError("a log entry's time must be timezone-aware")
        if not isinstance(self.kind, EntryKind):
            raise LogError(f"kind: {self.kind!r} is not one of {', '.join(EntryKind)}")
        if not self.text.strip() or len(self.text) > MAX_TEXT:
            raise LogError(f"text: must be 1 to {MAX_TEXT} characters, got {len(self.text)}")

    def to_dict(self) -> dict[str, Any]:
        """Return the entry as JSON-ready data."""
        return {"at": self.at.isoformat(), "kind": self.kind.value, "text": self.text}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> LogEntry:
        """Read an entry written by to_dict; raise LogError when it does not parse."""
        try:
            return cls(
                at=datetime.fromisoformat(str(raw["at"])),
                kind=EntryKind(raw["kind"]),
                text=str(raw["text"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise LogError(f"a stored log entry does not parse: {exc!r}") from exc


@dataclass(frozen=True)
class RecoveryLog:
    """The recovery log, oldest entry first, twelve weeks and 200 entries at most."""

    entries: tuple[LogEntry, ...] = ()

    @classmethod
    def from_attributes(cls, attributes: Mapping[str, Any]) -> RecoveryLog:
        """Read the log from stored attributes, skipping entries that no longer parse."""
        raw = attributes.get(LOG_KEY)
        entries = []
        for item in raw if isinstance(raw, list) else []:
            try:
                entries.append(LogEntry.from_dict(item))
            except LogError as exc:
                log.warning("skipping a stored log entry: %s", exc)
        return cls(tuple(sorted(entries, key=lambda entry: entry.at)))

    def to_attributes(self) -> dict[str, Any]:
        """Return the attributes to store for this log."""
        return {LOG_KEY: [entry.to_dict() for entry in self.entries]}

    def with_entries(self, entries: Iterable[LogEntry]) -> RecoveryLog:
        """Add entries, forgetting those twelve weeks older than the newest."""
        merged = sorted((*self.entries, *entries), key=lambda entry: entry.at)
        if not merged:
            return self
        newest = merged[-1].at
        kept = [entry for entry in merged if newest - entry.at <= KEEP_ENTRIES_FOR]
        return RecoveryLog(tuple(kept[-MAX_ENTRIES:]))


def soreness_entry(report: SorenessReport) -> LogEntry:
    """Describe a soreness report ("Sore (6/10): calves, quads")."""
    level = f" ({report.level}/10)" if report.level is not None else ""
    areas = ", ".join(AREA_NAMES[area] for area in sorted(report.areas))
    return LogEntry(report.at, EntryKind.SORENESS, f"Sore{level}" + (f": {areas}" if areas else ""))


def flag_entry(flag: RedFlag, cleared: bool = False) -> LogEntry:
    """Describe a red flag reported, or cleared ("Cleared: your ankle is swollen")."""
    if cleared and flag.cleared_at is not None:
        return LogEntry(flag.cleared_at, EntryKind.CLEARED, f"Cleared: {flag.state()}")
    return LogEntry(flag.reported_at, EntryKind.RED_FLAG, f"Red flag: {flag.state()}")


def heat_entry(at: datetime, minutes: float) -> LogEntry:
    """Describe a heating pad session the home confirmed started."""
    plural = "" if minutes == 1 else "s"
    return LogEntry(at, EntryKind.HEAT, f"Heating pad on for {minutes:g} minute{plural}")


def bath_entry(at: datetime, target_c: float, epsom: bool) -> LogEntry:
    """Describe a bath the home confirmed filling."""
    kind = "Epsom salt bath" if epsom else "Bath"
    return LogEntry(at, EntryKind.BATH, f"{kind} filled to {target_c:g} °C")


def history_entries(before: History, after: History) -> tuple[LogEntry, ...]:
    """Return the events a change to the history records: a new report, flags raised or cleared."""
    entries = []
    if after.soreness is not None and after.soreness != before.soreness:
        entries.append(soreness_entry(after.soreness))
    entries += [flag_entry(flag) for flag in _new_flags(before.health, after.health)]
    was_active = {_key(flag) for flag in before.health.active}
    entries += [
        flag_entry(flag, cleared=True)
        for flag in after.health.flags
        if not flag.active and _key(flag) in was_active
    ]
    return tuple(entries)


def logged_history(
    attributes: Mapping[str, Any], before: History, after: History
) -> dict[str, Any]:
    """Return the log attributes to store after a history change (none when nothing happened)."""
    entries = history_entries(before, after)
    if not entries:
        return {}
    return RecoveryLog.from_attributes(attributes).with_entries(entries).to_attributes()


def _new_flags(before: HealthState, after: HealthState) -> list[RedFlag]:
    known = {_key(flag) for flag in before.flags}
    return [flag for flag in after.flags if _key(flag) not in known]


def _key(flag: RedFlag) -> tuple[Any, ...]:
    return (flag.sign, flag.area, flag.reported_at)
