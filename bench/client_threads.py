"""Measure the shared BridgeClient under N threads against a real bridge, and profile heat/start.

    .venv/bin/python bench/client_threads.py [profile]

Not part of `make bench`: a quick measure behind bench/changes.md.
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path

from bench_home import bench_home

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from rows import p50_p99  # noqa: E402

from mqtt_bridge.bridge import Bridge  # noqa: E402
from mqtt_bridge.broker import MosquittoBroker  # noqa: E402
from mqtt_bridge.client import BridgeClient  # noqa: E402
from mqtt_bridge.simulators import SimulatedHome  # noqa: E402


class TimedLock:
    """A lock that adds up how long its callers waited for it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.waited_s = 0.0
        self.acquired = 0

    def __enter__(self) -> None:
        start = time.perf_counter()
        self._lock.acquire()
        self.waited_s += time.perf_counter() - start
        self.acquired += 1

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


def hammer(client: BridgeClient, threads: int, per_thread: int) -> tuple[float, list[float]]:
    samples: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads + 1)

    def worker() -> None:
        barrier.wait()
        mine = []
        for _ in range(per_thread):
            start = time.perf_counter()
            assert client.request("bench", "status")["status"] == "ok"
            mine.append((time.perf_counter() - start) * 1000)
        with lock:
            samples.extend(mine)

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in workers:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in workers:
        thread.join()
    return len(samples) / (time.perf_counter() - start), samples


def main() -> int:
    broker = MosquittoBroker()
    broker.start()
    with tempfile.TemporaryDirectory() as tmp:
        config = bench_home(broker, Path(tmp))
        devices = SimulatedHome(config, broker.host, broker.port)
        bridge = Bridge(config)
        client = BridgeClient(config.broker)
        try:
            devices.start()
            bridge.start()
            bridge.connected.wait(5)
            client.start()
            for _ in range(50):
                client.request("bench", "status")
            if sys.argv[1:] == ["heat"]:  # also for py-spy, which sees every thread
                for verb, params in (("status", {}), ("heat/start", {"minutes": 20})):
                    samples = []
                    for _ in range(500):
                        start = time.perf_counter()
                        client.request("bench", verb, params)
                        samples.append((time.perf_counter() - start) * 1000)
                    p50, p99 = p50_p99(samples)
                    print(f"{verb:<11} p50 {p50:6.2f} ms  p99 {p99:6.2f} ms")
                return 0
            if sys.argv[1:] == ["profile"]:
                from pyinstrument import Profiler

                profiler = Profiler(interval=0.0002)
                profiler.start()
                for _ in range(200):
                    client.request("bench", "heat/start", {"minutes": 20})
                profiler.stop()
                print(profiler.output_text(unicode=False, color=False))
                return 0
            for threads in (1, 2, 4, 8, 16):
                lock = TimedLock()
                client._lock = lock  # type: ignore[assignment]  # measure the client's own lock
                rate, samples = hammer(client, threads, max(50, 400 // threads))
                p50, p99 = p50_p99(samples)
                waited = lock.waited_s / len(samples) * 1000
                print(
                    f"{threads:>3} threads: {rate:7.0f} req/s  p50 {p50:6.2f} ms  "
                    f"p99 {p99:6.2f} ms  client lock wait {waited:.4f} ms/request"
                )
        finally:
            client.stop()
            bridge.stop()
            devices.stop()
            broker.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
