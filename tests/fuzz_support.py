"""Hypothesis strategies and checks for fuzzing the bridge: hostile requests and device reports.

"Action" means an ON command to a heating pad or bath valve; an OFF is always allowed. The checks
are shared by the quick runs in `make test` and the big ones in the faults suite.
"""

from __future__ import annotations

import itertools
import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bridge_support import CoreHarness
from hypothesis import strategies as st

from mqtt_bridge.adapters import GenericDevice
from mqtt_bridge.messages import MAX_JSON_DEPTH, Message, parse_json
from mqtt_bridge.protocol import MAX_REQUEST_BYTES, VERBS

HOME = "test_home"
PREFIX = f"recovery/{HOME}"
REQUEST = f"{PREFIX}/request/"
RESPONSE = f"{PREFIX}/response/"
SAFETY = {"heat": {"quiet_hours": None, "min_gap_minutes": 0}}

# Every adapter kind: the standard home (Tasmota pad, Shelly valve, Zigbee2MQTT sensors, Hermes)
# and one built of generic devices, a Zigbee2MQTT valve, a Tasmota relay and a plain text speaker.
GENERIC_DEVICES: dict[str, Any] = {
    "heating_pad": {
        "role": "heating_pad",
        "adapter": {
            "type": "generic",
            "state_topic": "gen/pad/state",
            "command_topic": "gen/pad/set",
            "value_path": "power.0",
            "availability_topic": "gen/pad/avail",
        },
    },
    "bath_valve": {
        "role": "bath_valve",
        "adapter": {"type": "zigbee2mqtt", "friendly_name": "valve", "base_topic": "z2m"},
    },
    "bath_thermometer": {
        "role": "bath_temperature",
        "adapter": {
            "type": "generic",
            "state_topic": "gen/thermo",
            "temperature_path": "t",
        },
    },
    "floor_leak": {
        "role": "leak_sensor",
        "adapter": {"type": "generic", "state_topic": "gen/leak", "wet_path": "wet"},
    },
    "bath_level": {
        "role": "bath_level",
        "adapter": {"type": "generic", "state_topic": "gen/level", "wet_path": "full"},
    },
    "speaker": {"role": "speaker", "adapter": {"type": "topic", "topic": "tts/say"}},
}
TASMOTA_VALVE: dict[str, Any] = {
    "heating_pad": {
        "role": "heating_pad",
        "adapter": {"type": "shelly", "device_id": "shellypad", "switch": 1},
    },
    "bath_valve": {
        "role": "bath_valve",
        "adapter": {"type": "tasmota", "topic": "valve", "relay": 1},
    },
}
HOMES: dict[str, dict[str, Any]] = {"standard": {}, "generic": {"devices": GENERIC_DEVICES}}
HOMES["relay"] = {"devices": TASMOTA_VALVE}

PARAMS: dict[str, tuple[str, ...]] = {
    "heat/start": ("minutes", "confirm_quiet_hours", "runner", "health"),
    "bath/fill": ("temperature_c", "epsom", "runner", "health"),
    "announce": ("text",),
    "routine/start": ("name", "dry_run", "runner", "health"),
}

_transactions = itertools.count(1)


@contextmanager
def harness(kind: str = "standard") -> Iterator[CoreHarness]:
    """A fresh core (own timer database) for one example, its devices reporting in."""
    with tempfile.TemporaryDirectory(prefix="fuzz-") as folder:
        home = CoreHarness(Path(folder), safety=SAFETY, **HOMES[kind])
        for device in home.config.devices:
            for message in _hello(device.adapter):
                home.raw(*message)
        home.clear()
        try:
            yield home
        finally:
            home.store.close()


def _hello(adapter: Any) -> list[tuple[str, str]]:
    """Reports that bring a device online, off, dry and lukewarm."""
    subscriptions = adapter.subscriptions()
    hello: list[tuple[str, str]] = []
    for topic in subscriptions:
        if topic.endswith("/POWER") or topic.endswith("/POWER1"):
            hello.append((topic, "OFF"))
        elif topic.endswith("/status/switch:0") or topic.endswith("/status/switch:1"):
            hello.append((topic, json.dumps({"output": False})))
        elif topic.startswith(("zigbee2mqtt/", "z2m/")) and not topic.endswith("/availability"):
            hello.append(
                (topic, json.dumps({"state": "OFF", "water_leak": False, "temperature": 30}))
            )
    if isinstance(adapter, GenericDevice):
        document = {"power": ["OFF"], "t": 30, "wet": False, "full": False}
        hello.append((adapter.state_topic, json.dumps(document)))
    return hello


def device_topics(home: CoreHarness) -> list[str]:
    """Every topic a device of this home reports on (and a stranger's)."""
    topics = [t for d in home.config.devices for t in d.adapter.subscriptions()]
    return [*topics, "hermes/tts/sayFinished", "somewhere/else", f"{PREFIX}/health/ann"]


ON_WORDS = ("ON", "1", "TRUE", "TOGGLE")


def switched_on(message: Message, home: CoreHarness) -> bool:
    """Tell whether a message commands a heating pad or bath valve ON."""
    topic, payload = message.topic, message.payload
    if topic.startswith("cmnd/") and "/POWER" in topic:
        return payload.strip().upper() in ("ON", "1", "TRUE", "TOGGLE")
    if topic.startswith("cmnd/") and topic.rsplit("/", 1)[-1].upper().startswith("BACKLOG"):
        # Tasmota's Backlog: `;`-separated commands, each `Power<n> ON` style.
        for command in payload.split(";"):
            name, _, value = command.strip().partition(" ")
            if name.upper().startswith("POWER") and value.strip().upper() in ON_WORDS:
                return True
        return False
    document = parse_json(payload)
    if topic.endswith("/rpc") and isinstance(document, dict):
        params = document.get("params")
        toggles = document.get("method") == "Switch.Toggle"
        return toggles or (isinstance(params, dict) and params.get("on") is True)
    if topic.endswith("/set") and isinstance(document, dict):
        return str(document.get("state")).upper() in ("ON", "TOGGLE")
    for device in home.config.devices:
        adapter = device.adapter
        if isinstance(adapter, GenericDevice) and topic == adapter.command_topic:
            return payload == adapter.payload_on
    return False


def replies(messages: list[Message]) -> list[dict[str, Any]]:
    return [json.loads(m.payload) for m in messages if m.topic.startswith(RESPONSE)]


# --- strategies ------------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["ON", "OFF", "on", "1", "true", "online", "offline", "NotifyStatus"]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


def _dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


HOSTILE = [
    b"[" * 20_000 + b"]" * 20_000,
    b'{"transaction": "deep", "a": ' + b"[" * 3000 + b"]" * 3000 + b"}",
    b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1),
    b'{"minutes": ' + b"9" * 400 + b"}",
    b'{"temperature_c": 1e999, "minutes": NaN}',
    b'{"text": "' + b"x" * MAX_REQUEST_BYTES + b'"}',
    b"\xff\xfe\x00{",
    b'{"transaction": {"nested": 1}}',
    b'{"transaction": ""}',
    b'{"transaction": "' + b"t" * 500 + b'"}',
]


def _not_a_request(payload: bytes) -> bool:
    return bool(payload.strip()) and not isinstance(parse_json(payload), dict)


garbage_payloads = st.one_of(
    st.binary(max_size=300).filter(_not_a_request),
    json_values.filter(lambda v: not isinstance(v, dict)).map(_dumps),
    st.sampled_from(HOSTILE),
    # An object with a parameter no verb has: wrong whatever else it holds.
    st.dictionaries(st.text(max_size=8), json_values, max_size=3).map(
        lambda d: _dumps({**d, "zz_unknown": 1, "transaction": f"g{next(_transactions)}"})
    ),
)

unknown_verbs = st.text(min_size=1, max_size=40).filter(lambda v: v not in VERBS) | st.sampled_from(
    ["heat", "heat/start/now", "HEAT/START", "status/", "../status", "heat/start\x00", "x" * 5000]
)


@st.composite
def plausible_payloads(draw: st.DrawFn, verb: str) -> bytes:
    """A JSON object of the verb's own parameters holding any values, with a transaction."""
    keys = PARAMS.get(verb, ())
    chosen = draw(st.lists(st.sampled_from(keys), unique=True)) if keys else []
    document = {key: draw(json_values) for key in chosen}
    document["transaction"] = f"p{next(_transactions)}"
    return _dumps(document)


device_payloads = st.one_of(
    st.binary(max_size=200),
    json_values.map(_dumps),
    st.sampled_from(["ON", "OFF", "online", "offline", "true", "0", ""]).map(str.encode),
    st.dictionaries(
        st.sampled_from(
            [
                "state",
                "POWER",
                "POWER1",
                "output",
                "temperature",
                "water_leak",
                "method",
                "params",
                "src",
                "result",
                "id",
                "siteId",
                "sessionId",
                "power",
                "t",
                "wet",
                "full",
                "switch:0",
                "switch:1",
            ]
        ),
        json_values,
        max_size=5,
    ).map(_dumps),
    st.sampled_from(HOSTILE),
)


# --- checks ----------------------------------------------------------------------------------


def garbage_request_is_refused(home: CoreHarness, verb: str, payload: bytes) -> None:
    """A bad request: no exception, an error reply at once, and nothing switched on."""
    out = home.raw(REQUEST + verb, payload)
    errors = [reply for reply in replies(out) if reply["status"] == "error"]
    assert errors, f"no error reply to {verb!r} {payload[:80]!r}: {out}"
    assert not [m for m in out if switched_on(m, home)], f"{verb!r} {payload[:80]!r} -> {out}"


def request_is_answered(home: CoreHarness, verb: str, payload: bytes) -> None:
    """Any request: no exception; ON only with no error reply; an answer within two minutes."""
    transaction = json.loads(payload)["transaction"]  # Python reads NaN too; the bridge not
    out = home.raw(REQUEST + verb, payload)
    if [reply for reply in replies(out) if reply["status"] == "error"]:
        assert not [m for m in out if switched_on(m, home)], f"{verb} {payload!r} -> {out}"
    for _ in range(24):
        if any(reply.get("transaction") == transaction for reply in replies(home.sent)):
            return
        home.advance(5)
    raise AssertionError(f"no reply to {verb} {payload!r}")


def device_report_switches_nothing_on(home: CoreHarness, topic: str, payload: bytes) -> None:
    """Whatever a device topic carries: no exception, and no ON command."""
    out = home.raw(topic, payload)
    assert not [m for m in out if switched_on(m, home)], f"{topic} {payload[:80]!r} -> {out}"


PAD_ON = {
    "standard": ("stat/heatpad/POWER", "ON"),
    "generic": ("gen/pad/state", '{"power": ["ON"]}'),
    "relay": ("shellypad/status/switch:1", '{"output": true}'),
}


def start_heat(home: CoreHarness, kind: str) -> None:
    """Put the home in the riskiest state: heat running, confirmed by the pad."""
    out = home.request("heat/start", minutes=10, transaction="running")
    assert [m for m in out if switched_on(m, home)], out
    if kind == "standard":
        home.pad("ON")  # the plug's PulseTime reply, then its ON
    else:
        home.raw(*PAD_ON[kind])
    assert [r["status"] for r in home.replies("heat/start")] == ["ok"], home.sent
    home.clear()


def device_reports_switch_nothing_on(
    kind: str, heat_running: bool, data: st.DataObject, longest: int
) -> None:
    """Feed up to `longest` drawn reports to a home's device topics: none may cause an ON."""
    with harness(kind) as home:
        if heat_running:
            start_heat(home, kind)
        topics = device_topics(home)
        for _ in range(data.draw(st.integers(1, longest))):
            topic = data.draw(st.sampled_from(topics))
            device_report_switches_nothing_on(home, topic, data.draw(device_payloads))
