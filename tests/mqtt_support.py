"""Integration helpers: a bridge, simulated devices and a client on a real Mosquitto."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import yaml
from bridge_support import home_document
from paho.mqtt.enums import CallbackAPIVersion

from mqtt_bridge.broker import MosquittoBroker
from mqtt_bridge.config import BridgeConfig, parse_config
from mqtt_bridge.connection import disable_nagle

ROOT = Path(__file__).resolve().parent.parent


def wait_until(predicate: Callable[[], object], timeout: float = 5.0, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())


def integration_document(broker: MosquittoBroker, tmp_path: Path, **changes: Any) -> dict[str, Any]:
    document = home_document(**changes)
    document["broker"] = {"url": broker.url, "keepalive": 5}
    document["timer_database"] = str(tmp_path / "bridge.sqlite3")
    safety = document.setdefault("safety", {})
    heat = safety.setdefault("heat", {})
    heat.setdefault("quiet_hours", None)
    heat.setdefault("min_gap_minutes", 0)
    safety.setdefault("confirm_timeout_s", 2)
    return document


def integration_config(broker: MosquittoBroker, tmp_path: Path, **changes: Any) -> BridgeConfig:
    return parse_config(integration_document(broker, tmp_path, **changes), env={})


class Spy:
    """A plain MQTT client that records everything on some topics."""

    def __init__(self, broker: MosquittoBroker, *topics: str) -> None:
        self.messages: list[tuple[str, str, bool]] = []
        self._lock = threading.Lock()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"spy-{id(self):x}")
        ready = threading.Event()

        def connected(client: mqtt.Client, *args: Any) -> None:
            if topics:
                client.subscribe([(topic, 1) for topic in topics])
            else:
                ready.set()

        def subscribed(*args: Any) -> None:
            ready.set()

        def received(client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
            with self._lock:
                self.messages.append((message.topic, message.payload.decode(), message.retain))

        disable_nagle(self._client)
        self._client.on_connect = connected
        self._client.on_subscribe = subscribed
        self._client.on_message = received
        self._client.connect(broker.host, broker.port)
        self._client.loop_start()
        assert ready.wait(5), "spy did not subscribe"

    def on(self, topic: str) -> list[str]:
        with self._lock:
            return [payload for t, payload, _ in self.messages if t == topic]

    def publish(self, topic: str, payload: str, *, retain: bool = False) -> None:
        self._client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


def clear_retained_health(broker: MosquittoBroker, home: str) -> None:
    """Clear every runner's retained health state of a home: the broker outlives each test."""
    prefix = f"recovery/{home}/health/"
    probe = f"{prefix}__probe__"
    spy = Spy(broker, f"{prefix}+")
    try:
        # Retained states come at once after the subscription, before a message published later.
        spy.publish(probe, "")
        assert wait_until(lambda: bool(spy.on(probe))), "the probe never came back"
        for topic in {t for t, payload, retained in spy.messages if retained and payload}:
            spy.publish(topic, "", retain=True)
    finally:
        spy.stop()


class BridgeProcess:
    """`recovery-coach bridge` as a separate process, to kill and restart."""

    def __init__(self, document: dict[str, Any], tmp_path: Path, scale: float, origin: float):
        self.config_file = tmp_path / "bridge.yaml"
        self.config_file.write_text(yaml.safe_dump(document))
        self.scale, self.origin = scale, origin
        self.process: subprocess.Popen[str] | None = None
        self.log = tmp_path / "bridge.log"

    def start(self, broker: MosquittoBroker) -> None:
        spy = Spy(broker, "recovery/test_home/availability")
        command = [
            sys.executable,
            "-m",
            "skill.cli",
            "bridge",
            "--config",
            str(self.config_file),
            "--time-scale",
            str(self.scale),
            "--time-origin",
            str(self.origin),
        ]
        self.process = subprocess.Popen(
            command,
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        ok = wait_until(lambda: "online" in spy.on("recovery/test_home/availability")[-1:], 15)
        spy.stop()
        assert ok, f"bridge did not come online: {self.log.read_text()}"

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(5)

    def terminate(self) -> int:
        assert self.process is not None
        self.process.terminate()
        return self.process.wait(10)


class Recorder:
    """A plain paho client logged in as somebody: it records what it hears, and waits on acks."""

    def __init__(self, username: str | None) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self.granted: list[int] = []
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self._subscribed = threading.Event()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"{username}-{uuid.uuid4().hex[:6]}"
        )
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message

    def _on_subscribe(
        self, client: mqtt.Client, userdata: Any, mid: int, codes: Any, props: Any
    ) -> None:
        self.granted = [int(code.value) for code in codes]
        self._subscribed.set()

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append((message.topic, bytes(message.payload)))

    def subscribe(self, *topics: str) -> list[int]:
        """Subscribe and wait for the broker's answer; return the granted (or refused) codes."""
        self._subscribed.clear()
        self.client.subscribe([(topic, 1) for topic in topics])
        assert self._subscribed.wait(5)
        return self.granted

    def publish(self, topic: str, payload: str | bytes, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def heard(self, prefix: str = "") -> list[tuple[str, bytes]]:
        with self._lock:
            return [(t, p) for t, p in self.messages if t.startswith(prefix)]

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
