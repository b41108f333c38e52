"""Talk to a bridge over MQTT: requests with a transaction id, answered by correlated replies."""

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


@dataclass
class _Waiter:
    done: threading.Event = field(default_factory=threading.Event)
    reply: dict[str, Any] | None = None


class BridgeClient:
    """One connection for many concurrent requests; each waits only for its own reply."""

    def __init__(
        self,
        broker: BrokerConfig,
        home: str,
        *,
        client_id: str | None = None,
        host: str | None = None,
        port: int | None = None,
    ) -> None:
        self.topics = Topics(home)
        self._waiters: dict[str, _Waiter] = {}
        self._lock = threading.Lock()
        self.availability: str | None = None
        self._connection = MqttConnection(
            broker,
            client_id or f"recovery-coach-client-{uuid.uuid4().hex[:8]}",
            subscriptions=lambda: [f"{self.topics.base}/response/#", self.topics.availability],
            on_message=self._received,
            host=host,
            port=port,
        )

    def start(self, timeout: float = 5.0) -> None:
        """Connect and wait until connected."""
        self._connection.start()
        if not self._connection.connected.wait(timeout):
            self._connection.stop()
            raise BridgeError("could not connect to the MQTT broker")

    def stop(self) -> None:
        """Disconnect."""
        self._connection.stop()

    def request(
        self, verb: str, params: dict[str, Any] | None = None, timeout: float = 5.0
    ) -> dict[str, Any]:
        """Send a request and return the bridge's reply; raise BridgeError if none comes."""
        if verb not in VERBS:
            raise BridgeError(f"unknown verb {verb!r}")
        transaction = uuid.uuid4().hex
        waiter = _Waiter()
        with self._lock:
            self._waiters[transaction] = waiter
        try:
            payload = {**(params or {}), "transaction": transaction}
            self._connection.publish(Message(self.topics.request(verb), json.dumps(payload)))
            if not waiter.done.wait(timeout):
                raise BridgeError("the home bridge did not answer")
            assert waiter.reply is not None
            return waiter.reply
        finally:
            with self._lock:
                self._waiters.pop(transaction, None)

    def _received(self, topic: str, payload: bytes) -> None:
        if topic == self.topics.availability:
            self.availability = text(payload)
            return
        reply = parse_json(payload)
        if not isinstance(reply, dict):
            return
        with self._lock:
            waiter = self._waiters.get(str(reply.get("transaction")))
        if waiter is not None:
            waiter.reply = reply
            waiter.done.set()
