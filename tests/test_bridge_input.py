"""Hostile input on the bridge's topics: every bad request is answered, garbage never raises."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import fuzz_support as fuzz
import pytest
from bridge_support import PAD_OFF, CoreHarness, pad_switch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mqtt_support import Spy, integration_config, wait_until

from mqtt_bridge.adapters import (
    GenericDevice,
    HermesSpeaker,
    ShellySwitch,
    TasmotaSwitch,
    TopicSpeaker,
    Zigbee2MqttDevice,
)
from mqtt_bridge.bridge import Bridge
from mqtt_bridge.broker import MosquittoBroker
from mqtt_bridge.core import BridgeCore
from mqtt_bridge.core.confirmations import Confirmations
from mqtt_bridge.logbounds import LOG_BOUNDS, BoundedLogFilter, excerpt
from mqtt_bridge.messages import MAX_JSON_DEPTH, Message, parse_json
from mqtt_bridge.protocol import MAX_REQUEST_BYTES, VERBS

REQUESTS = "recovery/test_home/request/"
DEEP = b"[" * 20_000 + b"]" * 20_000  # deeper than Python recurses, smaller than the limit
DEEP_OBJECT = b'{"transaction":"t-deep","a":' + b"[" * 5000 + b"]" * 5000 + b"}"

NASTY: list[bytes] = [
    b"",
    b"   ",
    b"\x00\xff\xfe garbage",
    b"null",
    b"[]",
    b"42",
    b'"text"',
    b"{",
    DEEP,
    DEEP_OBJECT,
    b'{"params": []}',
    b'{"method": "NotifyStatus", "params": []}',
    b'{"method": "NotifyStatus", "params": "switch:0"}',
    b'{"method": "NotifyStatus", "params": {"switch:0": []}}',
    b'{"src": "shellyplus1-bath", "result": []}',
    b'{"state": {"nested": true}}',
    b'{"state": [1, 2]}',
    b'{"POWER": {"x": 1}}',
    b'{"temperature": "hot", "water_leak": "yes"}',
    b'{"temperature": 1e999}',
    b'{"minutes": ' + b"9" * 5000 + b"}",
    b'{"output": "on"}',
    b"ON" * 100_000,
    json.dumps({"x": "y" * 300_000}).encode(),
]


def _errors(harness: CoreHarness) -> list[dict[str, object]]:
    replies = [json.loads(m.payload) for m in harness.to("recovery/test_home/response/")]
    return [reply for reply in replies if reply["status"] == "error"]


def test_deeply_nested_json_on_a_request_topic_gets_an_error_reply(tmp_path: Path) -> None:
    harness = CoreHarness(tmp_path)
    harness.clear()
    harness.raw(REQUESTS + "heat/start", DEEP)
    (reply,) = harness.replies("heat/start")
    assert reply["status"] == "error" and reply["code"] == "invalid_request"
    assert "nested" in str(reply["error"])


def test_a_deep_request_still_carries_its_transaction_back(tmp_path: Path) -> None:
    harness = CoreHarness(tmp_path)
    harness.clear()
    harness.raw(REQUESTS + "status", DEEP_OBJECT)
    (reply,) = harness.replies("status")
    assert reply["status"] == "error" and reply["transaction"] == "t-deep"


def test_an_oversized_request_is_refused_unread(tmp_path: Path) -> None:
    harness = CoreHarness(tmp_path)
    harness.clear()
    big = json.dumps({"transaction": "t-big", "text": "x" * MAX_REQUEST_BYTES}).encode()
    harness.raw(REQUESTS + "announce", big)
    (reply,) = harness.replies("announce")
    assert reply["status"] == "error" and reply["transaction"] == "t-big"
    assert f"{MAX_REQUEST_BYTES}" in str(reply["error"])


def test_huge_numbers_in_a_request_are_refused_not_raised(tmp_path: Path) -> None:
    harness = CoreHarness(tmp_path)
    harness.clear()
    for verb, key in (("heat/start", "minutes"), ("bath/fill", "temperature_c")):
        harness.raw(REQUESTS + verb, b'{"%s": 1%s}' % (key.encode(), b"0" * 400))
        (reply,) = harness.replies(verb)
        assert reply["status"] == "error" and reply["code"] == "invalid_request"
    assert not harness.to("cmnd/")


@pytest.mark.parametrize("payload", NASTY, ids=range(len(NASTY)))
def test_every_topic_of_the_home_survives_garbage(tmp_path: Path, payload: bytes) -> None:
    harness = CoreHarness(tmp_path)
    topics = [
        "stat/heatpad/RESULT",
        "stat/heatpad/POWER",
        "tele/heatpad/STATE",
        "tele/heatpad/LWT",
        "shellyplus1-bath/status/switch:0",
        "shellyplus1-bath/events/rpc",
        "shellyplus1-bath/online",
        *[t for t in harness.core.subscriptions() if t.endswith("/rpc")],  # our Shelly replies
        "zigbee2mqtt/bath_temp",
        "zigbee2mqtt/bath_temp/availability",
        "zigbee2mqtt/bath_leak",
        "hermes/tts/sayFinished",
        "recovery/test_home/health/ann",
        "recovery/test_home/ha/heat/set",
        "homeassistant/status",
    ]
    for topic in topics:
        harness.raw(topic, payload)  # must not raise


@pytest.mark.parametrize("payload", NASTY, ids=range(len(NASTY)))
def test_every_adapter_turns_garbage_into_no_observation_or_a_sane_one(payload: bytes) -> None:
    adapters = [
        TasmotaSwitch("plug"),
        TasmotaSwitch("plug", relay=1),
        ShellySwitch("shelly1"),
        Zigbee2MqttDevice("valve"),
        GenericDevice(
            "dev/state",
            "dev/set",
            value_path="state.0",
            temperature_path="t",
            wet_path="w",
            availability_topic="dev/avail",
        ),
        GenericDevice("dev/plain", "dev/set"),
    ]
    for adapter in adapters:
        for topic in [*adapter.subscriptions(), "shelly1/rpc-reply", "elsewhere"]:
            observation = adapter.parse(topic, payload)
            if observation is not None and observation.on is not None:
                assert isinstance(observation.on, bool)
    for speaker in (HermesSpeaker("bathroom"), TopicSpeaker("tts/say")):
        finished = speaker.finished("hermes/tts/sayFinished", payload)
        assert finished is None or isinstance(finished, str)


def test_shelly_notify_status_with_params_that_are_not_an_object(
    caplog: pytest.LogCaptureFixture,
) -> None:
    shelly = ShellySwitch("shelly1")
    for params in ([], "switch:0", 7, [{"switch:0": {"output": True}}]):
        payload = json.dumps({"method": "NotifyStatus", "params": params}).encode()
        assert shelly.parse("shelly1/events/rpc", payload) is None


def test_parse_json_survives_depth_and_size() -> None:
    assert parse_json(DEEP) is None
    assert parse_json(b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1)) is None
    assert parse_json(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH) is not None
    assert parse_json(b'{"a": ' + b"1" * 5000 + b"}") is None
    assert parse_json(b'{"a": 1}') == {"a": 1}


def test_garbage_device_reports_never_switch_anything_on(tmp_path: Path) -> None:
    harness = CoreHarness(tmp_path)
    harness.clear()
    topics = ("stat/heatpad/RESULT", "shellyplus1-bath/events/rpc", "zigbee2mqtt/bath_temp")
    for payload in NASTY:
        for topic in topics:
            harness.raw(topic, payload)
    assert not [m for m in harness.to("cmnd/heatpad/") if pad_switch(m) == "ON"]
    assert not [m for m in harness.to("shellyplus1-bath/rpc") if '"on":true' in m.payload]


def test_a_garbage_storm_on_requests_is_answered_every_time(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    harness = CoreHarness(tmp_path)
    harness.clear()
    caplog.set_level(logging.DEBUG)
    garbage = NASTY[2:]  # the first two are empty requests, which are valid
    for index, payload in enumerate(garbage * 3):
        harness.raw(REQUESTS + ("heat/start", "bogus/verb", "status")[index % 3], payload)
    assert len(_errors(harness)) == len(garbage) * 3


# --- the bridge's log under a storm --------------------------------------------------------


@pytest.fixture
def fresh_log_bounds() -> Iterator[BoundedLogFilter]:
    LOG_BOUNDS.reset()
    yield LOG_BOUNDS
    LOG_BOUNDS.reset()


def _broken_core(monkeypatch: pytest.MonkeyPatch) -> None:
    """A core that fails in a way nobody foresaw, quoting the payload in its exception."""

    def broken(
        self: BridgeCore, topic: str, payload: bytes, now: datetime, reply_to: object = None
    ) -> list[Message]:
        raise ValueError("cannot handle " + payload.decode("utf-8", "replace"))

    monkeypatch.setattr(BridgeCore, "message", broken)


def _start(bridge: Bridge, spy: Spy) -> None:
    """Start the bridge; its 'online' comes after its subscriptions, on the same connection."""
    bridge.start()
    assert wait_until(lambda: "online" in spy.on("recovery/test_home/availability"))


@pytest.fixture
def broken_bridge(
    mosquitto: MosquittoBroker,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    fresh_log_bounds: BoundedLogFilter,
) -> Iterator[Spy]:
    """A real bridge whose core fails on every request, and a client watching its replies."""
    _broken_core(monkeypatch)
    bridge = Bridge(integration_config(mosquitto, tmp_path))
    spy = Spy(mosquitto, "recovery/test_home/response/#", "recovery/test_home/availability")
    caplog.set_level(logging.INFO)
    try:
        _start(bridge, spy)
        yield spy
    finally:
        bridge.stop()
        spy.stop()


def test_an_unexpected_error_is_answered_and_logged_as_a_bounded_excerpt(
    broken_bridge: Spy, caplog: pytest.LogCaptureFixture
) -> None:
    payload = json.dumps({"text": "A" * 50_000, "transaction": "t-1"})
    broken_bridge.publish(REQUESTS + "announce", payload)
    assert wait_until(lambda: broken_bridge.on("recovery/test_home/response/announce"))
    (reply,) = [json.loads(p) for p in broken_bridge.on("recovery/test_home/response/announce")]
    assert reply["status"] == "error" and reply["transaction"] == "t-1"
    lines = [r for r in caplog.records if "unexpected ValueError" in r.getMessage()]
    assert len(lines) == 1
    assert "A" * 300 not in caplog.text and len(caplog.text) < 8_000
    assert f"({len(payload)} bytes)" in lines[0].getMessage()


def test_a_storm_of_failing_messages_logs_a_few_lines_and_a_count(
    broken_bridge: Spy, caplog: pytest.LogCaptureFixture, fresh_log_bounds: BoundedLogFilter
) -> None:
    storm = 400
    for index in range(storm):
        broken_bridge.publish(REQUESTS + "status", f'{{"junk": "{"x" * 2000}", "n": {index}}}')
    replies = "recovery/test_home/response/status"
    assert wait_until(lambda: len(broken_bridge.on(replies)) == storm, 30)
    lines = [r for r in caplog.records if "unexpected ValueError" in r.getMessage()]
    assert 1 <= len(lines) <= fresh_log_bounds.per_minute + 2
    assert len(caplog.text) < 100_000  # unbounded, each of these lines was over 4 kB


def test_the_filter_lets_a_few_lines_a_minute_through_and_counts_the_rest() -> None:
    clock = [0.0]
    bounds = BoundedLogFilter(per_minute=5, clock=lambda: clock[0])
    logger = logging.getLogger("mqtt_bridge.test_storm")
    logger.addFilter(bounds)
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep()
    logger.addHandler(handler)
    try:
        for index in range(3400):
            logger.warning("bad payload %d: %s", index, b"\n" + b"z" * 10_000)
        assert len(records) == 5
        assert all(len(r.getMessage()) < 400 and "\n" not in r.getMessage() for r in records)
        clock[0] += 60
        bounds.report(logger)
        (summary,) = records[5:]
        assert "suppressed 3395 log lines like 'bad payload %d: %s'" in summary.getMessage()
        logger.warning("bad payload %d: %s", 1, b"again")
        assert len(records) == 7 and "suppressed" not in records[-1].getMessage()
        for _ in range(10):
            logger.warning("bad payload %d: %s", 1, b"again")
        clock[0] += 30
        logger.warning("bad payload %d: %s", 2, b"later")
        assert "[6 similar lines suppressed in the last 30 s]" in records[-1].getMessage()
    finally:
        logger.removeFilter(bounds)
        logger.removeHandler(handler)


def test_log_excerpts_mask_secrets_and_escape_control_characters() -> None:
    token = "Atza|IwEBIJ" + "k" * 60
    shown = excerpt(json.dumps({"apiAccessToken": "eyJhbGciOi.short", "x": token}) + "\n")
    assert "eyJhbGciOi" not in shown and token not in shown and "[redacted]" in shown
    assert "\n" not in shown and "\\n" in shown
    assert excerpt(b"password=hunter2&x=1") == "'password=[redacted]&x=1'"


# --- property-based: a few seconds here, thousands of examples in tests/faults ----------------

QUICK = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
kinds = st.sampled_from(sorted(fuzz.HOMES))


@QUICK
@given(kind=kinds, verb=st.sampled_from(VERBS) | fuzz.unknown_verbs, payload=fuzz.garbage_payloads)
def test_any_garbage_request_is_refused_with_an_error_and_no_action(
    kind: str, verb: str, payload: bytes
) -> None:
    with fuzz.harness(kind) as home:
        fuzz.garbage_request_is_refused(home, verb, payload)


@QUICK
@given(kind=kinds, verb=st.sampled_from(VERBS), data=st.data())
def test_any_request_is_answered_and_acts_only_when_accepted(
    kind: str, verb: str, data: st.DataObject
) -> None:
    with fuzz.harness(kind) as home:
        fuzz.request_is_answered(home, verb, data.draw(fuzz.plausible_payloads(verb)))


@QUICK
@given(kind=kinds, heat_running=st.booleans(), data=st.data())
def test_no_device_report_ever_switches_anything_on(
    kind: str, heat_running: bool, data: st.DataObject
) -> None:
    fuzz.device_reports_switch_nothing_on(kind, heat_running, data, longest=4)


def test_a_request_whose_handler_fails_unexpectedly_is_answered_and_sends_nothing_half_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = CoreHarness(tmp_path)
    harness.clear()

    def broken(self: Confirmations, *args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug after the ON was queued")

    monkeypatch.setattr(Confirmations, "expect", broken)
    out = harness.request("heat/start", minutes=5, transaction="t-bug")
    assert [json.loads(m.payload)["status"] for m in out] == ["error"]
    assert json.loads(out[0].payload)["transaction"] == "t-bug"
    monkeypatch.undo()
    harness.advance(5 * 60)  # the timer stored before the bug still ends in an OFF
    assert PAD_OFF in [(m.topic, m.payload) for m in harness.sent]
