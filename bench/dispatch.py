"""In-process dispatch: each intent family through our skill, beside the bare hello skill."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from envelopes import intent, resolved_slot
from hello_skill import build_hello
from hello_skill import dispatch as hello_dispatch
from mqtt_support import integration_document
from rows import Row
from timing import interleaved

from mqtt_bridge.bridge import Bridge
from mqtt_bridge.broker import MosquittoBroker
from mqtt_bridge.config import load_config
from mqtt_bridge.simulators import SimulatedHome
from skill.home import HomeAccess
from skill.persistence import SQLitePersistenceAdapter
from skill.service import SkillService, build_skill
from skill.settings import load_settings

HEADLINE = "headline"
FAMILIES = "dispatch by intent family"


def speech(answer: dict[str, Any]) -> str:
    """Return the SSML an answer speaks."""
    return str(answer["response"].get("outputSpeech", {}).get("ssml", ""))


def checked(service: SkillService, payload: dict[str, Any], expected: str) -> Callable[[], object]:
    """Return a dispatch of payload, after checking once that it answers as a runner expects."""
    heard = speech(service.dispatch(payload))
    if expected not in heard:
        raise RuntimeError(f"{payload['request']['intent']['name']}: {heard!r}")
    return lambda: service.dispatch(payload)


def envelopes(now: datetime) -> dict[str, tuple[dict[str, Any], str]]:
    """Return one envelope per family without a home, with a phrase its answer must carry."""
    area = {"area": resolved_slot("area", "calves", "calves")}
    return {
        "guidance: GetRecoveryPlan": (intent("GetRecoveryPlanIntent", now), "<speak>"),
        "guidance: IceOrHeat": (intent("IceOrHeatIntent", now), "ice"),
        "log run: LogRun, a history at its 200-run cap": (
            intent("LogRunIntent", now, {"distance": {"name": "distance", "value": "10"}}),
            "10",
        ),
        "soreness: ReportSoreness": (intent("ReportSorenessIntent", now, area), "calves"),
    }


def run(quick: bool) -> list[Row]:
    """Measure the headline dispatch rows and every intent family."""
    runs = 60 if quick else 1000
    slow_runs = 40 if quick else 300
    hello = build_hello()
    now = datetime.now(UTC)
    hello_payload = intent("GetRecoveryPlanIntent", now)

    def anchor() -> object:
        return hello_dispatch(hello, hello_payload)

    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        service = SkillService(build_skill(SQLitePersistenceAdapter(Path(tmp) / "d.sqlite3")))
        cases = envelopes(now)
        plan = checked(service, *cases["guidance: GetRecoveryPlan"])
        ours, base = interleaved(plan, anchor, runs)
        rows.append(Row.timed(HEADLINE, "dispatch GetRecoveryPlan vs hello skill", ours, base, 1.5))
        log_run = _typical_runners(service, now, runs=24, runners=100)
        ours, base = interleaved(log_run, anchor, slow_runs)
        rows.append(
            Row.timed(
                HEADLINE,
                "dispatch LogRun (SQLite write) vs hello skill",
                ours,
                base,
                2.0,
                note="a run acknowledged aloud is on disk before the answer; runners with four "
                "weeks of history (24 stored runs each, 100 runners in turn); the 200-run cap "
                "(a run every 3 hours for 4 weeks) is a row of its own below",
            )
        )
        for number, (name, (payload, expected)) in enumerate(cases.items()):
            # Each family its own runner, so one's history (hundreds of logged runs) does
            # not weigh on another's figure.
            payload["session"]["user"]["userId"] = f"amzn1.ask.account.FAMILY{number}"
            payload["context"]["System"]["user"]["userId"] = f"amzn1.ask.account.FAMILY{number}"
            operation = checked(service, payload, expected)
            count = slow_runs if "LogRun" in name else runs
            if "200-run cap" in name:
                for _ in range(200):  # fill the history to its cap first
                    operation()
            ours, base = interleaved(operation, anchor, count)
            rows.append(Row.timed(FAMILIES, name, ours, base, None))
        rows.append(_stretch_step(service, now, anchor, runs))
        rows += _device_rows(Path(tmp), now, anchor, slow_runs)
    return rows


def _typical_runners(
    service: SkillService, now: datetime, runs: int, runners: int
) -> Callable[[], object]:
    """Return a LogRun that cycles through runners who each have `runs` runs stored."""
    slots = {"distance": {"name": "distance", "value": "10"}}
    payloads = [
        intent("LogRunIntent", now, slots, user_id=f"amzn1.ask.account.RUNNER{number}")
        for number in range(runners)
    ]
    for payload in payloads:
        for _ in range(runs):
            service.dispatch(payload)
    turn = iter(range(10**9))

    def log_next() -> object:
        payload = payloads[next(turn) % runners]
        if "10" not in speech(service.dispatch(payload)):
            raise RuntimeError("LogRun did not log the run")
        return None

    return log_next


def _stretch_step(
    service: SkillService, now: datetime, anchor: Callable[[], object], runs: int
) -> Row:
    """Repeat one step of a stretch session (the session carried in its attributes)."""
    started = service.dispatch(intent("StretchIntent", now, user_id="amzn1.ask.account.STRETCH"))
    attributes = started["sessionAttributes"]
    step = intent(
        "AMAZON.RepeatIntent",
        now,
        user_id="amzn1.ask.account.STRETCH",
        attributes=attributes,
        new=False,
    )
    operation = checked(service, step, "<speak>")
    ours, base = interleaved(operation, anchor, runs)
    return Row.timed(FAMILIES, "stretch step: AMAZON.RepeatIntent", ours, base, None)


def _device_rows(folder: Path, now: datetime, anchor: Callable[[], object], runs: int) -> list[Row]:
    """A device intent answered by a real bridge and simulated plug over Mosquitto."""
    broker = MosquittoBroker()
    broker.start()
    document = integration_document(broker, folder)
    document["database"] = str(folder / "device.sqlite3")
    document["timezone"] = "UTC"
    file = folder / "recovery-coach.yaml"
    file.write_text(yaml.safe_dump(document))
    config = load_config(file, env={})
    settings = replace(load_settings(file, env={}), verify_requests=False)
    devices = SimulatedHome(config, broker.host, broker.port)
    bridge = Bridge(config)
    access: HomeAccess | None = None
    try:
        devices.start()
        bridge.start()
        access = HomeAccess.from_settings(settings)
        if access is None:
            raise RuntimeError("the bench home has no broker")
        _wait(lambda: access is not None and access.availability_of(config.home) == "online")
        service = SkillService(
            build_skill(SQLitePersistenceAdapter(settings.database), access, settings.timezone)
        )
        status = checked(service, intent("HeatStatusIntent", now), "heating pad")
        ours, base = interleaved(status, anchor, runs)
        rows = [
            Row.timed(
                FAMILIES,
                "device: HeatStatus (bridge answers over Mosquitto)",
                ours,
                base,
                None,
            )
        ]
        off = checked(service, intent("HeatOffIntent", now), "heating pad")
        ours, base = interleaved(off, anchor, runs)
        rows.append(
            Row.timed(
                FAMILIES,
                "device: HeatOff (the plug confirms over Mosquitto)",
                ours,
                base,
                None,
            )
        )
        return rows
    finally:
        if access is not None:
            access.close()
        bridge.stop()
        devices.stop()
        broker.close()


def _wait(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("the bench home did not come online")
        time.sleep(0.05)
