"""Load: many homes on one Mosquitto, driven by one skill-side client at rising concurrency.

Each home is a real Bridge with a simulated Tasmota plug. The homes run in a few child
processes (a 2-core machine cannot hold hundreds of bridges' threads in one interpreter without
the GIL becoming the figure), and the skill side runs in a child process of its own, so the
peak memory reported is that process's alone. The skill side is one BridgeClient shared by every
worker thread, as skill/home.py shares it: each thread does heat/start (answered once the plug
confirms ON), then heat/stop (once it confirms OFF), on homes no other thread uses.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT, ROOT / "bench"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from rows import Row, p50_p99  # noqa: E402

from mqtt_bridge.broker import MosquittoBroker  # noqa: E402
from mqtt_bridge.config import parse_config  # noqa: E402

SECTION = "load"
P99_LIMIT_S = 1.0
LEVELS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
HOMES_PER_PROCESS = 50


def home_document(host: str, port: int, home: str, folder: Path) -> dict[str, Any]:
    """Return one home: a Tasmota heating pad, sessions allowed back to back at any hour."""
    return {
        "home": home,
        "timezone": "UTC",
        "timer_database": str(folder / f"{home}.sqlite3"),
        "broker": {"url": f"mqtt://{host}:{port}", "keepalive": 30},
        "devices": {
            "heating_pad": {
                "role": "heating_pad",
                "adapter": {"type": "tasmota", "topic": f"{home}-pad"},
            }
        },
        "safety": {"heat": {"quiet_hours": None, "min_gap_minutes": 0}},
    }


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _host(
    host: str, port: int, homes: list[str], folder: str, report: Queue[Any], stop: Event
) -> None:
    """Run these homes (bridge + simulated plug each) until told to stop."""
    from mqtt_bridge.bridge import Bridge
    from mqtt_bridge.simulators import SimulatedHome

    bridges, devices = [], []
    try:
        for home in homes:
            config = parse_config(home_document(host, port, home, Path(folder)), env={})
            simulated = SimulatedHome(config, host, port)
            simulated.start(timeout=30)
            devices.append(simulated)
            bridge = Bridge(config)
            bridge.start()
            bridges.append(bridge)
        for bridge in bridges:
            if not bridge.connected.wait(30):
                raise RuntimeError(f"{bridge.config.home} did not connect")
        report.put(("ready", len(homes), threading.active_count()))
        stop.wait()
    except Exception as exc:  # the parent must hear of it, not wait forever
        report.put(("failed", repr(exc), 0))
    finally:
        for bridge in bridges:
            bridge.stop()
        for simulated in devices:
            simulated.stop()
        report.put(("peak", _peak_mb(), 0))


@dataclass(frozen=True)
class Level:
    """What one concurrency level sustained."""

    concurrency: int
    commands: int
    seconds: float
    p50_s: float
    p99_s: float
    errors: int

    @property
    def per_second(self) -> float:
        return self.commands / self.seconds


def _drive(host: str, port: int, homes: list[str], seconds: float, report: Queue[Any]) -> None:
    """The skill side: one shared BridgeClient, more and more threads, until p99 passes 1 s."""
    from mqtt_bridge.client import BridgeClient
    from mqtt_bridge.errors import BridgeError

    try:
        broker = parse_config(home_document(host, port, homes[0], Path("/tmp")), env={}).broker
        client = BridgeClient(broker)
        client.start()
        for home in homes:  # hear each home's availability before anything is timed
            client.request(home, "status", timeout=10)
        levels: list[Level] = []
        for concurrency in [c for c in LEVELS if c < len(homes)] + [len(homes)]:
            level = _level(client, homes, concurrency, seconds, BridgeError)
            levels.append(level)
            report.put(("level", level, _peak_mb()))
            if level.p99_s > P99_LIMIT_S:
                break
        client.stop()
        report.put(("done", None, _peak_mb()))
    except Exception as exc:
        report.put(("failed", repr(exc), _peak_mb()))


def _level(
    client: Any, homes: list[str], concurrency: int, seconds: float, failure: type[Exception]
) -> Level:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    until = time.monotonic() + seconds

    def worker(mine: list[str]) -> None:
        done: list[float] = []
        failed = 0
        index = 0
        while time.monotonic() < until:
            home = mine[index % len(mine)]
            index += 1
            for verb, params in (("heat/start", {"minutes": 20}), ("heat/stop", None)):
                began = time.perf_counter()
                try:
                    reply = client.request(home, verb, params)
                    ok = reply.get("status") == "ok"
                except failure:
                    ok = False
                if ok:
                    done.append(time.perf_counter() - began)
                else:
                    failed += 1
        with lock:
            latencies.extend(done)
            errors[0] += failed

    started = time.monotonic()
    threads = [
        threading.Thread(target=worker, args=(homes[i::concurrency],)) for i in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    p50, p99 = p50_p99(latencies) if latencies else (0.0, float("inf"))
    return Level(concurrency, len(latencies), elapsed, p50, p99, errors[0])


def run(quick: bool) -> list[Row]:
    """Start the homes, drive them, and report the best sustained level within the p99 limit."""
    count = 20 if quick else 200
    seconds = 3.0 if quick else 6.0
    homes = [f"load_{index:03d}" for index in range(count)]
    context = multiprocessing.get_context("spawn")
    broker = MosquittoBroker()
    broker.start()
    stop = context.Event()
    hosts_report: Queue[Any] = context.Queue()
    drive_report: Queue[Any] = context.Queue()
    hosts = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            groups = [homes[i : i + HOMES_PER_PROCESS] for i in range(0, count, HOMES_PER_PROCESS)]
            for group in groups:
                process = context.Process(
                    target=_host,
                    args=(broker.host, broker.port, group, tmp, hosts_report, stop),
                    daemon=True,
                )
                process.start()
                hosts.append(process)
            threads = 0
            for _ in groups:
                kind, value, active = hosts_report.get(timeout=180)
                if kind != "ready":
                    raise RuntimeError(f"a home process failed: {value}")
                threads += active
            driver = context.Process(
                target=_drive, args=(broker.host, broker.port, homes, seconds, drive_report)
            )
            driver.start()
            levels: list[Level] = []
            peak = 0.0
            while True:
                kind, value, peak = drive_report.get(timeout=600)
                if kind == "level":
                    levels.append(value)
                elif kind == "failed":
                    raise RuntimeError(f"the driver failed: {value}")
                else:
                    break
            driver.join(10)
            stop.set()
            host_peaks = []
            for _ in groups:
                while True:
                    kind, value, _unused = hosts_report.get(timeout=60)
                    if kind == "peak":
                        host_peaks.append(value)
                        break
            for process in hosts:
                process.join(10)
    finally:
        stop.set()
        for process in hosts:
            if process.is_alive():
                process.terminate()
        broker.close()
    return _rows(count, len(hosts), threads, levels, peak, host_peaks)


def _rows(
    count: int,
    processes: int,
    threads: int,
    levels: list[Level],
    peak: float,
    host_peaks: list[float],
) -> list[Row]:
    within = [level for level in levels if level.p99_s <= P99_LIMIT_S and not level.errors]
    best = max(within, key=lambda level: level.per_second) if within else None
    ladder = ", ".join(
        f"c={level.concurrency}: {level.per_second:.0f}/s p99 {level.p99_s * 1000:.0f} ms"
        + (f" ({level.errors} failed)" if level.errors else "")
        for level in levels
    )
    hosting = (
        f"{count} homes (Bridge + simulated Tasmota plug each) in {processes} processes "
        f"({threads} threads), peak {max(host_peaks, default=0):.0f} MB each"
    )
    rows = [
        Row(
            section=SECTION,
            name=f"{count} homes: sustained device commands/s with p99 ≤ 1 s",
            ours=(
                f"{best.per_second:.0f} cmd/s at c={best.concurrency} "
                f"(p50 {best.p50_s * 1000:.0f} ms, p99 {best.p99_s * 1000:.0f} ms)"
                if best
                else "none within 1 s"
            ),
            direction="absolute",
            note=(
                "a command = heat/start answered once the plug confirms ON, or heat/stop once "
                "it confirms OFF; one shared BridgeClient, one thread per in-flight command. "
                f"{ladder}. {hosting}; one Mosquitto; all sharing this machine's "
                f"{os.cpu_count()} cores"
            ),
        ),
        Row(
            section=SECTION,
            name="skill-side process peak memory (ru_maxrss)",
            ours=f"{peak:.0f} MB",
            direction="absolute",
            note="the driving process alone (a spawned child: its peak is its own)",
        ),
    ]
    return rows
