"""The real `recovery-coach serve` under a slowloris crowd and thousands of fuzzed envelopes."""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from envelope_fuzz import bodies, check_answer
from envelopes import intent
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from pki import NOW, Authority
from server_support import free_port
from test_server_hardening import Tracebacks, fuzz, fuzz_clients

from skill.edge import MAX_BODY_BYTES

pytestmark = [pytest.mark.faults, pytest.mark.slow]

ENVELOPES = 5_000


class Served:
    """A `recovery-coach serve --no-verify` process whose log goes to a file."""

    def __init__(self, tmp_path: Path) -> None:
        self.port = free_port()
        self.log = tmp_path / "server.log"
        environment = {**os.environ, "RECOVERY_COACH_DATABASE": str(tmp_path / "db.sqlite3")}
        environment.pop("RECOVERY_COACH_SKILL_ID", None)
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "skill.cli",
                    "serve",
                    "--no-verify",
                    "--port",
                    str(self.port),
                ],
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1):
                    return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    pytest.fail(f"server did not start: {self.log.read_text()}")
                time.sleep(0.05)

    def connect(self, timeout: float = 5.0) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    server = Served(tmp_path)
    yield server
    server.stop()


def _slowloris(served: Served, count: int, stop: threading.Event) -> list[socket.socket]:
    """Open `count` connections; half stay idle, half trickle a header byte every 2 s."""
    sockets = [
        socket.create_connection(("127.0.0.1", served.port), timeout=5) for _ in range(count)
    ]

    def trickle() -> None:
        header = b"POST /alexa HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 10_000
        position = 0
        while not stop.wait(2.0):
            for sock in sockets[::2]:
                # A send may fail: the server drops slow clients, as it should.
                with contextlib.suppress(OSError):
                    sock.send(header[position : position + 1])
            position += 1

    threading.Thread(target=trickle, daemon=True).start()
    return sockets


def test_300_slow_connections_do_not_keep_alexa_waiting(served: Served) -> None:
    stop = threading.Event()
    sockets = _slowloris(served, 300, stop)
    try:
        time.sleep(0.5)
        payload = intent("AMAZON.HelpIntent", datetime.now(UTC))
        latencies = []
        # Long enough to outlast the idle timeout and the request deadline.
        until = time.monotonic() + 16
        while time.monotonic() < until:
            started = time.monotonic()
            connection = served.connect()
            try:
                payload["request"]["timestamp"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                connection.request(
                    "POST", "/alexa", json.dumps(payload), {"Content-Type": "application/json"}
                )
                reply = connection.getresponse()
                reply.read()
                assert reply.status == 200
            finally:
                connection.close()
            latencies.append(time.monotonic() - started)
            time.sleep(0.25)
        assert len(latencies) >= 20
        assert max(latencies) < 1.0, latencies
        # The slow clients were dropped: none of them may hold a socket for ever.
        dropped = sum(1 for sock in sockets if _closed_by_server(sock))
        assert dropped == len(sockets)
    finally:
        stop.set()
        for sock in sockets:
            sock.close()
    assert "Traceback" not in served.log.read_text()


def _closed_by_server(sock: socket.socket) -> bool:
    sock.settimeout(0.2)
    try:
        return sock.recv(1) == b""
    except TimeoutError:
        return False
    except OSError:
        return True


def test_thousands_of_fuzzed_envelopes_through_the_real_server(served: Served) -> None:
    connection = served.connect()
    answered = 0

    @hsettings(
        max_examples=ENVELOPES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(body=bodies(NOW))
    def run(body: bytes) -> None:
        nonlocal connection, answered
        for attempt in range(2):
            try:
                reply = _send(connection, body)
                check_answer(reply.status, reply.read())
                answered += 1
                if reply.getheader("Connection", "").lower() == "close":
                    connection.close()
                return
            except (ConnectionError, http.client.HTTPException):
                if attempt:  # a fresh connection failed too: the server is in trouble
                    raise
                connection.close()
                connection = served.connect()

    run()
    connection.close()
    assert answered >= ENVELOPES
    log = served.log.read_text()
    assert "Traceback" not in log, log[-3000:]
    assert served.process.poll() is None


def _send(connection: http.client.HTTPConnection, body: bytes) -> http.client.HTTPResponse:
    if len(body) <= MAX_BODY_BYTES:
        connection.request("POST", "/alexa", body, {"Content-Type": "application/json"})
    else:
        # The server refuses these on their headers and closes; sending the body would race
        # its close (a broken pipe), so announce the size and wait for the refusal.
        connection.putrequest("POST", "/alexa")
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders()
    return connection.getresponse()


@pytest.mark.parametrize("verified", [False, True], ids=["verification-off", "verification-on"])
def test_thousands_of_fuzzed_envelopes_through_flask(
    tmp_path: Path, authority: Authority, verified: bool
) -> None:
    client, signer = fuzz_clients(tmp_path, authority)[int(verified)]
    tracebacks = Tracebacks()
    logging.getLogger().addHandler(tracebacks)
    try:
        fuzz(client, signer, examples=ENVELOPES)
    finally:
        logging.getLogger().removeHandler(tracebacks)
    assert [record.getMessage() for record in tracebacks.records] == []
