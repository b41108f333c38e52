"""One paho-mqtt client that reconnects by itself and never blocks its network loop."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from mqtt_bridge.config import BrokerConfig
from mqtt_bridge.errors import BridgeError
from mqtt_bridge.messages import Message

log = logging.getLogger(__name__)


def disable_nagle(client: mqtt.Client) -> None:
    """Send small MQTT packets at once.

    With Nagle's algorithm on either side, each QoS 1 hop waited ~44 ms for a delayed ACK here
    (a bridge round trip took 88 ms instead of 0.5 ms; see bench/run.py).
    """

    def nodelay(client: mqtt.Client, userdata: Any, sock: Any) -> None:
        if isinstance(sock, socket.socket):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    client.on_socket_open = nodelay


class MqttConnection:
    """Connect to a broker, subscribe on every (re)connect, and hand messages on untouched."""

    def __init__(
        self,
        broker: BrokerConfig,
        client_id: str,
        *,
        subscriptions: Callable[[], list[str]],
        on_message: Callable[[str, bytes], None],
        on_connect: Callable[[], None] = lambda: None,
        will: Message | None = None,
        host: str | None = None,
        port: int | None = None,
    ) -> None:
        self._broker = broker
        self._host = host or broker.host
        self._port = port or broker.port
        self._subscriptions = subscriptions
        self._on_message = on_message
        self._on_connect = on_connect
        self.connected = threading.Event()
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv311,
            clean_session=True,
        )
        client.reconnect_delay_set(min_delay=1, max_delay=10)
        client.max_queued_messages_set(1000)
        if broker.username:
            client.username_pw_set(broker.username, broker.password)
        if broker.tls:
            client.tls_set(
                ca_certs=str(broker.ca_file) if broker.ca_file else None,
                certfile=str(broker.cert_file) if broker.cert_file else None,
                keyfile=str(broker.key_file) if broker.key_file else None,
            )
        if will is not None:
            client.will_set(will.topic, will.payload, qos=will.qos, retain=will.retain)
        disable_nagle(client)
        client.on_connect = self._connected
        client.on_disconnect = self._disconnected
        client.on_message = self._received
        self._client = client

    def start(self) -> None:
        """Begin connecting in the background; paho keeps reconnecting on its own."""
        try:
            self._client.connect_async(self._host, self._port, keepalive=self._broker.keepalive)
        except (OSError, ValueError) as exc:
            raise BridgeError(f"cannot connect to {self._host}:{self._port}: {exc}") from exc
        self._client.loop_start()

    def stop(self, timeout: float = 2.0) -> None:
        """Disconnect cleanly (no LWT) and stop the network thread."""
        self._client.disconnect()
        self._client.loop_stop()

    def publish(self, message: Message) -> mqtt.MQTTMessageInfo:
        """Queue a message; with QoS 1 it is sent once connected, even if not connected now."""
        return self._client.publish(message.topic, message.payload, message.qos, message.retain)

    def _connected(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        if reason.is_failure:
            log.error("broker refused the connection: %s", reason)
            return
        # Subscriptions do not survive a reconnect with a clean session: make them every time.
        topics = self._subscriptions()
        if topics:
            client.subscribe([(topic, 1) for topic in topics])
        log.info("connected to %s:%s", self._host, self._port)
        self.connected.set()
        self._on_connect()

    def _disconnected(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        self.connected.clear()
        if reason.is_failure:
            log.warning("lost the broker (%s); reconnecting", reason)

    def _received(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        self._on_message(message.topic, bytes(message.payload))
