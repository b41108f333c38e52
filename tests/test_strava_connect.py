"""`recovery-coach strava connect/status/disconnect` against a local Strava."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner, Result
from server_support import free_port
from strava_fake import CLIENT_ID, CLIENT_SECRET, Athlete, FakeStrava, serve_fake
from strava_support import USER, VERIFY_TOKEN

from skill.cli import main
from skill.strava.oauth import make_state
from skill.strava.store import ConnectionStore

ADA = Athlete(5150, "Ada", "Runner")
ENV = {
    "RECOVERY_COACH_STRAVA_CLIENT_SECRET": CLIENT_SECRET,
    "RECOVERY_COACH_STRAVA_VERIFY_TOKEN": VERIFY_TOKEN,
}


@pytest.fixture
def fake() -> Iterator[FakeStrava]:
    with serve_fake() as running:
        yield running


def write_config(tmp_path: Path, fake: FakeStrava, port: int = 8721) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(
        f"database: {tmp_path / 'skill.sqlite3'}\n"
        f"strava:\n  client_id: {CLIENT_ID}\n  api_base: {fake.url}\n"
        f"  redirect_uri: http://127.0.0.1:{port}/strava/callback\n"
    )
    return config


@pytest.fixture
def config(tmp_path: Path, fake: FakeStrava) -> Path:
    return write_config(tmp_path, fake)


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["strava", *args], env=ENV)


def store(tmp_path: Path) -> ConnectionStore:
    return ConnectionStore(tmp_path / "skill.sqlite3")


def test_connect_with_a_pasted_code(tmp_path: Path, fake: FakeStrava, config: Path) -> None:
    code = fake.add_code(ADA)
    result = run("connect", "--user", USER, "--code", code, "--config", str(config))
    assert result.exit_code == 0, result.output
    assert f"Connected Strava Ada Runner ({ADA.id}) to Alexa user {USER}." in result.output
    connection = store(tmp_path).get(ADA.id)
    assert connection is not None and connection.alexa_user_id == USER
    assert connection.access_token in fake.access and connection.refresh_token in fake.refresh
    assert connection.access_token not in result.output and CLIENT_SECRET not in result.output


def test_connect_with_the_pasted_redirect_checks_its_state(
    tmp_path: Path, fake: FakeStrava, config: Path
) -> None:
    state = make_state(CLIENT_SECRET, USER, time.time())
    redirect = "http://127.0.0.1:8721/strava/callback?state={}&code={}&scope=read,activity:read_all"
    ok = run(
        "connect",
        "--user",
        USER,
        "--config",
        str(config),
        "--code",
        redirect.format(state, fake.add_code(ADA)),
    )
    assert ok.exit_code == 0, ok.output
    assert store(tmp_path).get(ADA.id) is not None
    assert store(tmp_path).get(ADA.id).scope == "read,activity:read_all"  # type: ignore[union-attr]

    other = run(
        "connect",
        "--user",
        "amzn1.ask.account.OTHER",
        "--config",
        str(config),
        "--code",
        redirect.format(state, fake.add_code(ADA)),
    )
    assert other.exit_code != 0 and "not made for user amzn1.ask.account.OTHER" in other.output
    stale = make_state(CLIENT_SECRET, USER, time.time() - 2 * 3600)
    old = run(
        "connect",
        "--user",
        USER,
        "--config",
        str(config),
        "--code",
        redirect.format(stale, fake.add_code(ADA)),
    )
    assert old.exit_code != 0 and "expired" in old.output


@pytest.mark.parametrize(
    ("pasted", "message"),
    [
        ("http://127.0.0.1:8721/strava/callback?state=&error=access_denied", "access_denied"),
        ("http://127.0.0.1:8721/strava/callback?code=abc&scope=read", "access to activities"),
        ("no-such-code", "Strava answered 400"),
    ],
)
def test_a_refused_connection_says_why_and_stores_nothing(
    tmp_path: Path, config: Path, pasted: str, message: str
) -> None:
    result = run("connect", "--user", USER, "--config", str(config), "--code", pasted)
    assert result.exit_code != 0 and message in result.output
    assert store(tmp_path).all() == []


def test_connect_needs_a_strava_section(tmp_path: Path) -> None:
    config = tmp_path / "plain.yaml"
    config.write_text("server: {port: 6000}\n")
    result = run("connect", "--user", USER, "--code", "x", "--config", str(config))
    assert result.exit_code != 0 and "Strava is not configured" in result.output


def test_connect_receives_the_redirect_on_a_local_server(tmp_path: Path, fake: FakeStrava) -> None:
    port = free_port()
    config = write_config(tmp_path, fake, port)
    environment = {**os.environ, **ENV, "PYTHONUNBUFFERED": "1"}
    environment.pop("RECOVERY_COACH_CONFIG", None)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "skill.cli",
            "strava",
            "connect",
            "--user",
            USER,
            "--config",
            str(config),
            "--timeout",
            "60",
        ],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = []
        while not any("/oauth/authorize?" in line for line in lines):
            line = process.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        authorize = next(line.strip() for line in lines if "/oauth/authorize?" in line)
        params = parse_qs(urlsplit(authorize).query)
        assert authorize.startswith(f"{fake.url}/oauth/authorize?")
        assert params["client_id"] == [str(CLIENT_ID)] and params["scope"] == ["activity:read_all"]
        assert params["redirect_uri"] == [f"http://127.0.0.1:{port}/strava/callback"]
        assert params["response_type"] == ["code"]
        # What the browser does after the runner approves: Strava redirects it here.
        callback = (
            f"http://127.0.0.1:{port}/strava/callback?state={params['state'][0]}"
            f"&code={fake.add_code(ADA)}&scope=read,activity:read_all"
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(callback, timeout=5) as reply:
                    assert reply.status == 200 and b"close this tab" in reply.read()
                break
            except urllib.error.URLError:
                assert time.monotonic() < deadline, "the redirect server never listened"
                time.sleep(0.05)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, output
    assert f"Connected Strava Ada Runner ({ADA.id})" in output
    connection = store(tmp_path).get(ADA.id)
    assert connection is not None and connection.alexa_user_id == USER
    assert connection.refresh_token not in output


def test_status_and_disconnect(tmp_path: Path, fake: FakeStrava, config: Path) -> None:
    assert (
        run(
            "connect", "--user", USER, "--code", fake.add_code(ADA), "--config", str(config)
        ).exit_code
        == 0
    )
    status = run("status", "--config", str(config))
    assert status.exit_code == 0, status.output
    assert f"athlete {ADA.id} Ada Runner -> {USER}" in status.output
    assert f"Strava application {CLIENT_ID} at {fake.url}" in status.output
    connection = store(tmp_path).get(ADA.id)
    assert connection is not None
    for secret in (CLIENT_SECRET, VERIFY_TOKEN, connection.access_token, connection.refresh_token):
        assert secret not in status.output

    result = run("disconnect", "--user", USER, "--config", str(config))
    assert result.exit_code == 0, result.output
    assert fake.deauthorized == [ADA.id]
    assert ("POST", "/oauth/deauthorize") in fake.calls
    assert store(tmp_path).all() == []
    again = run("disconnect", "--user", USER, "--config", str(config))
    assert again.exit_code != 0 and "no Strava athlete is connected" in again.output


def test_disconnect_forgets_an_athlete_who_already_revoked(
    tmp_path: Path, fake: FakeStrava, config: Path
) -> None:
    assert (
        run(
            "connect", "--user", USER, "--code", fake.add_code(ADA), "--config", str(config)
        ).exit_code
        == 0
    )
    fake.expire_access_tokens()
    result = run("disconnect", "--user", USER, "--config", str(config))
    assert result.exit_code == 0, result.output
    assert store(tmp_path).all() == [] and fake.deauthorized == []
