"""A load loop: N threads, each with one persistent connection, POSTing for a fixed time.

Run as its own process (so it takes no GIL from the server it measures): `python
bench/http_client.py SPEC.json` prints {"requests", "seconds", "latencies_ms"} as JSON. The spec
names the port, path, body, headers, concurrency and seconds. Ours and the anchor are driven
by this same code.
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time
from typing import Any


def drive(spec: dict[str, Any]) -> dict[str, Any]:
    """Load the server as the spec says; fail loudly on any answer but 200."""
    body = spec["body"].encode()
    headers = {"Content-Type": "application/json", **spec["headers"]}
    start = threading.Barrier(spec["concurrency"] + 1)
    latencies: list[list[float]] = [[] for _ in range(spec["concurrency"])]
    failures: list[str] = []
    stop_at = [0.0]

    def client(samples: list[float]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", spec["port"], timeout=10)
        try:
            for _ in range(3):  # warm the connection and the server's paths
                connection.request("POST", spec["path"], body=body, headers=headers)
                connection.getresponse().read()
            start.wait()
            while time.perf_counter() < stop_at[0]:
                began = time.perf_counter()
                connection.request("POST", spec["path"], body=body, headers=headers)
                reply = connection.getresponse()
                reply.read()
                if reply.status != 200:
                    failures.append(f"HTTP {reply.status}")
                    return
                samples.append((time.perf_counter() - began) * 1000)
        except Exception as exc:  # reported, not hidden: the bench refuses such a figure
            failures.append(repr(exc))
            start.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(s,)) for s in latencies]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + 3600
    start.wait()
    began = time.perf_counter()
    stop_at[0] = began + spec["seconds"]
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    merged = [sample for samples in latencies for sample in samples]
    return {
        "requests": len(merged),
        "seconds": elapsed,
        "latencies_ms": merged,
        "failures": failures,
    }


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as file:
        print(json.dumps(drive(json.load(file))))
