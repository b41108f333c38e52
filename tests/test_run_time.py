"""Where a run said "yesterday morning" or "sunday" lands, in the runner's time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from skill.run_time import WHEN_IDS, run_moment

LONDON = ZoneInfo("Europe/London")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
# Wednesday 25 November 2026, 10:00 in London (GMT, so also 10:00 UTC).
WEDNESDAY = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("when", "local", "spoken"),
    [
        ("this_morning", datetime(2026, 11, 25, 7, 0), "this morning"),
        ("yesterday", datetime(2026, 11, 24, 18, 0), "yesterday"),
        ("yesterday_morning", datetime(2026, 11, 24, 7, 0), "yesterday morning"),
        ("yesterday_afternoon", datetime(2026, 11, 24, 13, 0), "yesterday afternoon"),
        ("yesterday_evening", datetime(2026, 11, 24, 19, 0), "yesterday evening"),
        ("last_night", datetime(2026, 11, 24, 20, 0), "last night"),
        ("day_before_yesterday", datetime(2026, 11, 23, 18, 0), "the day before yesterday"),
        ("tuesday", datetime(2026, 11, 24, 18, 0), "Tuesday"),
        ("monday", datetime(2026, 11, 23, 18, 0), "Monday"),
        ("sunday", datetime(2026, 11, 22, 18, 0), "Sunday"),
        ("thursday", datetime(2026, 11, 19, 18, 0), "Thursday"),
        # Today's own weekday means a week ago, never today or later.
        ("wednesday", datetime(2026, 11, 18, 18, 0), "Wednesday"),
    ],
)
def test_named_days_land_at_a_representative_local_time(
    when: str, local: datetime, spoken: str
) -> None:
    moment = run_moment(when, WEDNESDAY, LONDON)
    assert moment.at == local.replace(tzinfo=LONDON)
    assert moment.at.astimezone(LONDON).replace(tzinfo=None) == local
    assert (moment.spoken, moment.not_yet) == (spoken, False)


@pytest.mark.parametrize("when", [None, "", "today", "next_tuesday", "?"])
def test_today_and_unknown_ids_log_the_run_now(when: str | None) -> None:
    assert run_moment(when, WEDNESDAY, LONDON).at == WEDNESDAY
    assert run_moment(when, WEDNESDAY, LONDON).spoken == ""


@pytest.mark.parametrize("when", ["this_afternoon", "this_evening", "tonight"])
def test_a_time_later_today_is_logged_now_and_flagged(when: str) -> None:
    moment = run_moment(when, WEDNESDAY, LONDON)
    assert (moment.at, moment.not_yet) == (WEDNESDAY, True)


def test_this_morning_before_seven_is_logged_now() -> None:
    early = datetime(2026, 11, 25, 6, 15, tzinfo=UTC)
    assert run_moment("this_morning", early, LONDON).at == early
    assert run_moment("this_morning", early, LONDON).not_yet


def test_the_days_are_the_runners_not_utcs() -> None:
    # 05:00 UTC on the 25th is still 21:00 on the 24th in Los Angeles.
    late = datetime(2026, 11, 25, 5, 0, tzinfo=UTC)
    moment = run_moment("yesterday_morning", late, LOS_ANGELES)
    assert moment.at == datetime(2026, 11, 23, 7, 0, tzinfo=LOS_ANGELES)
    assert moment.at == datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    assert run_moment("this_evening", late, LOS_ANGELES).at == datetime(
        2026, 11, 24, 19, 0, tzinfo=LOS_ANGELES
    )


def test_month_and_year_boundaries() -> None:
    new_year = datetime(2027, 1, 1, 9, 0, tzinfo=UTC)
    assert run_moment("yesterday", new_year, LONDON).at == datetime(2026, 12, 31, 18, tzinfo=LONDON)
    assert run_moment("day_before_yesterday", new_year, LONDON).at == datetime(
        2026, 12, 30, 18, tzinfo=LONDON
    )
    # 1 January 2027 is a Friday: "thursday" is New Year's Eve, "friday" a week back.
    assert run_moment("thursday", new_year, LONDON).at == datetime(2026, 12, 31, 18, tzinfo=LONDON)
    assert run_moment("friday", new_year, LONDON).at == datetime(2026, 12, 25, 18, tzinfo=LONDON)
    march = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert run_moment("yesterday_morning", march, LONDON).at == datetime(
        2026, 2, 28, 7, tzinfo=LONDON
    )


def test_summer_time_is_the_zones_own() -> None:
    # Clocks went forward on Sunday 29 March 2026: 07:00 on the 30th is 06:00 UTC.
    monday = datetime(2026, 3, 30, 12, 0, tzinfo=UTC)
    assert run_moment("this_morning", monday, LONDON).at == datetime(2026, 3, 30, 6, tzinfo=UTC)
    assert run_moment("yesterday_morning", monday, LONDON).at == datetime(
        2026, 3, 29, 6, tzinfo=UTC
    )
    assert run_moment("last_night", monday, LONDON).at == datetime(2026, 3, 29, 19, tzinfo=UTC)


def test_every_when_id_is_in_the_past_or_now() -> None:
    for hour in range(24):
        now = datetime(2026, 11, 25, hour, 30, tzinfo=UTC)
        for when in WHEN_IDS:
            assert run_moment(when, now, LOS_ANGELES).at <= now, (when, hour)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        run_moment("yesterday", datetime(2026, 11, 25, 10), LONDON)
