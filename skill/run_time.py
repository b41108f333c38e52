"""Turn a run's spoken day ("yesterday morning", "on sunday") into the moment it is logged at."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

# A representative local time for each part of a day the runner can name.
MORNING = time(7, 0)
AFTERNOON = time(13, 0)
EVENING = time(19, 0)
NIGHT = time(20, 0)
# "Yesterday" or "on Sunday" with no part of the day: most runs happen by early evening.
SOME_TIME = time(18, 0)

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# WHEN slot id -> (days before today, local time, how the answer names it).
DAY_PARTS: dict[str, tuple[int, time, str]] = {
    "this_morning": (0, MORNING, "this morning"),
    "this_afternoon": (0, AFTERNOON, "this afternoon"),
    "this_evening": (0, EVENING, "this evening"),
    "tonight": (0, EVENING, "tonight"),
    "last_night": (1, NIGHT, "last night"),
    "yesterday": (1, SOME_TIME, "yesterday"),
    "yesterday_morning": (1, MORNING, "yesterday morning"),
    "yesterday_afternoon": (1, AFTERNOON, "yesterday afternoon"),
    "yesterday_evening": (1, EVENING, "yesterday evening"),
    "day_before_yesterday": (2, SOME_TIME, "the day before yesterday"),
}
WHEN_IDS = frozenset({"today", *DAY_PARTS, *WEEKDAYS})


@dataclass(frozen=True)
class RunMoment:
    """When a run is logged, and the day the runner named ("yesterday morning"; empty: now)."""

    at: datetime
    spoken: str = ""
    # The runner named a time later today (e.g. "tonight" in the morning): logged as now instead.
    not_yet: bool = False

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("a run's moment must be timezone-aware")


def run_moment(when: str | None, now: datetime, zone: tzinfo | None = None) -> RunMoment:
    """Place a run said `when` (a WHEN slot id) relative to `now`, in the runner's time zone.

    `zone` is the runner's IANA zone; None means this machine's local zone. Unknown ids, no id
    and "today" log the run at `now`; a run is never logged in the future.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    key = (when or "").strip().lower()
    if key in WEEKDAYS:
        today = _local(now, zone).date()
        back = (today.weekday() - WEEKDAYS.index(key) - 1) % 7 + 1
        day, at_time, spoken = today - timedelta(days=back), SOME_TIME, key.title()
    elif key in DAY_PARTS:
        days, at_time, spoken = DAY_PARTS[key]
        day = _local(now, zone).date() - timedelta(days=days)
    else:
        return RunMoment(now)
    moment = _at_local(day, at_time, zone)
    if moment > now:
        return RunMoment(now, spoken, not_yet=True)
    return RunMoment(moment, spoken)


def _local(now: datetime, zone: tzinfo | None) -> datetime:
    return now.astimezone(zone) if zone is not None else now.astimezone()


def _at_local(day: date, at_time: time, zone: tzinfo | None) -> datetime:
    naive = datetime.combine(day, at_time)
    if zone is not None:
        return naive.replace(tzinfo=zone).astimezone(UTC)
    # A naive datetime's astimezone() reads it as this machine's local time, DST included.
    return naive.astimezone(UTC)


def spoken_when(at: datetime, now: datetime, zone: tzinfo | None = None) -> str:
    """Name when a recorded run started, as a runner would: "this morning", "on Sunday"."""
    local, today = _local(at, zone), _local(now, zone).date()
    days = (today - local.date()).days
    part = _day_part(local.time())
    if days <= 0:
        return "tonight" if part == "night" else f"this {part}"
    if days == 1:
        return "last night" if part == "night" else f"yesterday {part}"
    if days < 7:
        return f"on {WEEKDAYS[local.weekday()].title()}"
    return f"{days} days ago"


def _day_part(moment: time) -> str:
    if moment < time(12):
        return "morning"
    if moment < time(17):
        return "afternoon"
    return "evening" if moment < time(21) else "night"
