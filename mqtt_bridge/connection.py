"""One paho-mqtt client that reconnects by itself and never blocks its network loop."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from mqtt_bridge.config import BrokerConfig
from mqtt_bridge.errors import BridgeError
from mqtt_bridge.messages import Message

log = logging.getLogger(__name__)
# Which MQTT version to speak: "auto" tries 5 and falls back to 3.1.1 where the broker lacks it.
PROTOCOLS = ("auto", "5", "3.1.1")
# CONNACK reason "Unsupported protocol version" (paho reports a 3.1.1 broker's refusal so).
_UNSUPPORTED_PROTOCOL = 132


@dataclass(frozen=True)
class Received:
    """One incoming message, with the MQTT 5 properties a request/response exchange uses."""

    topic: str
    payload: bytes
    response_topic: str | None = None
    correlation: bytes | None = None


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
        on_message: Callable[[Received], None],
        on_connect: Callable[[], None] = lambda: None,
        will: Message | None = None,
        host: str | None = None,
        port: int | None = None,
        protocol: str = "3.1.1",
    ) -> None:
        if protocol not in PROTOCOLS:
            raise BridgeError(f"unknown MQTT protocol {protocol!r}; known: {', '.join(PROTOCOLS)}")
        self._broker = broker
        self._client_id = client_id
        self._will = will
        self._host = host or broker.host
        self._port = port or broker.port
        self._subscriptions = subscriptions
        self._on_message = on_message
        self._on_connect = on_connect
        self._fallback = protocol == "auto"
        self._lock = threading.Lock()
        self.connected = threading.Event()
        self._client = self._build(mqtt.MQTTv311 if protocol == "3.1.1" else mqtt.MQTTv5)

    @property
    def v5(self) -> bool:
        """Whether this connection speaks MQTT 5 (response topics, correlation data)."""
        return self._client.protocol == mqtt.MQTTv5

    def _build(self, protocol: MQTTProtocolVersion) -> mqtt.Client:
        broker = self._broker
        if protocol == mqtt.MQTTv5:
            client = mqtt.Client(
                CallbackAPIVersion.VERSION2, client_id=self._client_id, protocol=protocol
            )
        else:
            client = mqtt.Client(
                CallbackAPIVersion.VERSION2,
                client_id=self._client_id,
                protocol=protocol,
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
        will = self._will
        if will is not None:
            client.will_set(will.topic, will.payload, qos=will.qos, retain=will.retain)
        disable_nagle(client)
        client.on_connect = self._connected
        client.on_disconnect = self._disconnected
        client.on_message = self._received
        return client

    def start(self) -> None:
        """Begin connecting in the background; paho keeps reconnecting on its own."""
        try:
            if self.v5:
                # A fresh session each time, as clean_session does for 3.1.1.
                self._client.connect_async(
                    self._host, self._port, keepalive=self._broker.keepalive, clean_start=True
                )
            else:
                self._client.connect_async(self._host, self._port, keepalive=self._broker.keepalive)
        except (OSError, ValueError) as exc:
            raise BridgeError(f"cannot connect to {self._host}:{self._port}: {exc}") from exc
        self._client.loop_start()

    def stop(self, timeout: float = 2.0) -> None:
        """Disconnect cleanly (no LWT) and stop the network thread."""
        with self._lock:
            self._fallback = False
            self._client.disconnect()
            self._client.loop_stop()

    def publish(self, message: Message) -> mqtt.MQTTMessageInfo:
        """Queue a message; with QoS 1 it is sent once connected, even if not connected now.

        Over MQTT 5 a message's response topic and correlation data go with it; over 3.1.1
        they are dropped, and the payload's transaction is what correlates.
        """
        properties = None
        if self.v5 and (message.response_topic is not None or message.correlation is not None):
            properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
            if message.response_topic is not None:
                properties.ResponseTopic = message.response_topic
            if message.correlation is not None:
                properties.CorrelationData = message.correlation
        return self._client.publish(
            message.topic, message.payload, message.qos, message.retain, properties
        )

    def subscribe(self, topics: list[str]) -> None:
        """Subscribe now if connected; a (re)connect subscribes `subscriptions()` anyway."""
        # paho counts as connected before on_connect runs: a topic added after on_connect
        # asked for the list is subscribed here, one added before is in the list.
        if topics and self._client.is_connected():
            self._client.subscribe([(topic, 1) for topic in topics])

    def _downgrade(self) -> None:
        """Rebuild the client for MQTT 3.1.1 (run on a thread of its own, not paho's)."""
        with self._lock:
            if not self._fallback:
                return  # stopped meanwhile
            self._fallback = False
            self._client.disconnect()
            self._client.loop_stop()
            log.warning("the broker does not speak MQTT 5: using MQTT 3.1.1")
            self._client = self._build(mqtt.MQTTv311)
            self.start()

    def _connected(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        if reason.is_failure:
            if self._fallback and self.v5 and reason.value == _UNSUPPORTED_PROTOCOL:
                threading.Thread(target=self._downgrade, name="mqtt-downgrade").start()
                return
            log.error("broker refused the connection: %s", reason)
            return
        # Once connected, the protocol is settled: a later refusal is not about the version.
        self._fallback = False
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
        properties = message.properties
        response_topic = getattr(properties, "ResponseTopic", None)
        correlation = getattr(properties, "CorrelationData", None)
        self._on_message(
            Received(
                message.topic,
                bytes(message.payload),
                response_topic if isinstance(response_topic, str) else None,
                bytes(correlation) if isinstance(correlation, bytes | bytearray) else None,
            )
        )
