"""The recovery log: bounded, read back safely, and written when the runner reports or clears."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from skill_support import Session

from skill.persistence import SQLitePersistenceAdapter
from skill.recovery_log import (
    KEEP_ENTRIES_FOR,
    LOG_KEY,
    MAX_ENTRIES,
    EntryKind,
    LogEntry,
    LogError,
    RecoveryLog,
)
from skill.settings import Settings
from skill.web import create_app

T0 = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)


def entry(at: datetime, text: str = "Sore (5/10): calves") -> LogEntry:
    return LogEntry(at, EntryKind.SORENESS, text)


def test_a_log_keeps_at_most_200_entries_the_newest() -> None:
    entries = [entry(T0 + timedelta(minutes=i), f"entry {i}") for i in range(MAX_ENTRIES + 30)]
    kept = RecoveryLog().with_entries(entries).entries
    assert len(kept) == MAX_ENTRIES
    assert kept[0].text == "entry 30" and kept[-1].text == f"entry {MAX_ENTRIES + 29}"


def test_a_log_forgets_entries_twelve_weeks_older_than_the_newest() -> None:
    old = entry(T0, "old")
    edge = entry(T0 + timedelta(days=1), "edge")
    log = RecoveryLog().with_entries([old, edge])
    newest = entry(T0 + timedelta(days=1) + KEEP_ENTRIES_FOR, "new")
    assert [kept.text for kept in log.with_entries([newest]).entries] == ["edge", "new"]


def test_a_log_round_trips_and_skips_entries_that_do_not_parse() -> None:
    log = RecoveryLog().with_entries([entry(T0), LogEntry(T0, EntryKind.HEAT, "Heating pad on")])
    stored = log.to_attributes()
    stored[LOG_KEY].insert(0, {"at": "yesterday", "kind": "soreness", "text": "x"})
    stored[LOG_KEY].append({"at": T0.isoformat(), "kind": "dance", "text": "x"})
    stored[LOG_KEY].append("not an entry")
    assert RecoveryLog.from_attributes(stored) == log
    assert RecoveryLog.from_attributes({LOG_KEY: "not a list"}) == RecoveryLog()


@pytest.mark.parametrize(
    ("at", "kind", "text", "named"),
    [
        (T0.replace(tzinfo=None), EntryKind.HEAT, "Heat", "timezone"),
        (T0, "heat", "Heat", "kind"),
        (T0, EntryKind.HEAT, "  ", "text"),
        (T0, EntryKind.HEAT, "x" * 301, "text"),
    ],
)
def test_bad_entries_are_refused_naming_the_field(
    at: datetime, kind: Any, text: str, named: str
) -> None:
    with pytest.raises(LogError, match=named):
        LogEntry(at, kind, text)


# --- written through real requests -------------------------------------------------------------


@pytest.fixture
def client(settings: Settings) -> Iterator[FlaskClient]:
    yield create_app(settings).test_client()


def stored_log(settings: Settings, user: str = "runner-1") -> list[LogEntry]:
    store = SQLitePersistenceAdapter(settings.database)
    try:
        return list(RecoveryLog.from_attributes(store.read_user(user)).entries)
    finally:
        store.close()


def test_soreness_reports_are_logged_with_level_and_areas(
    client: FlaskClient, settings: Settings
) -> None:
    runner = Session(client)
    runner.say("I just ran ten miles")
    assert stored_log(settings) == [], "a run alone is in the runs, not the log"
    runner.say("my calves are sore")
    runner.say("my soreness is a six")
    logged = stored_log(settings)
    assert [(e.kind, e.text) for e in logged] == [
        (EntryKind.SORENESS, "Sore: calves"),
        # The same episode: the level adds to the calves.
        (EntryKind.SORENESS, "Sore (6/10): calves"),
    ]
    assert logged[0].at <= logged[1].at


def test_red_flags_are_logged_when_reported_and_when_cleared(
    client: FlaskClient, settings: Settings
) -> None:
    runner = Session(client)
    runner.say("my ankle is swollen")
    assert [(e.kind, e.text) for e in stored_log(settings)] == [
        (EntryKind.RED_FLAG, "Red flag: your ankle is swollen")
    ]
    runner.say("my ankle is swollen")
    assert len(stored_log(settings)) == 1, "a flag already on record is not logged again"
    runner.say("my ankle is fine now")
    assert runner.say("yes").startswith("Glad to hear it. I've cleared your ankle.")
    assert [(e.kind, e.text) for e in stored_log(settings)] == [
        (EntryKind.RED_FLAG, "Red flag: your ankle is swollen"),
        (EntryKind.CLEARED, "Cleared: your ankle is swollen"),
    ]


def test_the_log_stays_with_its_runner(client: FlaskClient, settings: Settings) -> None:
    Session(client, user="runner-1").say("my calves are sore")
    Session(client, user="runner-2").say("my quads are sore")
    assert [e.text for e in stored_log(settings, "runner-1")] == ["Sore: calves"]
    assert [e.text for e in stored_log(settings, "runner-2")] == ["Sore: quads"]


# --- heat and bath sessions the home confirmed ------------------------------------------------


@pytest.fixture
def voice_home(mosquitto: Any, tmp_path: Any) -> Iterator[Any]:
    from home_support import started_homes
    from test_voice_home import VoiceHome

    with started_homes() as start:
        yield start(VoiceHome(mosquitto, tmp_path / "home", None))


def test_heat_and_bath_sessions_are_logged_once_the_home_confirms(voice_home: Any) -> None:
    runner = voice_home.runner()
    runner.say("turn on the heating pad for one minute")
    assert not stored_log(voice_home.settings), "nothing is logged before the yes"
    assert runner.say("yes").startswith("Your heating pad is on for 1 minute.")
    runner.say("run an epsom salt bath at 39 degrees")
    assert runner.say("yes").startswith("Your bath is filling to 39 degrees")
    runner.say("run a bath at 38 degrees")
    runner.say("no")
    assert [(e.kind, e.text) for e in stored_log(voice_home.settings)] == [
        (EntryKind.HEAT, "Heating pad on for 1 minute"),
        (EntryKind.BATH, "Epsom salt bath filled to 39 °C"),
    ]


def test_a_refused_session_is_not_logged(voice_home: Any) -> None:
    runner = voice_home.runner()
    runner.say("my ankle is swollen")
    assert runner.say("turn on the heating pad").startswith("I won't turn on the heating pad")
    assert [e.kind for e in stored_log(voice_home.settings)] == [EntryKind.RED_FLAG]
