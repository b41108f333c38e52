"""A run the real server acknowledged aloud survives the server being killed right after."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

from envelopes import intent
from server_support import free_port
from storage_support import ACKNOWLEDGED, START, log_run, stored_runs

from skill.conversation import plain_text


def serve(database: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start `recovery-coach serve` on a free port; return it once it answers."""
    port = free_port()
    environment = {**os.environ, "RECOVERY_COACH_DATABASE": str(database)}
    for name in ("RECOVERY_COACH_SKILL_ID", "RECOVERY_COACH_CONFIG"):
        environment.pop(name, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "skill.cli", "serve", "--port", str(port), "--no-verify"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1):
                return process, base
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.05)


def say(base: str, payload: dict[str, Any]) -> str:
    request = urllib.request.Request(
        f"{base}/alexa",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        assert reply.status == 200
        body = json.loads(reply.read())
    return plain_text(body["response"]["outputSpeech"]["ssml"])


def kill(process: subprocess.Popen[bytes]) -> None:
    """Kill the server as a crash would: no shutdown, no checkpoint, no close."""
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def test_an_acknowledged_run_survives_a_kill_right_after_the_answer(tmp_path: Path) -> None:
    database = tmp_path / "server.sqlite3"
    heard: list[str] = []
    for number in range(2):
        process, base = serve(database)
        try:
            at = (START + timedelta(minutes=number)).isoformat()
            assert ACKNOWLEDGED in say(base, log_run(START + timedelta(minutes=number)))
            heard.append(at)
        finally:
            kill(process)
        assert process.returncode == -signal.SIGKILL
        # A restarted server reads back every run it acknowledged before it was killed.
        process, base = serve(database)
        try:
            assert say(base, intent("GetRecoveryPlanIntent", START))
            assert stored_runs(database) == set(heard)
        finally:
            kill(process)
