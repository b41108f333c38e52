"""Start the real skill server (`recovery-coach serve`) as a process on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_server(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """Serve on a free port with a database under `tmp_path`; yield the base URL, then stop."""
    port = free_port()
    environment = {**os.environ, "RECOVERY_COACH_DATABASE": str(tmp_path / "server.sqlite3")}
    for name in ("RECOVERY_COACH_SKILL_ID", "RECOVERY_COACH_CONFIG"):
        environment.pop(name, None)
    environment.update(env or {})
    process = subprocess.Popen(
        [sys.executable, "-m", "skill.cli", "serve", "--port", str(port), *args],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=1) as reply:
                    if reply.status == 200:
                        break
            except OSError as exc:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stdout.read() if process.stdout else ""
                    raise RuntimeError(f"server did not start: {output}") from exc
                time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
