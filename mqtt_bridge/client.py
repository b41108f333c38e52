"""Talk to bridges over MQTT: requests with a transaction id, answered by correlated replies."""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from mqtt_bridge.config import BrokerConfig
from mqtt_bridge.connection import MqttConnection
from mqtt_bridge.errors import BridgeError
from mqtt_bridge.messages import Message, parse_json, text
from mqtt_bridge.protocol import VERBS, Topics

RESPONSES = "recovery/+/response/#"
AVAILABILITY = "recovery/+/availability"


@dataclass
class _Waiter:
    done: threading.Event = field(default_factory=threading.Event)
    reply: dict[str, Any] | None = None


class BridgeClient:
    """One connection for many homes and many concurrent requests; each waits for its own reply."""

    def __init__(
        self,
        broker: BrokerConfig,
        *,
        client_id: str | None = None,
        host: str | None = None,
        port: int | None = None,
    ) -> None:
        self._waiters: dict[str, _Waiter] = {}
        self._availability: dict[str, str] = {}
        self._lock = threading.Lock()
        self._connection = MqttConnection(
            broker,
            client_id or f"recovery-coach-client-{uuid.uuid4().hex[:8]}",
            subscriptions=lambda: [RESPONSES, AVAILABILITY],
            on_message=self._received,
            host=host,
            port=port,
        )

    @property
    def connected(self) -> bool:
        return self._connection.connected.is_set()

    def start(self, timeout: float | None = 5.0) -> None:
        """Connect in the background; with a timeout, wait that long for the connection."""
        self._connection.start()
        if timeout is not None and not self._connection.connected.wait(timeout):
            self._connection.stop()
            raise BridgeError("could not connect to the MQTT broker")

    def stop(self) -> None:
        """Disconnect."""
        self._connection.stop()

    def availability(self, home: str) -> str | None:
        """Return a home bridge's retained availability ('online'/'offline'), if heard."""
        with self._lock:
            return self._availability.get(home)

    def request(
        self, home: str, verb: str, params: dict[str, Any] | None = None, timeout: float = 5.0
    ) -> dict[str, Any]:
        """Send a request to a home and return its bridge's reply; BridgeError if none comes."""
        if verb not in VERBS:
            raise BridgeError(f"unknown verb {verb!r}")
        if not self.connected:
            raise BridgeError("not connected to the MQTT broker")
        transaction = uuid.uuid4().hex
        waiter = _Waiter()
        with self._lock:
            self._waiters[transaction] = waiter
        try:
            payload = {**(params or {}), "transaction": transaction}
            self._connection.publish(Message(Topics(home).request(verb), json.dumps(payload)))
            if not waiter.done.wait(timeout):
                raise BridgeError("the home bridge did not answer")
            assert waiter.reply is not None
            return waiter.reply
        finally:
            with self._lock:
                self._waiters.pop(transaction, None)

    def publish_health(self, home: str, runner: str, health: dict[str, Any]) -> None:
        """Publish a runner's health state, retained, so the home's bridge gates what it runs."""
        if not self.connected:
            raise BridgeError("not connected to the MQTT broker")
        topic = Topics(home).health(runner)
        self._connection.publish(Message.json(topic, health, retain=True))

    def _received(self, topic: str, payload: bytes) -> None:
        parts = topic.split("/")
        if len(parts) == 3 and parts[2] == "availability":
            with self._lock:
                self._availability[parts[1]] = text(payload)
            return
        reply = parse_json(payload)
        if not isinstance(reply, dict):
            return
        with self._lock:
            waiter = self._waiters.get(str(reply.get("transaction")))
        if waiter is not None:
            waiter.reply = reply
            waiter.done.set()
