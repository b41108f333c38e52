"""Simulated devices that can fail: drop off the network and come back, or confirm late.

They wrap the firmware simulators of mqtt_bridge.simulators and add only the fault. Each keeps
its real on/off history with wall-clock times, which is what over-runs are measured against.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from mqtt_bridge.simulators import (
    ShellyGen2Switch,
    SimulatedDevice,
    SimulatedSwitch,
    TasmotaPlug,
)


class History:
    """When a switch was really on: (wall-clock time, on) for every change."""

    def __init__(self, switch: SimulatedSwitch) -> None:
        self._lock = threading.Lock()
        self.changes: list[tuple[float, bool]] = [(time.time(), switch.on)]
        switch.on_changed.append(self._changed)

    def _changed(self, on: bool) -> None:
        with self._lock:
            self.changes.append((time.time(), on))

    def turned_on_after(self, moment: float) -> int:
        """Count the times the device switched on after `moment`."""
        with self._lock:
            return sum(1 for at, on in self.changes if on and at > moment)

    def last_on_after(self, moment: float) -> float | None:
        """Return the last instant the device was on after `moment` (now if it still is)."""
        with self._lock:
            changes = list(self.changes)
        latest: float | None = None
        ends = [at for at, _ in changes[1:]] + [time.time()]
        for (_, on), end in zip(changes, ends, strict=True):
            if on and end > moment:
                latest = end
        return latest

    def overrun(self, deadline: float) -> float:
        """Return how long the device stayed on past `deadline` (0 if it was off by then)."""
        last = self.last_on_after(deadline)
        return 0.0 if last is None else last - deadline


class Faults(SimulatedDevice):
    """Network drops and late confirmations, mixed into a device simulator."""

    report_delay_s: float = 0.0  # real seconds every report waits before it is sent

    def drop(self) -> None:
        """Drop off the network as a Wi-Fi loss does: the LWT fires, the device's timers run on."""
        will = self.will()
        if will is not None:
            self._client.publish(will[0], will[1], qos=1, retain=True).wait_for_publish(2)
        self._client.disconnect()
        self._client.loop_stop()
        self.connected.clear()

    def rejoin(self, timeout: float = 5.0) -> None:
        """Come back: reconnect, announce, and subscribe again."""
        self.start()
        if not self.connected.wait(timeout):
            raise TimeoutError(f"{self.name} did not reconnect")

    def publish(self, topic: str, payload: Any, retain: bool = False) -> None:
        delay = self.report_delay_s
        if delay <= 0:
            super().publish(topic, payload, retain)
            return
        # The state is taken now and arrives later: a stale confirmation, as a slow hub sends it.
        send = threading.Timer(delay, super().publish, (topic, payload, retain))
        send.daemon = True
        send.start()


class FaultyTasmota(Faults, TasmotaPlug):
    """A Tasmota plug (PulseTime auto-off) that can fail."""


class FaultyShelly(Faults, ShellyGen2Switch):
    """A Shelly Gen2 switch (toggle_after auto-off) that can fail."""


class GenericPlug(Faults, SimulatedSwitch):
    """A plug with plain ON/OFF topics and no device-side auto-off (the `generic` adapter)."""

    def __init__(self, base: str, host: str, port: int, **kw: Any) -> None:
        self.base = base
        super().__init__(base, host, port, **kw)

    @staticmethod
    def adapter(base: str) -> dict[str, str]:
        """Return the bridge's `generic` adapter configuration for this plug."""
        return {
            "type": "generic",
            "command_topic": f"{base}/set",
            "state_topic": f"{base}/state",
            "availability_topic": f"{base}/availability",
        }

    def subscriptions(self) -> list[str]:
        return [f"{self.base}/set"]

    def will(self) -> tuple[str, str]:
        return (f"{self.base}/availability", "offline")

    def birth(self) -> list[tuple[str, str, bool]]:
        return [
            (f"{self.base}/availability", "online", True),
            (f"{self.base}/state", "ON" if self.on else "OFF", True),
        ]

    def handle(self, topic: str, payload: bytes) -> None:
        word = payload.decode(errors="replace").strip().upper()
        if word in ("ON", "OFF"):
            self.set_output(word == "ON")

    def report(self) -> None:
        self.publish(f"{self.base}/state", "ON" if self.on else "OFF", retain=True)


def is_on_command(topic: str, payload: str) -> bool:
    """Tell whether a message on a device command topic asks the device to switch on."""
    if topic.startswith("cmnd/"):
        command = topic.rsplit("/", 1)[-1].upper()
        if command.startswith("BACKLOG"):  # `PulseTime1 N; Power1 ON`: any Power ON in it
            return any(
                line.strip().upper() in ("POWER ON", "POWER1 ON", "POWER 1", "POWER1 1")
                for line in payload.split(";")
            )
        return command in ("POWER", "POWER1") and payload.upper() in ("ON", "1")
    if topic.endswith("/rpc"):
        try:
            request = json.loads(payload)
        except ValueError:
            return False
        return (
            isinstance(request, dict)
            and request.get("method") == "Switch.Set"
            and bool((request.get("params") or {}).get("on"))
        )
    return topic.endswith("/set") and payload.strip().upper() == "ON"
