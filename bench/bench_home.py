"""The one-plug home the bridge benchmarks run: a Tasmota heating pad, no quiet hours."""

from __future__ import annotations

from pathlib import Path

from mqtt_bridge.broker import MosquittoBroker
from mqtt_bridge.config import BridgeConfig, parse_config


def bench_home(broker: MosquittoBroker, folder: Path) -> BridgeConfig:
    """Return the config of a home named bench with one simulated Tasmota pad."""
    document = {
        "home": "bench",
        "timer_database": str(folder / "bridge.sqlite3"),
        "broker": {"url": broker.url},
        "devices": {
            "heating_pad": {"role": "heating_pad", "adapter": {"type": "tasmota", "topic": "pad"}}
        },
        # A benchmark must not depend on the hour: no quiet hours, no gap between starts.
        "safety": {"heat": {"quiet_hours": None, "min_gap_minutes": 0}},
    }
    return parse_config(document, env={})
