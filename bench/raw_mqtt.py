"""Anchor: a raw paho-mqtt publish -> subscribe round trip on the same Mosquitto."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

TOPIC = "bench/raw/echo"


class RawRoundTrip:
    """One paho client subscribed to a topic, timing its own QoS 1 publishes coming back."""

    def __init__(self, host: str, port: int) -> None:
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id="bench-raw", protocol=mqtt.MQTTv5
        )
        self._arrived = threading.Event()
        self._subscribed = threading.Event()
        self._client.on_socket_open = self._nodelay
        self._client.on_message = lambda *_: self._arrived.set()
        self._client.on_subscribe = lambda *_: self._subscribed.set()
        self._host, self._port = host, port

    @staticmethod
    def _nodelay(client: mqtt.Client, userdata: Any, sock: Any) -> None:
        # As our clients do (mqtt_bridge.connection.disable_nagle).
        if isinstance(sock, socket.socket):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def start(self) -> None:
        """Connect and subscribe."""
        self._client.connect(self._host, self._port)
        self._client.loop_start()
        self._client.subscribe(TOPIC, qos=1)
        if not self._subscribed.wait(5):
            raise RuntimeError("raw paho client did not subscribe")

    def round_trip(self) -> None:
        """Publish once and wait until the broker delivers it back."""
        self._arrived.clear()
        self._client.publish(TOPIC, b'{"status": "ok"}', qos=1)
        if not self._arrived.wait(5):
            raise RuntimeError("raw round trip lost")

    def stop(self) -> None:
        """Disconnect."""
        self._client.disconnect()
        self._client.loop_stop()


def timed_round_trip(trip: RawRoundTrip) -> float:
    """Return one round trip in ms."""
    started = time.perf_counter()
    trip.round_trip()
    return (time.perf_counter() - started) * 1000
