"""Measure the skill's hot paths beside a bare ask-sdk-core "hello" skill, for before/after notes.

Not the official benchmark (that is `make bench`, bench/run.py): a quick, repeatable measure
used to record each performance change in bench/changes.md. Run from the repository root:

    .venv/bin/python bench/micro.py [dispatch|cold|all]
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from cold_start import OURS, first_answer  # noqa: E402
from envelopes import intent  # noqa: E402
from hello_skill import build_hello, dispatch  # noqa: E402
from rows import p50_p99  # noqa: E402


def hello_dispatch() -> Callable[[dict[str, Any]], object]:
    """Build the bare hello skill (the same anchor as make bench's) in this process."""
    skill = build_hello()
    return lambda payload: dispatch(skill, payload)


def timed(operation: Callable[[], object], runs: int, warmup: int = 50) -> tuple[float, float]:
    for _ in range(warmup):
        operation()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        operation()
        samples.append((time.perf_counter() - start) * 1000)
    return p50_p99(samples)


def show(name: str, ours: tuple[float, float], anchor: tuple[float, float] | None) -> None:
    ratio = f"{ours[0] / anchor[0]:6.2f}x" if anchor else ""
    print(f"{name:<40} p50 {ours[0]:8.3f} ms  p99 {ours[1]:8.3f} ms  {ratio}")


def bench_dispatch(runs: int) -> None:
    from skill.persistence import SQLitePersistenceAdapter
    from skill.service import SkillService, build_skill

    now = datetime.now(UTC)
    plan = intent("GetRecoveryPlanIntent", now)
    log_run = intent("LogRunIntent", now, {"distance": {"name": "distance", "value": "10"}})
    hello = hello_dispatch()
    anchor = timed(lambda: hello(plan), runs)
    show("bare hello skill (anchor)", anchor, None)
    with tempfile.TemporaryDirectory() as tmp:
        service = SkillService(build_skill(SQLitePersistenceAdapter(Path(tmp) / "m.sqlite3")))
        show("dispatch GetRecoveryPlan", timed(lambda: service.dispatch(plan), runs), anchor)
        show("dispatch LogRun", timed(lambda: service.dispatch(log_run), runs), anchor)


def bench_cold(runs: int) -> None:
    """Time fresh processes to their first answer, ours and the hello skill's, interleaved."""
    payload = json.dumps(intent("GetRecoveryPlanIntent", datetime.now(UTC))).encode()
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RECOVERY_COACH_")}
        env["RECOVERY_COACH_DATABASE"] = str(Path(tmp) / "cold.sqlite3")
        ours_command = [sys.executable, "-c", OURS]
        hello_command = [sys.executable, str(ROOT / "bench" / "hello_skill.py")]
        hello, ours = [], []
        for _ in range(runs):  # interleaved, so both see the same machine load
            hello.append(first_answer(hello_command, payload, env))
            ours.append(first_answer(ours_command, payload, env))
    anchor = p50_p99(hello)
    show("cold start: bare hello skill (anchor)", anchor, None)
    show("cold start: Lambda GetRecoveryPlan", p50_p99(ours), anchor)


def main() -> int:
    what = sys.argv[1] if len(sys.argv) > 1 else "all"
    print(f"{os.cpu_count()} cores (shared), Python {sys.version.split()[0]}")
    if what in ("dispatch", "all"):
        bench_dispatch(1000)
    if what in ("cold", "all"):
        bench_cold(15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
