"""The home bridge over a real Mosquitto beside a raw paho round trip on the same broker."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench_home import bench_home
from raw_mqtt import RawRoundTrip
from rows import Row
from timing import interleaved

from mqtt_bridge.bridge import Bridge
from mqtt_bridge.broker import MosquittoBroker
from mqtt_bridge.client import BridgeClient
from mqtt_bridge.simulators import SimulatedHome

HEADLINE = "headline"
SECTION = "home bridge (Mosquitto)"


def run(quick: bool) -> list[Row]:
    """Time a status request and a heat start the plug confirms, against raw paho."""
    runs = 50 if quick else 500
    broker = MosquittoBroker()
    broker.start()
    with tempfile.TemporaryDirectory() as tmp:
        config = bench_home(broker, Path(tmp))
        devices = SimulatedHome(config, broker.host, broker.port)
        bridge = Bridge(config)
        client = BridgeClient(config.broker)
        raw = RawRoundTrip(broker.host, broker.port)
        try:
            devices.start()
            bridge.start()
            if not bridge.connected.wait(5):
                raise RuntimeError("bridge did not connect")
            client.start()
            raw.start()

            def status() -> None:
                if client.request("bench", "status")["status"] != "ok":
                    raise RuntimeError("status failed")

            def heat_start() -> None:
                reply = client.request("bench", "heat/start", {"minutes": 20})
                if reply["status"] != "ok":
                    raise RuntimeError(f"heat/start failed: {reply}")

            heat = interleaved(heat_start, raw.round_trip, runs)
            stat = interleaved(status, raw.round_trip, runs)
        finally:
            raw.stop()
            client.stop()
            bridge.stop()
            devices.stop()
            broker.close()
            time.sleep(0.1)
    return [
        Row.timed(
            HEADLINE, "bridge heat/start confirmed by the plug vs raw paho round trip", *heat, 4.0
        ),
        Row.timed(SECTION, "status round trip", *stat, None),
    ]
