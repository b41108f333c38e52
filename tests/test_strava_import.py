"""Strava events become runs in the runner's real SQLite history, against a local Strava."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from strava_fake import CLIENT_SECRET, FakeStrava, run_activity, run_streams, serve_fake
from strava_support import USER, VERIFY_TOKEN, connect, event, strava_settings

from routines.load import HeartRateProfile
from skill.history import History
from skill.persistence import SQLitePersistenceAdapter
from skill.strava.api import StravaApi
from skill.strava.config import StravaSettings
from skill.strava.events import WebhookEvent, event_from
from skill.strava.importer import EventHandler, Outcome
from skill.strava.store import ConnectionStore
from skill.strava.tokens import TokenKeeper
from skill.strava.worker import EventWorker

ATHLETE = 9001


@pytest.fixture
def fake() -> Iterator[FakeStrava]:
    with serve_fake() as running:
        yield running


@pytest.fixture
def config(fake: FakeStrava) -> StravaSettings:
    return strava_settings(fake)


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "skill.sqlite3"


@pytest.fixture
def store(database: Path) -> ConnectionStore:
    return ConnectionStore(database)


@pytest.fixture
def users(database: Path) -> SQLitePersistenceAdapter:
    return SQLitePersistenceAdapter(database)


@pytest.fixture
def handler(
    config: StravaSettings, store: ConnectionStore, users: SQLitePersistenceAdapter
) -> EventHandler:
    api = StravaApi(config)
    return EventHandler(store, api, users, TokenKeeper(store, api))


def history(users: SQLitePersistenceAdapter, user: str = USER) -> History:
    return History.from_attributes(users.read_user(user))


def ev(*args: object, **kwargs: object) -> WebhookEvent:
    return event_from(event(*args, **kwargs))  # type: ignore[arg-type]


def test_a_created_run_is_stored_with_its_heart_rate_load(
    fake: FakeStrava, store: ConnectionStore, users: SQLitePersistenceAdapter, handler: EventHandler
) -> None:
    connect(fake, store, ATHLETE)
    fake.add_activity(ATHLETE, run_activity(111, ATHLETE), run_streams())
    assert handler.handle(ev("create", 111, ATHLETE)) is Outcome.IMPORTED
    (run,) = history(users).runs
    assert (run.source, run.source_id) == ("strava", "111")
    assert run.at.isoformat() == "2024-05-01T06:30:00+00:00"
    assert run.distance_km == pytest.approx(10.234, abs=0.001)
    assert run.duration_s == 3120
    assert (run.elevation_gain_m, run.avg_hr, run.max_hr) == (87.2, 151.3, 172.0)
    # Strava's 84.5 strides a minute are 169 steps.
    assert run.cadence_spm == 169.0
    assert run.load_method == "trimp"
    # From the samples, not the average: the samples climb from 140 to 160 bpm.
    samples = run_streams()
    expected = _trimp(samples["time"], samples["heartrate"], HeartRateProfile())
    assert run.load == pytest.approx(expected, abs=0.1)


def _trimp(times: list[int], beats: list[int], profile: HeartRateProfile) -> float:
    from routines.load import trimp_from_samples

    return round(trimp_from_samples(list(zip(times, beats, strict=True)), profile), 1)


def test_the_runners_heart_rate_profile_weighs_the_load(
    fake: FakeStrava,
    config: StravaSettings,
    store: ConnectionStore,
    users: SQLitePersistenceAdapter,
) -> None:
    connect(fake, store, ATHLETE)
    fake.add_activity(ATHLETE, run_activity(112, ATHLETE), run_streams())
    api = StravaApi(config)
    fit = HeartRateProfile(rest_bpm=45, max_bpm=200)
    handler = EventHandler(store, api, users, TokenKeeper(store, api), lambda user: fit)
    handler.handle(ev("create", 112, ATHLETE))
    samples = run_streams()
    (run,) = history(users).runs
    assert run.load == pytest.approx(_trimp(samples["time"], samples["heartrate"], fit), abs=0.1)


def test_a_run_without_streams_is_weighed_by_its_average(
    fake: FakeStrava, store: ConnectionStore, users: SQLitePersistenceAdapter, handler: EventHandler
) -> None:
    connect(fake, store, ATHLETE)
    fake.add_activity(ATHLETE, run_activity(113, ATHLETE, sport_type="TrailRun"))
    assert handler.handle(ev("create", 113, ATHLETE)) is Outcome.IMPORTED
    (run,) = history(users).runs
    assert run.load_method == "trimp" and run.load is not None and run.easy_s is None


def test_an_update_keeps_one_run_and_a_delete_removes_it(
    fake: FakeStrava, store: ConnectionStore, users: SQLitePersistenceAdapter, handler: EventHandler
) -> None:
    connect(fake, store, ATHLETE)
    fake.add_activity(ATHLETE, run_activity(114, ATHLETE), run_streams())
    handler.handle(ev("create", 114, ATHLETE))
    fake.add_activity(ATHLETE, run_activity(114, ATHLETE, name="Renamed"), run_streams())
    assert handler.handle(ev("update", 114, ATHLETE, updates={"title": "Renamed"})) is (
        Outcome.ALREADY_STORED
    )
    assert len(history(users).runs) == 1
    assert handler.handle(ev("delete", 114, ATHLETE)) is Outcome.REMOVED
    assert history(users).runs == ()
    assert handler.handle(ev("delete", 114, ATHLETE)) is Outcome.NOT_STORED


def test_an_update_that_makes_a_run_a_ride_removes_it(
    fake: FakeStrava, store: ConnectionStore, users: SQLitePersistenceAdapter, handler: EventHandler
) -> None:
    connect(fake, store, ATHLETE)
    fake.add_activity(ATHLETE, run_activity(115, ATHLETE), run_streams())
    handler.handle(ev("create", 115, ATHLETE))
    fake.add_activity(ATHLETE, run_activity(115, ATHLETE, type="Ride", sport_type="Ride"))
    assert handler.handle(ev("update", 115, ATHLETE, updates={"type": "Ride"})) is (
        Outcome.NOT_A_RUN
    )
    assert history(users).runs == ()


@pytest.mark.parametrize("sport", ["Ride", "Swim", "Walk", "Hike"])
def test_other_sports_are_not_imported(
    fake: FakeStrava,
    store: ConnectionStore,
    users: SQLitePersistenceAdapter,
    handler: EventHandler,
    sport: str,
) -> None:
    connect(fake, store, ATHLETE)
    fake.add_activity(ATHLETE, run_activity(116, ATHLETE, type=sport, sport_type=sport))
    assert handler.handle(ev("create", 116, ATHLETE)) is Outcome.NOT_A_RUN
    assert history(users).runs == ()


@pytest.mark.parametrize("sport", ["Run", "TrailRun", "VirtualRun"])
def test_every_kind_of_run_is_imported(
    fake: FakeStrava,
    store: ConnectionStore,
    users: SQLitePersistenceAdapter,
    handler: EventHandler,
    sport: str,
) -> None:
    connect(fake, store, ATHLETE)
    fake.add_activity(ATHLETE, run_activity(117, ATHLETE, type="Run", sport_type=sport))
    assert handler.handle(ev("create", 117, ATHLETE)) is Outcome.IMPORTED


def test_an_activity_deleted_before_the_fetch_is_removed(
    fake: FakeStrava, store: ConnectionStore, users: SQLitePersistenceAdapter, handler: EventHandler
) -> None:
    connect(fake, store, ATHLETE)
    fake.add_activity(ATHLETE, run_activity(118, ATHLETE), run_streams())
    handler.handle(ev("create", 118, ATHLETE))
    fake.deleted.add(118)
    assert handler.handle(ev("update", 118, ATHLETE)) is Outcome.REMOVED
    assert history(users).runs == ()
    assert handler.handle(ev("create", 118, ATHLETE)) is Outcome.NOT_STORED


def test_a_token_near_expiry_is_refreshed_and_the_new_refresh_token_stored(
    fake: FakeStrava, store: ConnectionStore, users: SQLitePersistenceAdapter, handler: EventHandler
) -> None:
    old = connect(fake, store, ATHLETE, expires_at=time.time() + 120)
    fake.add_activity(ATHLETE, run_activity(119, ATHLETE), run_streams())
    assert handler.handle(ev("create", 119, ATHLETE)) is Outcome.IMPORTED
    new = store.get(ATHLETE)
    assert new is not None
    assert new.refresh_token != old.refresh_token and new.access_token != old.access_token
    assert new.expires_at > old.expires_at
    assert new.refresh_token in fake.refresh and old.refresh_token not in fake.refresh
    assert ("POST", "/oauth/token") in fake.calls


def test_a_refused_token_is_refreshed_once(
    fake: FakeStrava, store: ConnectionStore, users: SQLitePersistenceAdapter, handler: EventHandler
) -> None:
    old = connect(fake, store, ATHLETE)
    fake.add_activity(ATHLETE, run_activity(120, ATHLETE), run_streams())
    fake.expire_access_tokens()
    assert handler.handle(ev("create", 120, ATHLETE)) is Outcome.IMPORTED
    stored = store.get(ATHLETE)
    assert stored is not None and stored.refresh_token != old.refresh_token
    assert fake.calls.count(("POST", "/oauth/token")) == 1


def test_a_token_refused_after_a_refresh_gives_up_with_a_logged_error(
    fake: FakeStrava,
    store: ConnectionStore,
    handler: EventHandler,
    caplog: pytest.LogCaptureFixture,
) -> None:
    connect(fake, store, ATHLETE)
    fake.add_activity(ATHLETE, run_activity(121, ATHLETE))
    fake.expire_access_tokens()
    fake.refresh.clear()  # the athlete revoked access: the refresh token is dead too
    worker = EventWorker(handler, retry_delay=lambda now: 0.0).start()
    try:
        assert worker.submit(ev("create", 121, ATHLETE))
        assert worker.join_idle(20)
    finally:
        worker.stop()
    assert "failed" in caplog.text and "Strava answered 400" in caplog.text
    assert fake.calls.count(("POST", "/oauth/token")) == 1


def test_rate_limited_fetches_wait_for_the_window_then_succeed(
    fake: FakeStrava, store: ConnectionStore, users: SQLitePersistenceAdapter, handler: EventHandler
) -> None:
    connect(fake, store, ATHLETE)
    fake.add_activity(ATHLETE, run_activity(122, ATHLETE), run_streams())
    fake.rate_limit(2)
    delays: list[float] = []

    def delay(now: float) -> float:
        delays.append(now)
        return 0.01

    worker = EventWorker(handler, retry_delay=delay).start()
    try:
        assert worker.submit(ev("create", 122, ATHLETE))
        assert worker.join_idle(20)
    finally:
        worker.stop()
    assert len(delays) == 2
    assert len(history(users).runs) == 1
    assert fake.api_calls().count("/api/v3/activities/122") == 3


def test_a_used_up_daily_limit_drops_the_event_without_waiting(
    fake: FakeStrava,
    store: ConnectionStore,
    users: SQLitePersistenceAdapter,
    handler: EventHandler,
    caplog: pytest.LogCaptureFixture,
) -> None:
    connect(fake, store, ATHLETE)
    fake.add_activity(ATHLETE, run_activity(123, ATHLETE))
    fake.rate_limit(5, daily=True)
    waited: list[float] = []
    worker = EventWorker(handler, retry_delay=lambda now: waited.append(now) or 0.0).start()
    try:
        worker.submit(ev("create", 123, ATHLETE))
        assert worker.join_idle(20)
    finally:
        worker.stop()
    assert waited == []
    assert "dropped" in caplog.text and "2000" in caplog.text
    assert history(users).runs == ()


def test_stop_cancels_a_rate_limit_wait(
    fake: FakeStrava, store: ConnectionStore, handler: EventHandler
) -> None:
    connect(fake, store, ATHLETE)
    fake.add_activity(ATHLETE, run_activity(124, ATHLETE))
    fake.rate_limit(1)
    # The real window: minutes. stop() must not wait for it.
    worker = EventWorker(handler).start()
    worker.submit(ev("create", 124, ATHLETE))
    started = time.monotonic()
    while fake.api_calls() == [] and time.monotonic() - started < 20:
        time.sleep(0.01)
    worker.stop(timeout=20)
    assert worker.join_idle(0)


def test_an_unknown_athlete_is_ignored(handler: EventHandler, fake: FakeStrava) -> None:
    assert handler.handle(ev("create", 125, 424242)) is Outcome.UNKNOWN_ATHLETE
    assert fake.calls == []


def test_a_deauthorization_forgets_the_connection(
    fake: FakeStrava, store: ConnectionStore, handler: EventHandler
) -> None:
    connect(fake, store, ATHLETE)
    connect(fake, store, 9002, user="amzn1.ask.account.OTHER")
    deauthorize = ev(
        "update", ATHLETE, ATHLETE, object_type="athlete", updates={"authorized": "false"}
    )
    assert handler.handle(deauthorize) is Outcome.FORGOTTEN
    assert store.get(ATHLETE) is None and store.get(9002) is not None


class _Blocking:
    """A handler that holds the worker until released: the queue behind it fills up."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.handled: list[int] = []

    def handle(self, event: WebhookEvent) -> None:
        self.release.wait(20)
        self.handled.append(event.object_id)


def test_the_worker_refuses_events_beyond_its_queue() -> None:
    handler = _Blocking()
    worker = EventWorker(handler, capacity=2)
    assert not worker.submit(ev("create", 1, ATHLETE)), "a worker not started takes nothing"
    worker.start()
    try:
        accepted = [worker.submit(ev("create", n, ATHLETE)) for n in range(1, 6)]
        # One being handled (or still queued) plus two queued: the rest are refused.
        assert accepted[:3] == [True, True, True] or accepted[:2] == [True, True]
        assert accepted[-1] is False
        handler.release.set()
        assert worker.join_idle(20)
    finally:
        worker.stop()
    assert handler.handled == [n for n, ok in zip(range(1, 6), accepted, strict=True) if ok]
    assert not worker.submit(ev("create", 9, ATHLETE)), "a stopped worker takes nothing"


def test_secrets_never_reach_the_logs(
    fake: FakeStrava,
    store: ConnectionStore,
    users: SQLitePersistenceAdapter,
    handler: EventHandler,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    first = connect(fake, store, ATHLETE, expires_at=time.time() + 60)
    fake.add_activity(ATHLETE, run_activity(126, ATHLETE), run_streams())
    later = run_activity(127, ATHLETE, start_date="2024-05-03T06:30:00Z")
    fake.add_activity(ATHLETE, later, run_streams())
    fake.rate_limit(1)
    worker = EventWorker(handler, retry_delay=lambda now: 0.0).start()
    try:
        worker.submit(ev("create", 126, ATHLETE))
        assert worker.join_idle(20)
        fake.expire_access_tokens()
        worker.submit(ev("create", 127, ATHLETE))
        worker.submit(ev("create", 999, ATHLETE))
        assert worker.join_idle(20)
    finally:
        worker.stop()
    last = store.get(ATHLETE)
    assert last is not None and len(history(users).runs) == 2
    secrets = {
        CLIENT_SECRET,
        VERIFY_TOKEN,
        first.access_token,
        first.refresh_token,
        last.access_token,
        last.refresh_token,
    }
    assert "/oauth/token" in caplog.text  # the requests were logged, their secrets not
    for secret in secrets:
        assert secret not in caplog.text
    assert "fake-client-secret" not in repr(strava_settings(fake))
    assert first.access_token not in repr(first)
