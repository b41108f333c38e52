"""The webhook on the skill's web app: Strava's handshake, strict events, and the real server."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from server_support import start_server
from strava_fake import CLIENT_ID, CLIENT_SECRET, FakeStrava, run_activity, run_streams, serve_fake
from strava_support import SUBSCRIPTION, USER, VERIFY_TOKEN, connect, event, strava_settings

from skill.history import History
from skill.persistence import SQLitePersistenceAdapter
from skill.settings import Settings
from skill.strava.service import build_worker
from skill.strava.store import ConnectionStore
from skill.web import create_app, stop_background

ATHLETE = 7007
URL = "/strava/webhook"


@pytest.fixture
def fake() -> Iterator[FakeStrava]:
    with serve_fake() as running:
        yield running


@pytest.fixture
def strava(settings: Settings, fake: FakeStrava) -> Settings:
    return Settings(database=settings.database, verify_requests=False, strava=strava_settings(fake))


@pytest.fixture
def app_client(strava: Settings) -> Iterator[FlaskClient]:
    assert strava.strava is not None
    worker = build_worker(strava, strava.strava, retry_delay=lambda now: 0.01)
    app = create_app(strava, strava_worker=worker)
    client = app.test_client()
    client.worker = worker  # type: ignore[attr-defined]
    yield client
    stop_background(app)


def handshake(client: FlaskClient, **params: str) -> Any:
    return client.get(URL, query_string=params)


def test_the_handshake_echoes_the_challenge(app_client: FlaskClient) -> None:
    answer = handshake(
        app_client,
        **{"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "15f7d1a9"},
    )
    assert answer.status_code == 200
    assert answer.json == {"hub.challenge": "15f7d1a9"}


@pytest.mark.parametrize(
    ("params", "status", "reason"),
    [
        (
            {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "x"},
            403,
            "verify",
        ),
        (
            {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "x"},
            403,
            "mode",
        ),
        ({"hub.mode": "subscribe", "hub.challenge": "x"}, 400, "hub.verify_token"),
        ({"hub.verify_token": VERIFY_TOKEN, "hub.challenge": "x"}, 400, "hub.mode"),
        ({"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN}, 400, "hub.challenge"),
        (
            {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "x" * 300},
            400,
            "too long",
        ),
    ],
)
def test_a_bad_handshake_is_refused(
    app_client: FlaskClient, params: dict[str, str], status: int, reason: str
) -> None:
    answer = handshake(app_client, **params)
    assert answer.status_code == status
    assert answer.json["status"] == "error" and reason in answer.json["error"]
    assert VERIFY_TOKEN not in answer.get_data(as_text=True)


def _good() -> dict[str, Any]:
    return event("create", 1, ATHLETE)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1]", "JSON object"),
        (b"{}", "object_type"),
        (json.dumps({**_good(), "object_type": "segment"}).encode(), "object_type"),
        (json.dumps({**_good(), "aspect_type": "upsert"}).encode(), "aspect_type"),
        (json.dumps({**_good(), "object_id": "1"}).encode(), "object_id"),
        (json.dumps({**_good(), "owner_id": True}).encode(), "owner_id"),
        (json.dumps({**_good(), "owner_id": -3}).encode(), "owner_id"),
        (
            json.dumps({k: v for k, v in _good().items() if k != "subscription_id"}).encode(),
            "subscription_id",
        ),
        (json.dumps({**_good(), "event_time": 1.5}).encode(), "event_time"),
        (json.dumps({**_good(), "updates": []}).encode(), "updates"),
        (json.dumps({**_good(), "updates": {"title": {"x": 1}}}).encode(), "updates.title"),
        (json.dumps({**_good(), "pad": "x" * 5000}).encode(), "larger than"),
        (b"[" * 100000, "larger than"),
    ],
)
def test_malformed_events_are_400(app_client: FlaskClient, body: bytes, reason: str) -> None:
    answer = app_client.post(URL, data=body, content_type="application/json")
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert answer.json["status"] == "error" and reason in answer.json["error"]


def test_events_for_unknown_athletes_or_subscriptions_get_200_and_are_ignored(
    app_client: FlaskClient, fake: FakeStrava, strava: Settings
) -> None:
    connect(fake, ConnectionStore(strava.database), ATHLETE)
    unknown = app_client.post(URL, json=event("create", 5, 123456))
    other = app_client.post(URL, json=event("create", 5, ATHLETE, subscription=SUBSCRIPTION + 1))
    for answer in (unknown, other):
        assert answer.status_code == 200 and answer.json["status"] == "ignored"
    assert app_client.worker.join_idle(10)  # type: ignore[attr-defined]
    assert fake.api_calls() == []


def test_an_event_is_answered_at_once_and_imported_by_the_worker(
    app_client: FlaskClient, fake: FakeStrava, strava: Settings
) -> None:
    connect(fake, ConnectionStore(strava.database), ATHLETE)
    fake.add_activity(ATHLETE, run_activity(31, ATHLETE), run_streams())
    fake.rate_limit(1)
    answer = app_client.post(URL, json=event("create", 31, ATHLETE))
    assert answer.status_code == 200 and answer.json == {"status": "accepted"}
    assert app_client.worker.join_idle(20)  # type: ignore[attr-defined]
    runs = History.from_attributes(SQLitePersistenceAdapter(strava.database).read_user(USER)).runs
    assert [run.source_id for run in runs] == ["31"]
    app_client.post(URL, json=event("delete", 31, ATHLETE))
    assert app_client.worker.join_idle(20)  # type: ignore[attr-defined]
    assert (
        History.from_attributes(SQLitePersistenceAdapter(strava.database).read_user(USER)).runs
        == ()
    )


def test_no_webhook_without_a_strava_section(settings: Settings) -> None:
    client = create_app(settings).test_client()
    assert client.get(URL).status_code == 404
    assert client.post(URL, json=_good()).status_code == 404


def test_the_served_app_imports_a_posted_run(tmp_path: Path, fake: FakeStrava) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        f"strava:\n  client_id: {CLIENT_ID}\n  api_base: {fake.url}\n"
        f"  subscription_id: {SUBSCRIPTION}\n"
    )
    database = tmp_path / "server.sqlite3"  # where start_server puts the skill's database
    connect(fake, ConnectionStore(database), ATHLETE)
    fake.add_activity(ATHLETE, run_activity(41, ATHLETE), run_streams())
    env = {
        "RECOVERY_COACH_STRAVA_CLIENT_SECRET": CLIENT_SECRET,
        "RECOVERY_COACH_STRAVA_VERIFY_TOKEN": VERIFY_TOKEN,
    }
    server = start_server(tmp_path, "--no-verify", "--config", str(config), env=env)
    base = next(server)
    try:
        query = f"hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=abc123"
        with urllib.request.urlopen(f"{base}{URL}?{query}", timeout=10) as reply:
            assert json.load(reply) == {"hub.challenge": "abc123"}
        request = urllib.request.Request(
            f"{base}{URL}",
            data=json.dumps(event("create", 41, ATHLETE)).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as reply:
            assert reply.status == 200 and json.load(reply) == {"status": "accepted"}
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(
                urllib.request.Request(f"{base}{URL}", data=b"{", method="POST"), timeout=10
            )
        assert refused.value.code == 400
        users = SQLitePersistenceAdapter(database)
        deadline = time.monotonic() + 30
        runs: tuple[Any, ...] = ()
        while not runs and time.monotonic() < deadline:
            runs = History.from_attributes(users.read_user(USER)).runs
            time.sleep(0.05)
        assert [run.source_id for run in runs] == ["41"]
        assert runs[0].load_method == "trimp"
    finally:
        server.close()
