"""A user's logged runs and soreness reports, kept in their persistent attributes."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from routines import BodyArea, PainFlag, RoutinesError, RunContext, RunRecord
from routines.context import DistanceUnit
from routines.health import RED_FLAGS, HealthState, RedFlag
from routines.load import with_effort
from routines.run_merge import Merge, merge_runs, without_run

# The attributes a History owns; others (a stretch in progress) belong to someone else.
HISTORY_KEYS = frozenset({"runs", "soreness", "unit", "health"})
# Twelve weeks: the report's chart, and enough for the 42-day fitness average to settle.
KEEP_RUNS_FOR = timedelta(days=84)
MAX_RUNS = 200
# "That felt like a seven" is about the latest run of the past few days.
RATED_RUN = timedelta(days=3)
# A run older than this no longer drives "how should I recover".
RECENT_RUN = timedelta(days=7)
# Reports this close together describe the same soreness, so they add up.
SAME_REPORT = timedelta(hours=12)
REPORT_STAYS_RELEVANT = timedelta(days=7)
# "My calves are sore" with no number: sore enough for the soreness tips, not "very sore".
UNRATED_SORENESS = 4

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SorenessReport:
    """What the runner said about soreness or pain, and when."""

    at: datetime
    level: int | None = None
    areas: frozenset[BodyArea] = field(default_factory=frozenset)
    flags: frozenset[PainFlag] = field(default_factory=frozenset)

    def merged_with(self, newer: SorenessReport) -> SorenessReport:
        """Combine with a newer report that describes the same episode."""
        return SorenessReport(
            at=newer.at,
            level=newer.level if newer.level is not None else self.level,
            areas=self.areas | newer.areas,
            flags=self.flags | newer.flags,
        )


@dataclass(frozen=True)
class History:
    """Everything we remember for one user."""

    runs: tuple[RunRecord, ...] = ()
    soreness: SorenessReport | None = None
    unit: DistanceUnit | None = None
    # Red flags live here, not in the soreness report: a new run or report never clears them.
    health: HealthState = field(default_factory=HealthState)

    @classmethod
    def from_attributes(cls, attributes: Mapping[str, Any]) -> History:
        """Read a history from stored attributes, skipping entries that no longer parse."""
        runs = []
        for raw in attributes.get("runs") or []:
            try:
                runs.append(RunRecord.from_dict(raw))
            except (KeyError, TypeError, ValueError, AttributeError, RoutinesError) as exc:
                log.warning("skipping a stored run that does not parse: %s", exc)
        soreness = _report(attributes.get("soreness"))
        health = _health(attributes.get("health"))
        if "health" not in attributes and soreness is not None and soreness.flags & RED_FLAGS:
            # Stored before red flags had their own state: carry them over, never drop them.
            area = next(iter(soreness.areas)) if len(soreness.areas) == 1 else None
            health = health.report(soreness.flags, area, soreness.at)
        if soreness is not None:
            soreness = replace(soreness, flags=soreness.flags - RED_FLAGS)
        return cls(
            runs=tuple(sorted(runs, key=lambda run: run.at)),
            soreness=soreness,
            unit=_unit(attributes.get("unit")),
            health=health,
        )

    @staticmethod
    def unit_in(attributes: Mapping[str, Any]) -> DistanceUnit | None:
        """Read only the runner's distance unit from stored attributes."""
        return _unit(attributes.get("unit"))

    def to_attributes(self) -> dict[str, Any]:
        """Return the attributes to store for this history."""
        document: dict[str, Any] = {"runs": [run.to_dict() for run in self.runs]}
        if self.soreness is not None:
            document["soreness"] = {
                "at": self.soreness.at.isoformat(),
                "level": self.soreness.level,
                "areas": sorted(self.soreness.areas),
                "flags": sorted(self.soreness.flags),
            }
        if self.unit is not None:
            document["unit"] = self.unit.value
        if self.health.flags:
            document["health"] = self.health.to_dict()
        return document

    def with_run(self, run: RunRecord, unit: DistanceUnit | None = None) -> History:
        """Add a run, forgetting runs older than four weeks; a new run starts a new episode.

        A run logged late ("yesterday") keeps the soreness reported after it: that is about it.
        """
        runs = [kept for kept in self.runs if run.at - kept.at <= KEEP_RUNS_FOR]
        runs.append(run)
        runs.sort(key=lambda kept: kept.at)
        kept = self.soreness if self.soreness is not None and self.soreness.at > run.at else None
        return History(tuple(runs[-MAX_RUNS:]), kept, unit or self.unit, self.health)

    def with_imported(self, runs: Iterable[RunRecord]) -> tuple[History, Merge]:
        """Add recorded runs, each run once, keeping twelve weeks; return what was added."""
        merge = merge_runs(self.runs, runs)
        if not merge.runs:
            return self, merge
        newest = merge.runs[-1].at
        kept = tuple([run for run in merge.runs if newest - run.at <= KEEP_RUNS_FOR][-MAX_RUNS:])
        stored = {id(run) for run in kept}
        # A run that falls out of the kept weeks at once was not added, whatever merging said.
        merge = replace(
            merge,
            runs=kept,
            added=tuple(run for run in merge.added if id(run) in stored),
            too_old=tuple(run for run in merge.added if id(run) not in stored),
        )
        return replace(self, runs=kept), merge

    def without_run(self, source: str, source_id: str) -> History:
        """Forget a recorded run its source deleted."""
        return replace(self, runs=without_run(self.runs, source, source_id))

    def rated_run(self, now: datetime) -> RunRecord | None:
        """Return the run an effort rating said now is about: the latest of the past few days."""
        recent = [run for run in self.runs if timedelta(0) <= now - run.at <= RATED_RUN]
        return recent[-1] if recent else None

    def with_effort(self, rpe: int, now: datetime) -> History:
        """Rate the latest recent run (its load from effort if it has no heart rate)."""
        run = self.rated_run(now)
        if run is None:
            return self
        runs = tuple(with_effort(kept, rpe) if kept is run else kept for kept in self.runs)
        return replace(self, runs=runs)

    def with_report(self, report: SorenessReport) -> History:
        """Record how the runner feels, adding to a report from the same episode."""
        area = next(iter(report.areas)) if len(report.areas) == 1 else None
        health = self.health.report(report.flags, area, report.at)
        if report.flags & RED_FLAGS and report.level is None and not report.flags - RED_FLAGS:
            # A red flag alone is an injury report, not soreness: its area is not "sore".
            return replace(self, health=health)
        report = replace(report, flags=report.flags - RED_FLAGS)
        previous = self.soreness
        if previous is not None and report.at - previous.at <= SAME_REPORT:
            report = previous.merged_with(report)
        return replace(self, soreness=report, health=health)

    def with_health(self, health: HealthState) -> History:
        """Replace the health state (a flag cleared, or asked about)."""
        return replace(self, health=health)

    def latest_run(self, now: datetime) -> RunRecord | None:
        """Return the latest run of the past week, if any."""
        recent = [run for run in self.runs if timedelta(0) <= now - run.at <= RECENT_RUN]
        return recent[-1] if recent else None

    def context(self, now: datetime) -> RunContext:
        """Describe the latest run and how the runner feels about it now."""
        run = self.latest_run(now)
        base = run.context(now) if run is not None else RunContext()
        base = replace(base, pain_flags=self.health.signs)
        report = self.soreness
        if report is None or now - report.at > REPORT_STAYS_RELEVANT:
            return base
        if run is not None and report.at < run.at:
            return base
        level = report.level if report.level is not None else UNRATED_SORENESS
        return replace(
            base,
            soreness=level,
            sore_areas=report.areas,
            pain_flags=base.pain_flags | report.flags,
        )


def _report(raw: Any) -> SorenessReport | None:
    if not isinstance(raw, Mapping):
        return None
    try:
        return SorenessReport(
            at=datetime.fromisoformat(raw["at"]),
            level=raw.get("level"),
            areas=frozenset(BodyArea(area) for area in raw.get("areas") or []),
            flags=frozenset(PainFlag(flag) for flag in raw.get("flags") or []),
        )
    except (KeyError, TypeError, ValueError) as exc:
        log.warning("ignoring a stored soreness report that does not parse: %s", exc)
        return None


def _health(raw: Any) -> HealthState:
    """Read the stored red flags one by one: one that doesn't parse never hides the others."""
    if not isinstance(raw, Mapping):
        return HealthState()
    flags = []
    for entry in raw.get("flags") or []:
        try:
            flags.append(RedFlag.from_dict(entry))
        except (RoutinesError, AttributeError) as exc:
            log.error("a stored red flag does not parse, skipping it: %s", exc)
    try:
        updated = datetime.fromisoformat(str(raw["updated_at"])) if raw.get("updated_at") else None
    except ValueError:
        updated = None
    return HealthState(tuple(flags), updated)


def _unit(raw: Any) -> DistanceUnit | None:
    try:
        return DistanceUnit(raw) if raw else None
    except ValueError:
        return None
