"""Cold start: a fresh Python process, from its start to its first answered request."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from envelopes import intent
from rows import Row

HEADLINE = "headline"
BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
# What Lambda does on a cold start: import the handler module, then call it once.
OURS = (
    "import json, sys\n"
    "from skill.lambda_function import lambda_handler\n"
    "print(json.dumps(lambda_handler(json.loads(sys.stdin.read()), None)), flush=True)\n"
)


def first_answer(command: list[str], payload: bytes, env: dict[str, str]) -> float:
    """Start a process, hand it one envelope, and return ms until its answer arrives."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(payload)
    process.stdin.close()
    line = process.stdout.readline()
    elapsed = (time.perf_counter() - started) * 1000
    process.wait(timeout=30)
    if b"outputSpeech" not in line:
        error = process.stderr.read().decode() if process.stderr else ""
        raise RuntimeError(f"{command[-1][:40]!r} gave no answer: {line!r} {error[-500:]}")
    return elapsed


def run(quick: bool) -> list[Row]:
    """Compare our Lambda handler's cold start with the hello skill's, alternating runs."""
    runs = 3 if quick else 15
    payload = json.dumps(intent("GetRecoveryPlanIntent", datetime.now(UTC))).encode()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            key: value for key, value in os.environ.items() if not key.startswith("RECOVERY_COACH")
        }
        env["RECOVERY_COACH_DATABASE"] = str(Path(tmp) / "cold.sqlite3")
        ours_command = [sys.executable, "-c", OURS]
        hello_command = [sys.executable, str(BENCH / "hello_skill.py")]
        # One of each first, unmeasured: the OS file cache is warm for both alike.
        first_answer(ours_command, payload, env)
        first_answer(hello_command, payload, env)
        ours: list[float] = []
        hello: list[float] = []
        for _ in range(runs):
            ours.append(first_answer(ours_command, payload, env))
            hello.append(first_answer(hello_command, payload, env))
    row = Row.timed(
        HEADLINE,
        "cold start (process start to first answer) vs hello skill",
        ours,
        hello,
        1.3,
        note=f"median of {runs} fresh processes each, alternating; "
        f"spread ours {min(ours):.0f}-{max(ours):.0f} ms, "
        f"hello {min(hello):.0f}-{max(hello):.0f} ms",
    )
    return [row]
