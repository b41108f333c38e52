"""The bridge under hostile input at volume: thousands of fuzzed messages, and a real storm."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import fuzz_support as fuzz
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mqtt_support import Spy, integration_config, wait_until

from mqtt_bridge.bridge import Bridge
from mqtt_bridge.broker import MosquittoBroker
from mqtt_bridge.logbounds import LOG_BOUNDS
from mqtt_bridge.protocol import VERBS

pytestmark = pytest.mark.faults

BIG = settings(max_examples=5000, deadline=None, suppress_health_check=list(HealthCheck))
kinds = st.sampled_from(sorted(fuzz.HOMES))
verbs = st.sampled_from(VERBS) | fuzz.unknown_verbs


@pytest.mark.slow
@BIG
@given(kind=kinds, verb=verbs, payload=fuzz.garbage_payloads)
def test_5000_garbage_requests_are_each_refused_without_action(
    kind: str, verb: str, payload: bytes
) -> None:
    with fuzz.harness(kind) as home:
        fuzz.garbage_request_is_refused(home, verb, payload)


@pytest.mark.slow
@BIG
@given(kind=kinds, verb=st.sampled_from(VERBS), data=st.data())
def test_5000_plausible_requests_are_each_answered(
    kind: str, verb: str, data: st.DataObject
) -> None:
    with fuzz.harness(kind) as home:
        fuzz.request_is_answered(home, verb, data.draw(fuzz.plausible_payloads(verb)))


@pytest.mark.slow
@BIG
@given(kind=kinds, heat_running=st.booleans(), data=st.data())
def test_5000_sequences_of_device_reports_never_switch_anything_on(
    kind: str, heat_running: bool, data: st.DataObject
) -> None:
    fuzz.device_reports_switch_nothing_on(kind, heat_running, data, longest=8)


# --- a real bridge on a real Mosquitto ---------------------------------------------------------


@pytest.fixture
def bridge_on_broker(mosquitto: MosquittoBroker, tmp_path: Path) -> Iterator[Spy]:
    """A bridge, and a spy on its replies and commands (publish with a separate client)."""
    LOG_BOUNDS.reset()
    spy = Spy(
        mosquitto,
        "recovery/test_home/response/#",
        "recovery/test_home/availability",
        "cmnd/#",
        "shellyplus1-bath/rpc",
        "zigbee2mqtt/+/set",
    )
    bridge = Bridge(integration_config(mosquitto, tmp_path))
    bridge.start()
    assert wait_until(lambda: "online" in spy.on("recovery/test_home/availability"))
    yield spy
    bridge.stop()
    spy.stop()
    LOG_BOUNDS.reset()


def _send(sender: Spy, topic: str, payload: bytes) -> None:
    sender._client.publish(topic, payload, qos=1).wait_for_publish(5)


def _ons(spy: Spy) -> list[tuple[str, str]]:
    with spy._lock:
        messages = list(spy.messages)
    return [
        (topic, payload)
        for topic, payload, _ in messages
        if (topic == "cmnd/heatpad/POWER" and payload == "ON")
        or (topic == "cmnd/heatpad/Backlog0" and payload.endswith("Power1 ON"))
        or (topic == "shellyplus1-bath/rpc" and '"on":true' in payload)
        or (topic.endswith("/set") and '"ON"' in payload)
    ]


def test_a_real_bridge_refuses_fuzzed_garbage_and_stays_up(
    bridge_on_broker: Spy, mosquitto: MosquittoBroker
) -> None:
    spy = bridge_on_broker
    sent: list[tuple[str, bytes]] = []

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(verb=verbs, payload=fuzz.garbage_payloads)
    def collect(verb: str, payload: bytes) -> None:
        # MQTT cannot publish to wildcards; Mosquitto drops a client that names control characters.
        if verb.isprintable() and not set(verb) & {"+", "#"}:
            sent.append((fuzz.REQUEST + verb, payload))

    collect()
    device = ["stat/heatpad/RESULT", "shellyplus1-bath/events/rpc", "zigbee2mqtt/bath_leak"]
    sender = Spy(mosquitto)  # the spy's own loop stays free to take every reply
    try:
        for index, (topic, payload) in enumerate(sent):
            _send(sender, topic, payload)
            _send(sender, device[index % 3], payload)
    finally:
        sender.stop()
    expected = len(sent)
    assert wait_until(
        lambda: len([t for t, _, _ in spy.messages if t.startswith(fuzz.RESPONSE)]) >= expected,
        timeout=60,
    ), f"{len([t for t, _, _ in spy.messages if t.startswith(fuzz.RESPONSE)])} of {expected}"
    replies = [json.loads(p) for t, p, _ in spy.messages if t.startswith(fuzz.RESPONSE)]
    assert all(reply["status"] == "error" for reply in replies)
    assert _ons(spy) == []
    spy.publish(fuzz.REQUEST + "status", '{"transaction": "still-there"}')
    assert wait_until(lambda: any('"still-there"' in p for p in spy.on(fuzz.RESPONSE + "status")))


def test_a_3400_message_garbage_storm_grows_the_log_by_kilobytes(
    bridge_on_broker: Spy, mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    """Issue #10: a 3,400-message storm once grew the log by 40 MB."""
    spy = bridge_on_broker
    log_file = tmp_path / "bridge.log"
    handler = logging.FileHandler(log_file)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    storm = [
        b"[" * 20_000 + b"]" * 20_000,
        b'{"method": "NotifyStatus", "params": "' + b"p" * 10_000 + b'"}',
        b"\x00garbage " * 1500,
        json.dumps({"text": "A" * 12_000, "apiAccessToken": "eyJ" + "q" * 400}).encode(),
    ]
    topics = [
        fuzz.REQUEST + "heat/start",
        "shellyplus1-bath/events/rpc",
        "zigbee2mqtt/bath_temp",
        fuzz.REQUEST + "x" * 3000,
    ]
    started = time.monotonic()
    sender = Spy(mosquitto)  # the spy's own loop stays free to take every reply
    try:
        for index in range(3400):
            _send(sender, topics[index % 4], storm[index % 4])
        # 1,700 requests: every one answered.
        assert wait_until(
            lambda: len([t for t, _, _ in spy.messages if t.startswith(fuzz.RESPONSE)]) >= 1700,
            timeout=60,
        )
    finally:
        sender.stop()
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()
    size = log_file.stat().st_size
    print(f"3,400-message storm: {size} bytes of log in {time.monotonic() - started:.1f} s")
    assert size < 200_000
    assert "q" * 100 not in log_file.read_text()
