"""Many homes on one Mosquitto: per-home users and ACLs, and skill clients that hear only theirs.

The broker checks passwords and uses the shipped docs/mosquitto/acl with each home's device
block appended, as docs/mosquitto/README.md tells an operator to do.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bridge_support import CoreHarness
from mqtt_support import ROOT, Recorder, integration_document, wait_until

from mqtt_bridge.bridge import Bridge
from mqtt_bridge.broker import MosquittoBroker, find_mosquitto
from mqtt_bridge.client import BridgeClient
from mqtt_bridge.config import BrokerConfig, parse_config
from mqtt_bridge.connection import Received
from mqtt_bridge.errors import BridgeError
from mqtt_bridge.protocol import ReplyTo

SHIPPED_ACL = ROOT / "docs" / "mosquitto" / "acl"
SKILL = "recovery-coach-skill"
HOMES = ("home_a", "home_b")
PASSWORDS = {
    "home_a": "pw-A-3c9e1f7a5b2d4e6f",
    "home_b": "pw-B-8d2f4a6c1e3b5d7f",
    SKILL: "pw-skill-5e4f3a2b9a8b7c6d",
    "admin": "pw-admin-7a8b1a2b3c4d5e6f",
}


def _device_block(home: str) -> str:
    """The per-home lines an operator appends: this home's Tasmota pad (named after the home)."""
    return f"""
user {home}
topic write cmnd/{home}-heatpad/#
topic read stat/{home}-heatpad/#
topic read tele/{home}-heatpad/#
"""


def _home_document(broker: MosquittoBroker, tmp_path: Path, home: str) -> dict[str, Any]:
    devices = {
        "heating_pad": {
            "role": "heating_pad",
            "adapter": {"type": "tasmota", "topic": f"{home}-heatpad"},
        },
        # Zigbee2MQTT's base_topic carries the home id: the pattern ACL covers it unedited.
        "floor_leak": {
            "role": "leak_sensor",
            "adapter": {
                "type": "zigbee2mqtt",
                "friendly_name": "bath_leak",
                "base_topic": f"zigbee2mqtt/{home}",
            },
        },
    }
    document = integration_document(broker, tmp_path, home=home, devices=devices)
    document["broker"] = {"url": broker.url, "username": home, "keepalive": 5}
    return document


@pytest.fixture(scope="module")
def shared() -> Iterator[MosquittoBroker]:
    """One broker for two homes and the skill: passwords, no anonymous access, the shipped ACL."""
    broker = MosquittoBroker(anonymous=False)
    folder = broker.directory
    passwd = folder / "passwd"
    tool = Path(find_mosquitto()).parent.parent / "bin" / "mosquitto_passwd"
    for principal, password in PASSWORDS.items():
        command = [str(tool), "-b", *(["-c"] if not passwd.exists() else []), str(passwd)]
        subprocess.run([*command, principal, password], check=True, capture_output=True)
    passwd.chmod(0o644)
    acl = folder / "acl"
    blocks = "".join(_device_block(home) for home in HOMES)
    acl.write_text(SHIPPED_ACL.read_text() + blocks + "\nuser admin\ntopic readwrite #\n")
    acl.chmod(0o644)
    broker.extra = f"password_file {passwd}\nacl_file {acl}\n"
    broker.start()
    yield broker
    broker.close()


def _broker_config(broker: MosquittoBroker, principal: str) -> BrokerConfig:
    return BrokerConfig(
        url=broker.url, username=principal, password=PASSWORDS[principal], keepalive=5
    )


@pytest.fixture
def bridges(shared: MosquittoBroker, tmp_path: Path) -> Iterator[dict[str, Bridge]]:
    """Both homes' bridges, each logged in as its home id."""
    running: dict[str, Bridge] = {}
    try:
        for home in HOMES:
            folder = tmp_path / home
            folder.mkdir()
            document = _home_document(shared, folder, home)
            env = {"RECOVERY_COACH_MQTT_PASSWORD": PASSWORDS[home]}
            bridge = Bridge(parse_config(document, env=env))
            bridge.start()
            assert bridge.connected.wait(10), shared.log()
            running[home] = bridge
        yield running
    finally:
        for bridge in running.values():
            bridge.stop()


class CountingClient(BridgeClient):
    """A skill client that records every topic its own connection received."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.topics: list[str] = []
        super().__init__(*args, **kwargs)

    def _received(self, message: Received) -> None:
        self.topics.append(message.topic)
        super()._received(message)

    def heard(self, home: str) -> list[str]:
        return [topic for topic in self.topics if topic.startswith(f"recovery/{home}/")]


class Principal(Recorder):
    """A plain MQTT client logged in as someone with a password; records what it hears."""

    def __init__(self, broker: MosquittoBroker, username: str) -> None:
        super().__init__(username)
        client = self.client
        client.username_pw_set(username, PASSWORDS[username])
        client.on_connect = lambda *args: self._connected.set()
        client.connect(broker.host, broker.port)
        client.loop_start()
        assert self._connected.wait(5), f"{username} could not log in"


def test_a_skill_client_for_one_home_never_receives_another_homes_replies_or_availability(
    shared: MosquittoBroker, bridges: dict[str, Bridge]
) -> None:
    for_a = CountingClient(_broker_config(shared, SKILL))
    for_b = CountingClient(_broker_config(shared, SKILL))
    try:
        for_a.start()
        for_b.start()
        assert for_a.v5 and for_b.v5  # Mosquitto 2 speaks MQTT 5: replies on response topics
        assert wait_until(lambda: for_a.availability("home_a") == "online")
        assert wait_until(lambda: for_b.availability("home_b") == "online")
        for _ in range(3):
            assert for_a.request("home_a", "status", timeout=5)["data"]["home"] == "home_a"
            assert for_b.request("home_b", "status", timeout=5)["data"]["home"] == "home_b"
        # Home B goes away: its availability changes.
        bridges["home_b"].stop()
        assert wait_until(lambda: for_b.availability("home_b") == "offline")
    finally:
        for_a.stop()
        for_b.stop()
    # Each connection received its own home's replies and availability, and nothing of the other.
    assert for_a.heard("home_a") and for_b.heard("home_b")
    assert for_a.heard("home_b") == []
    assert for_b.heard("home_a") == []


# --- the bridge answers where an MQTT 5 request asks, and only inside its own home ---------------


def _request(home: CoreHarness, verb: str, reply_to: ReplyTo | None, **params: Any) -> None:
    topic = f"recovery/test_home/request/{verb}"
    home.sent += home.core.message(topic, json.dumps(params).encode(), home.now, reply_to)


def test_a_reply_goes_to_the_requests_response_topic_with_its_correlation_data_even_later(
    tmp_path: Path,
) -> None:
    home = CoreHarness(tmp_path)
    home.pad("OFF")
    home.clear()
    mine = ReplyTo("recovery/test_home/reply/skill1", b"c-1")
    _request(home, "heat/start", mine, transaction="t1")
    _request(home, "status", ReplyTo("recovery/test_home/reply/skill2", b"c-2"), transaction="t2")
    old_style = home.request("status", transaction="t3")  # a 3.1.1 client names no topic
    home.pad("ON")  # the plug confirms: only now is heat/start answered
    replies = {m.topic: m for m in home.to("recovery/test_home/re")}
    assert replies["recovery/test_home/reply/skill1"].correlation == b"c-1"
    assert json.loads(replies["recovery/test_home/reply/skill1"].payload)["transaction"] == "t1"
    assert replies["recovery/test_home/reply/skill2"].correlation == b"c-2"
    assert [json.loads(m.payload)["transaction"] for m in old_style] == ["t3"]
    assert old_style[0].topic == "recovery/test_home/response/status"
    assert old_style[0].correlation is None
    assert "recovery/test_home/response/heat/start" not in replies


@pytest.mark.parametrize(
    "elsewhere",
    [
        "cmnd/heatpad/POWER",  # a device's command topic: the bridge may write it, nobody else
        "recovery/other_home/reply/skill1",
        "recovery/test_home/state",
        "recovery/test_home/reply/a/b",
    ],
)
def test_a_response_topic_outside_the_homes_reply_topics_is_not_used(
    tmp_path: Path, elsewhere: str
) -> None:
    home = CoreHarness(tmp_path)
    home.clear()
    _request(home, "status", ReplyTo(elsewhere, b"c-1"), transaction="t1")
    assert [m.topic for m in home.sent if "transaction" in m.payload] == [
        "recovery/test_home/response/status"
    ]
    assert not [m for m in home.sent if m.topic == elsewhere]


# --- per-home users and ACLs -------------------------------------------------------------------


def test_each_homes_user_can_neither_read_nor_write_the_other_homes_topics(
    shared: MosquittoBroker, bridges: dict[str, Bridge]
) -> None:
    observer = Principal(shared, "admin")
    observer.subscribe("#")
    home_b = Principal(shared, "home_b")
    skill = BridgeClient(_broker_config(shared, SKILL))
    try:
        # Mosquitto 2 accepts any subscription and checks each message as it is delivered.
        home_b.subscribe("#", "recovery/home_a/#", "zigbee2mqtt/home_a/#", "cmnd/home_a-heatpad/#")
        home_b.publish("recovery/home_a/request/heat/start", '{"transaction": "evil"}')
        home_b.publish(f"recovery/home_a/reply/{'x' * 12}", '{"transaction": "forged"}')
        home_b.publish("recovery/home_a/availability", "offline", retain=True)
        home_b.publish("zigbee2mqtt/home_a/bath_leak", '{"water_leak": true}')
        home_b.publish("cmnd/home_a-heatpad/POWER", "ON")
        # Home B's Zigbee2MQTT reports (as admin here): home B's bridge hears its own sensor.
        observer.publish("zigbee2mqtt/home_b/bath_leak", '{"water_leak": false}')
        skill.start()
        assert skill.request("home_a", "status", timeout=5)["status"] == "ok"
        assert wait_until(lambda: observer.heard("zigbee2mqtt/home_b/bath_leak"))
        assert wait_until(lambda: home_b.heard("zigbee2mqtt/home_b/bath_leak"))
        assert skill.availability("home_a") == "online"
    finally:
        skill.stop()
        home_b.stop()
        observer.stop()
    # Home B heard its own home only; none of its writes into home A reached anyone.
    assert {topic.split("/")[1] for topic, _ in home_b.heard()} <= {"home_b"}
    assert home_b.heard("recovery/home_b/")  # its own bridge's topics
    seen = observer.heard()
    assert ("recovery/home_a/availability", b"online") in seen
    assert not [t for t, p in seen if b"evil" in p or b"forged" in p]
    assert not [t for t, _ in seen if t.startswith("cmnd/home_a-heatpad/POWER")]
    assert b"true" not in b"".join(p for t, p in seen if t == "zigbee2mqtt/home_a/bath_leak")


# --- MQTT 3.1.1 fallback ---------------------------------------------------------------------


class Mqtt311Only:
    """A broker front that refuses MQTT 5 as Mosquitto 1.x did, and passes 3.1.1 on."""

    def __init__(self, upstream: MosquittoBroker) -> None:
        self.upstream = upstream
        self.refused = 0
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._server.getsockname()[1]
        self._sockets: list[socket.socket] = [self._server]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            self._sockets.append(client)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        # CONNECT: fixed header, remaining length, "\x00\x04MQTT", then the protocol level.
        head = client.recv(64)
        level = head[head.index(b"MQTT") + 4] if b"MQTT" in head else None
        if level == 5:
            self.refused += 1
            client.sendall(b"\x20\x02\x00\x01")  # CONNACK: unacceptable protocol version
            client.close()
            return
        upstream = socket.create_connection((self.upstream.host, self.upstream.port))
        self._sockets.append(upstream)
        upstream.sendall(head)
        threading.Thread(target=_pump, args=(upstream, client), daemon=True).start()
        _pump(client, upstream)

    def close(self) -> None:
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.close()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)


def test_where_the_broker_lacks_mqtt5_the_client_falls_back_to_per_home_subscriptions(
    shared: MosquittoBroker, bridges: dict[str, Bridge]
) -> None:
    front = Mqtt311Only(shared)
    config = _broker_config(shared, SKILL)
    for_a = CountingClient(config, port=front.port)
    for_b = CountingClient(config, port=front.port)
    try:
        for_a.start(timeout=10)
        for_b.start(timeout=10)
        assert front.refused >= 2 and not for_a.v5 and not for_b.v5
        for _ in range(3):
            assert for_a.request("home_a", "status", timeout=5)["data"]["home"] == "home_a"
            assert for_b.request("home_b", "status", timeout=5)["data"]["home"] == "home_b"
        assert wait_until(lambda: for_a.availability("home_a") == "online")
        assert wait_until(lambda: for_b.availability("home_b") == "online")
    finally:
        for_a.stop()
        for_b.stop()
        front.close()
    # Old-style replies on recovery/<home>/response/..., each only to the client of that home.
    assert [t for t in for_a.heard("home_a") if "/response/status" in t]
    assert for_a.heard("home_b") == [] and for_b.heard("home_a") == []


@pytest.mark.parametrize("home", ["+", "#", "home_a/#", ""])
def test_a_home_id_that_is_not_one_topic_level_is_refused(home: str) -> None:
    with pytest.raises(BridgeError, match="bad home id"):
        BridgeClient(BrokerConfig(), homes=[home])
    client = BridgeClient(BrokerConfig())
    with pytest.raises(BridgeError, match="bad home id"):
        client.availability(home)
