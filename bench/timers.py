"""Timers under a scaled clock: how late auto-off fires, and how far announcements drift.

Both run on a real Mosquitto with real bridges and simulated devices; every figure is in real
milliseconds, measured against the wall-clock moment at which the scaled clock reads the promise.
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT, ROOT / "tests", ROOT / "tests" / "faults", ROOT / "bench"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import paho.mqtt.client as mqtt  # noqa: E402
from bridge_support import HOME  # noqa: E402
from fault_devices import GenericPlug, History  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402
from rows import Row, p50_p99  # noqa: E402
from timeline import drifts_ms, lateness_ms  # noqa: E402

from mqtt_bridge.bridge import MAX_SLEEP_S, Bridge  # noqa: E402
from mqtt_bridge.broker import MosquittoBroker  # noqa: E402
from mqtt_bridge.client import BridgeClient  # noqa: E402
from mqtt_bridge.clock import ScaledClock  # noqa: E402
from mqtt_bridge.config import BridgeConfig, parse_config  # noqa: E402
from mqtt_bridge.connection import disable_nagle  # noqa: E402
from mqtt_bridge.simulators import SimulatedHome  # noqa: E402
from routines.engine import Announce, StartHeat, compile_routine  # noqa: E402
from routines.stretches import load_library  # noqa: E402

SECTION = "timers"
AUTO_OFF_SCALE = 60.0  # a 1-minute session lasts one real second
AUTO_OFF_HOMES = 10  # one pad per home, so sessions overlap across homes
LATENESS_GOAL_MS = 50.0
DRIFT_GOAL_MS = 100.0
ROUTINE = "long_run_recovery"


def run(quick: bool) -> list[Row]:
    """Measure auto-off lateness and announcement drift; quick runs fewer, faster."""
    broker = MosquittoBroker()
    broker.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            sessions = 40 if quick else 200
            rows = [auto_off_lateness(broker, Path(tmp), sessions)]
            rows.append(announcement_drift(broker, Path(tmp), 120.0 if quick else 60.0))
            return rows
    finally:
        broker.close()


def _document(broker: MosquittoBroker, folder: Path, home: str, devices: Any) -> dict[str, Any]:
    return {
        "home": home,
        "timezone": "UTC",
        "timer_database": str(folder / f"{home}.sqlite3"),
        "broker": {"url": broker.url, "keepalive": 5},
        "devices": devices,
        # Sessions back to back at any hour: the safety rules allow it, so the timer is all we see.
        "safety": {"heat": {"quiet_hours": None, "min_gap_minutes": 0}},
    }


def auto_off_lateness(broker: MosquittoBroker, folder: Path, sessions: int) -> Row:
    """Run 1-minute sessions on plugs with no auto-off of their own; the bridge's OFF ends them."""
    clock = ScaledClock(AUTO_OFF_SCALE)
    homes = [f"timer_{index:02d}" for index in range(AUTO_OFF_HOMES)]
    bridges: list[Bridge] = []
    plugs: list[GenericPlug] = []
    client: BridgeClient | None = None
    late: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    try:
        for home in homes:
            base = f"plug/{home}"
            devices = {"heating_pad": {"role": "heating_pad", "adapter": GenericPlug.adapter(base)}}
            config = parse_config(_document(broker, folder, home, devices), env={})
            plug = GenericPlug(base, broker.host, broker.port, scale=AUTO_OFF_SCALE)
            plug.start()
            plugs.append(plug)
            bridge = Bridge(config, clock)
            bridge.start()
            bridges.append(bridge)
        for plug, bridge in zip(plugs, bridges, strict=True):
            assert plug.connected.wait(5) and bridge.connected.wait(5), "home did not connect"
        client = BridgeClient(bridges[0].config.broker)
        client.start()
        for home in homes:  # subscribe to each home's replies before the clock matters
            client.request(home, "status")

        def sessions_in(home: str, plug: GenericPlug, count: int, delay: float) -> None:
            assert client is not None
            history = History(plug)
            time.sleep(delay)  # homes start apart, so their deadlines spread over the tick
            for _ in range(count):
                asked = time.time()
                reply = client.request(home, "heat/start", {"minutes": 1})
                if reply.get("status") != "ok":
                    with lock:
                        failures.append(f"{home}: {reply.get('error')}")
                    continue
                ends_at = datetime.fromisoformat(reply["data"]["ends_at"])
                deadline = clock.wall(ends_at).timestamp()
                waited = time.time() + 2 * 60 / AUTO_OFF_SCALE + 5
                while plug.on or time.time() < deadline - 0.2:
                    if time.time() > waited:
                        break
                    time.sleep(0.005)
                lateness = lateness_ms(history.changes, asked, deadline)
                with lock:
                    if lateness is None:
                        failures.append(f"{home}: never switched off")
                    else:
                        late.append(lateness)
                time.sleep(0.1)  # the bridge hears the OFF confirmed and closes the session

        per_home, extra = divmod(sessions, len(homes))
        threads = [
            threading.Thread(
                target=sessions_in,
                args=(home, plug, per_home + (1 if index < extra else 0), index * 0.097),
            )
            for index, (home, plug) in enumerate(zip(homes, plugs, strict=True))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        if client is not None:
            client.stop()
        for bridge in bridges:
            bridge.stop()
        for plug in plugs:
            plug.stop(offline=False)
    if not late:
        raise RuntimeError(f"no session ended: {failures[:3]}")
    p50, p99 = p50_p99(late)
    worst = max(late)
    note = (
        f"{len(late)} one-minute sessions at {AUTO_OFF_SCALE:g}x on {len(homes)} homes at once, "
        "generic plugs (no device auto-off): lateness = the plug's real OFF minus the wall time "
        f"the scaled clock reads ends_at; the bridge worker wakes at least every "
        f"{MAX_SLEEP_S * 1000:g} ms"
        + (f"; {len(failures)} failed: {failures[:2]}" if failures else "")
    )
    return Row(
        section=SECTION,
        name=f"auto-off lateness over {len(late)} sessions, p50 / p99 / max",
        ours=f"{p50:.1f} / {p99:.1f} / {worst:.1f} ms",
        direction="absolute",
        goal=LATENESS_GOAL_MS,
        goal_text=f"p99 ≤ {LATENESS_GOAL_MS:g} ms",
        meets=p99 <= LATENESS_GOAL_MS and not failures,
        note=note,
    )


class SayRecorder:
    """Record when each announcement reaches the speaker topic (wall clock)."""

    def __init__(self, broker: MosquittoBroker) -> None:
        self.says: list[tuple[float, str]] = []
        self._lock = threading.Lock()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-say-recorder")
        disable_nagle(self._client)
        ready = threading.Event()
        self._client.on_connect = lambda c, *a: c.subscribe("hermes/tts/say", 1)
        self._client.on_subscribe = lambda *a: ready.set()
        self._client.on_message = self._received
        self._client.connect(broker.host, broker.port)
        self._client.loop_start()
        if not ready.wait(5):
            raise RuntimeError("recorder did not subscribe")

    def _received(self, client: Any, userdata: Any, message: mqtt.MQTTMessage) -> None:
        at = time.time()
        if message.retain:
            return
        with self._lock:
            self.says.append((at, json.loads(message.payload)["text"]))

    def heard(self) -> list[tuple[float, str]]:
        with self._lock:
            return list(self.says)

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


def _scheduled(config: BridgeConfig) -> tuple[list[tuple[float, str]], float]:
    """Return the routine's fixed-offset announcements and when its heat session ends."""
    items = compile_routine(config.routines[ROUTINE], load_library())
    planned: list[tuple[float, str]] = []
    heat_end = 0.0
    for item in items:
        if item.condition is not None:
            break  # from here on the schedule follows the devices, not the clock alone
        if isinstance(item.action, Announce):
            planned.append((item.offset_s, item.action.text))
        elif isinstance(item.action, StartHeat):
            heat_end = item.offset_s + item.action.minutes * 60
    return planned, heat_end


HEAT_OVER = "Your heating pad session is over."


def announcement_drift(broker: MosquittoBroker, folder: Path, scale: float) -> Row:
    """Run the long-run routine at `scale`x and time each announcement against its schedule."""
    devices = dict(HOME["devices"])
    config = parse_config(_document(broker, folder, "drift_home", devices), env={})
    clock = ScaledClock(scale)
    home = SimulatedHome(config, broker.host, broker.port, scale=scale)
    bridge = Bridge(config, clock)
    client = BridgeClient(config.broker)
    recorder = SayRecorder(broker)
    planned, heat_end = _scheduled(config)
    try:
        home.start()
        bridge.start()
        if not bridge.connected.wait(5):
            raise RuntimeError("bridge did not connect")
        client.start()
        deadline = time.time() + 10
        while time.time() < deadline:  # the leak sensor's state must be known to start
            status = client.request(config.home, "status")["data"]
            if status["devices"]["floor_leak"].get("wet") is False:
                break
            time.sleep(0.05)
        asked = time.time()
        reply = client.request(config.home, "routine/start", {"name": ROUTINE})
        if reply.get("status") != "ok":
            raise RuntimeError(f"routine did not start: {reply}")
        finish = time.time() + (heat_end + 120) / scale + 10
        while time.time() < finish and not any(t == HEAT_OVER for _, t in recorder.heard()):
            time.sleep(0.05)
        heard = recorder.heard()
    finally:
        recorder.stop()
        client.stop()
        bridge.stop()
        home.stop()
    texts = [text for _, text in heard[: len(planned)]]
    if texts != [text for _, text in planned]:
        raise RuntimeError(f"announcements out of order: {texts[:3]} vs {planned[:3]}")
    offsets = [offset for offset, _ in planned]
    arrivals = [at for at, _ in heard[: len(planned)]]
    over = next((at for at, text in heard if text == HEAT_OVER), None)
    if over is not None:
        offsets.append(heat_end)
        arrivals.append(over)
    drifts = drifts_ms(arrivals, offsets, scale)
    worst = max(drifts, key=abs)
    minutes = max(offsets) / 60
    note = (
        f"{ROUTINE} at {scale:g}x: {len(drifts)} announcements over {minutes:.0f} clock minutes "
        f"(the scheduled stretches, then '{HEAT_OVER}' against the heat's end), each arrival on "
        "hermes/tts/say minus its schedule, anchored on the first; first announcement "
        f"{(arrivals[0] - asked) * 1000:.0f} ms after the request"
        + ("" if over is not None else "; the heat-over announcement never came")
    )
    return Row(
        section=SECTION,
        name="announcement drift over a routine, max |drift|",
        ours=f"{abs(worst):.1f} ms ({'late' if worst >= 0 else 'early'})",
        direction="absolute",
        goal=DRIFT_GOAL_MS,
        goal_text=f"≤ {DRIFT_GOAL_MS:g} ms",
        meets=abs(worst) <= DRIFT_GOAL_MS and over is not None,
        note=note,
    )
