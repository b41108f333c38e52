"""Many homes on one Mosquitto: per-home users and ACLs, and skill clients that hear only theirs.

The broker checks passwords and uses the shipped docs/mosquitto/acl with each home's device
block appended, as docs/mosquitto/README.md tells an operator to do.
"""

from __future__ import annotations

import subprocess
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from mqtt_support import ROOT, integration_document, wait_until
from paho.mqtt.enums import CallbackAPIVersion

from mqtt_bridge.bridge import Bridge
from mqtt_bridge.broker import MosquittoBroker, find_mosquitto
from mqtt_bridge.client import BridgeClient
from mqtt_bridge.config import BrokerConfig, parse_config
from mqtt_bridge.connection import Received

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


class Principal:
    """A plain MQTT client logged in as someone; records what it hears."""

    def __init__(self, broker: MosquittoBroker, username: str) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self._subscribed = threading.Event()
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"{username}-{uuid.uuid4().hex[:6]}"
        )
        client.username_pw_set(username, PASSWORDS[username])
        client.on_connect = lambda *args: self._connected.set()
        client.on_subscribe = lambda *args: self._subscribed.set()
        client.on_message = self._on_message
        self.client = client
        client.connect(broker.host, broker.port)
        client.loop_start()
        assert self._connected.wait(5), f"{username} could not log in"

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append((message.topic, bytes(message.payload)))

    def subscribe(self, *topics: str) -> None:
        self._subscribed.clear()
        self.client.subscribe([(topic, 1) for topic in topics])
        assert self._subscribed.wait(5)

    def publish(self, topic: str, payload: str, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def heard(self, prefix: str = "") -> list[tuple[str, bytes]]:
        with self._lock:
            return [(t, p) for t, p in self.messages if t.startswith(prefix)]

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


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
