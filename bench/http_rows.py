"""HTTP POST /alexa on waitress (the real serve setup) beside a bare Flask route, same server."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bare_flask import bare_app, hello_app
from envelopes import SKILL_ID, intent
from pki import Authority
from rows import Row

from skill.server import RunningServer, build_server
from skill.settings import Settings
from skill.verification import CertificateStore, RequestVerifier
from skill.web import create_app

HEADLINE = "headline"
SECTION = "HTTP POST /alexa (waitress, persistent connections)"
CERT_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert.pem"
CLIENT = Path(__file__).resolve().parent / "http_client.py"


@dataclass(frozen=True)
class Load:
    """What one load run measured."""

    per_second: float
    p50_ms: float
    p99_ms: float


def load(port: int, body: bytes, headers: dict[str, str], concurrency: int, seconds: float) -> Load:
    """Drive a server from a separate client process and return its throughput."""
    spec = {
        "port": port,
        "path": "/alexa",
        "body": body.decode(),
        "headers": headers,
        "concurrency": concurrency,
        "seconds": seconds,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(spec, file)
    try:
        output = subprocess.run(
            [sys.executable, str(CLIENT), file.name],
            check=True,
            capture_output=True,
            text=True,
            timeout=seconds + 60,
        ).stdout
    finally:
        Path(file.name).unlink()
    result: dict[str, Any] = json.loads(output)
    if result["failures"] or not result["requests"]:
        raise RuntimeError(f"load run failed: {result['failures'][:3]}")
    latencies = sorted(result["latencies_ms"])
    return Load(
        per_second=result["requests"] / result["seconds"],
        p50_ms=statistics.median(latencies),
        p99_ms=latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
    )


def throughput_row(
    section: str, name: str, ours: list[Load], anchor: list[Load], goal: float | None
) -> Row:
    """Compare median throughputs; show each side's latency too."""
    ours_rate = statistics.median(load.per_second for load in ours)
    anchor_rate = statistics.median(load.per_second for load in anchor)
    row = Row.compared(section, name, ours_rate, anchor_rate, "req/s", "higher", goal)
    return Row(
        section=row.section,
        name=row.name,
        ours=f"{ours_rate:.0f} req/s (p99 {max(x.p99_ms for x in ours):.3g} ms)",
        anchor=f"{anchor_rate:.0f} req/s (p99 {max(x.p99_ms for x in anchor):.3g} ms)",
        ratio=row.ratio,
        direction="higher",
        goal=goal,
        goal_text=row.goal_text,
        meets=row.meets,
    )


def run(quick: bool) -> list[Row]:
    """Measure ours (verification off and on) and the bare route at concurrency 1, 8 and 32."""
    seconds = 1.0 if quick else 2.5
    rounds = 1 if quick else 3
    now = datetime.now(UTC)
    body = json.dumps(intent("GetRecoveryPlanIntent", now)).encode()
    authority = Authority.create()
    leaf = authority.issue()
    signed = {"SignatureCertChainUrl": CERT_URL, "Signature-256": leaf.sign(body)}
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        plain = Settings(database=Path(tmp) / "off.sqlite3", verify_requests=False)
        verifying = Settings(
            database=Path(tmp) / "on.sqlite3", skill_ids=frozenset({SKILL_ID}), port=0
        )
        # The test CA stands in for Amazon's: the certificate is fetched once, then cached.
        store = CertificateStore([authority.certificate], fetch=lambda url, timeout: leaf.pem())
        ours_off = create_app(plain)
        ours_on = create_app(verifying, verifier=RequestVerifier(store))
        answer = ours_off.test_client().post("/alexa", data=body).get_data()
        servers = {
            "anchor": RunningServer(build_server(bare_app(answer), "127.0.0.1", 0)).start(),
            "hello": RunningServer(build_server(hello_app(), "127.0.0.1", 0)).start(),
            "off": RunningServer(build_server(ours_off, "127.0.0.1", 0)).start(),
            "on": RunningServer(build_server(ours_on, "127.0.0.1", 0)).start(),
        }
        headers = {"anchor": {}, "hello": {}, "off": {}, "on": signed}
        try:
            results: dict[tuple[str, int], list[Load]] = {}
            for concurrency in (1, 8, 32):
                for _ in range(rounds):
                    for name, running in servers.items():
                        measured = load(running.port, body, headers[name], concurrency, seconds)
                        results.setdefault((name, concurrency), []).append(measured)
        finally:
            for running in servers.values():
                running.stop()
    for concurrency in (1, 8):
        rows.append(
            throughput_row(
                HEADLINE,
                f"HTTP /alexa vs bare Flask route, concurrency {concurrency}",
                results[("off", concurrency)],
                results[("anchor", concurrency)],
                0.8,
            )
        )
    for concurrency in (1, 8, 32):
        for name, label in (
            ("off", "verification off"),
            ("on", "verification on"),
            ("hello", "ceiling: the bare ask-sdk hello skill behind the same route"),
        ):
            rows.append(
                throughput_row(
                    SECTION,
                    f"concurrency {concurrency}, {label}",
                    results[(name, concurrency)],
                    results[("anchor", concurrency)],
                    None,
                )
            )
    return rows
