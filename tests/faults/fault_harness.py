"""A home under test: real Mosquitto, a real bridge (a process, or in-process with a stepped
clock), simulated devices that can fail, a client, and an observer of every device command."""

from __future__ import annotations

import json
import signal
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from bridge_support import HOME
from fault_devices import Faults, FaultyShelly, FaultyTasmota, GenericPlug, History, is_on_command
from fault_table import Row
from mqtt_support import BridgeProcess, integration_document, wait_until
from paho.mqtt.enums import CallbackAPIVersion

from mqtt_bridge.bridge import Bridge
from mqtt_bridge.broker import MosquittoBroker
from mqtt_bridge.client import BridgeClient
from mqtt_bridge.clock import ScaledClock
from mqtt_bridge.config import BridgeConfig, parse_config
from mqtt_bridge.connection import disable_nagle
from mqtt_bridge.errors import BridgeError
from mqtt_bridge.simulators import (
    BathModel,
    HermesSatellite,
    SimulatedDevice,
    SimulatedSwitch,
    Zigbee2MqttSensor,
)

HOME_NAME = "test_home"
STATE = f"recovery/{HOME_NAME}/state"
PAD_TOPICS = {"tasmota": "heatpad", "generic": "plug/heatpad"}
PAD_COMMANDS = {"tasmota": "cmnd/heatpad/#", "generic": "plug/heatpad/set"}
VALVE_ID = "shellyplus1-bath"
PAD_KINDS = {"tasmota": "Tasmota plug (PulseTime)", "generic": "generic plug (no auto-off)"}
VALVE_KIND = "Shelly valve (toggle_after)"
# The bridge's worker wakes at least this often (mqtt_bridge/bridge.py MAX_SLEEP_S), real seconds.
BRIDGE_TICK_S = 0.25


class Observer:
    """Record every device command and every bridge reply, with wall-clock times."""

    def __init__(self, broker: MosquittoBroker, *topics: str) -> None:
        self.messages: list[tuple[float, str, str]] = []
        self._lock = threading.Lock()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"observer-{id(self):x}")
        self._client.reconnect_delay_set(min_delay=1, max_delay=2)
        subscribed = threading.Event()

        def connected(client: mqtt.Client, *args: Any) -> None:
            client.subscribe([(topic, 1) for topic in topics])

        def received(client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
            if message.retain:
                return  # a replay of an old message, not something that happened now
            with self._lock:
                self.messages.append((time.time(), message.topic, message.payload.decode()))

        disable_nagle(self._client)
        self._client.on_connect = connected
        self._client.on_subscribe = lambda *args: subscribed.set()
        self._client.on_message = received
        self._client.connect(broker.host, broker.port)
        self._client.loop_start()
        assert subscribed.wait(5), "observer did not subscribe"

    def on_commands(self, since: float = 0.0) -> list[float]:
        """Return when each ON command to a device was sent."""
        with self._lock:
            return [
                at
                for at, topic, payload in self.messages
                if at >= since and is_on_command(topic, payload)
            ]

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


def retained(broker: MosquittoBroker, topic: str, timeout: float = 3.0) -> dict[str, Any] | None:
    """Read a retained JSON document as a consumer connecting now would see it."""
    got: list[bytes] = []
    done = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"reader-{time.monotonic_ns():x}")

    def connected(c: mqtt.Client, *args: Any) -> None:
        c.subscribe(topic, 1)

    def subscribed(*args: Any) -> None:
        # Retained messages are sent right after SUBACK; give them a moment to arrive.
        threading.Timer(0.3, done.set).start()

    def received(c: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        if message.retain:
            got.append(bytes(message.payload))
            done.set()

    client.on_connect, client.on_subscribe, client.on_message = connected, subscribed, received
    client.connect(broker.host, broker.port)
    client.loop_start()
    try:
        done.wait(timeout)
    finally:
        client.disconnect()
        client.loop_stop()
    document: Any = json.loads(got[-1]) if got else None
    return document if isinstance(document, dict) else None


class SteppedClock(ScaledClock):
    """The bridge's own clock on a system whose wall clock is stepped, as NTP or a user would."""

    def __init__(self, scale: float, origin: float) -> None:
        self.offset_s = 0.0
        super().__init__(scale, origin)

    def _wall_time(self) -> float:
        return time.time() + self.offset_s

    def step(self, seconds: float) -> None:
        """Step the system's wall clock by `seconds` of clock time."""
        self.offset_s += seconds / self.scale


@dataclass(frozen=True)
class Asked:
    """One request as the caller saw it: the reply (None if none came) and when it ended."""

    reply: dict[str, Any] | None
    sent_at: float
    answered_at: float

    @property
    def ok(self) -> bool:
        return self.reply is not None and self.reply.get("status") == "ok"

    @property
    def data(self) -> dict[str, Any]:
        data = (self.reply or {}).get("data")
        return data if isinstance(data, dict) else {}


class FaultHome:
    """Bridge + devices + client + observer on one broker, with every fault at hand."""

    def __init__(
        self,
        broker: MosquittoBroker,
        tmp_path: Path,
        *,
        pad: str = "tasmota",
        scale: float = 60.0,
        in_process: bool = False,
        **changes: Any,
    ) -> None:
        self.broker, self.tmp_path, self.pad_kind, self.scale = broker, tmp_path, pad, scale
        self.origin = time.time()
        devices = dict(HOME["devices"])
        devices.pop("bath_thermometer")
        pad_adapter: dict[str, Any] = (
            {"type": "tasmota", "topic": PAD_TOPICS["tasmota"]}
            if pad == "tasmota"
            else GenericPlug.adapter(PAD_TOPICS["generic"])
        )
        devices["heating_pad"] = {"role": "heating_pad", "adapter": pad_adapter}
        safety = changes.pop("safety", {})
        # A two-minute fill: 30 litres at 15 a minute.
        safety.setdefault("bath", {"tub_litres": 30, "flow_litres_per_minute": 15})
        self.document = integration_document(
            broker, tmp_path, devices=devices, safety=safety, **changes
        )
        self.config: BridgeConfig = parse_config(self.document, env={})
        host, port = broker.host, broker.port
        self.pad: SimulatedSwitch = (
            FaultyTasmota(PAD_TOPICS["tasmota"], host, port, scale=scale)
            if pad == "tasmota"
            else GenericPlug(PAD_TOPICS["generic"], host, port, scale=scale)
        )
        self.valve = FaultyShelly(VALVE_ID, host, port, scale=scale)
        self.leak = Zigbee2MqttSensor("bath_leak", host, port, wet=False, scale=scale)
        self.speaker = HermesSatellite("bathroom", host, port, scale=scale)
        self.devices: list[SimulatedDevice] = [self.pad, self.valve, self.leak, self.speaker]
        self.bath = BathModel(self.valve, thermometer=None, level=None, tub_litres=30)
        self.pad_history = History(self.pad)
        self.valve_history = History(self.valve)
        self.observer = Observer(
            broker, PAD_COMMANDS[pad], f"{VALVE_ID}/rpc", f"recovery/{HOME_NAME}/response/#"
        )
        self.clock = SteppedClock(scale, self.origin)
        self.process: BridgeProcess | None = None
        self.bridge: Bridge | None = None
        self.in_process = in_process
        self.client = BridgeClient(self.config.broker)

    # --- life cycle -------------------------------------------------------------------------

    def start(self) -> FaultHome:
        for device in self.devices:
            device.start()
        for device in self.devices:
            assert device.connected.wait(5), f"{device.name} did not connect"
        self.bath.start()
        self.start_bridge()
        self.client.start()
        assert wait_until(lambda: self.client.availability(HOME_NAME) == "online")
        # The bridge must have heard the leak sensor before it will run water.
        assert wait_until(lambda: self.status()["devices"]["floor_leak"]["wet"] is False)
        return self

    def start_bridge(self) -> None:
        if self.in_process:
            self.bridge = Bridge(self.config, self.clock)
            self.bridge.start()
            assert self.bridge.connected.wait(5)
            return
        if self.process is None:
            self.process = BridgeProcess(self.document, self.tmp_path, self.scale, self.origin)
        self.process.start(self.broker)

    def close(self) -> None:
        self.client.stop()
        if self.bridge is not None:
            self.bridge.stop()
        if self.process is not None and self.process.process is not None:
            self.resume()
            if self.process.process.poll() is None:
                self.process.terminate()
        self.bath.stop()
        for device in self.devices:
            device.stop(offline=False)
        self.observer.stop()

    # --- faults -----------------------------------------------------------------------------

    def kill(self) -> None:
        """SIGKILL the bridge process."""
        assert self.process is not None
        self.process.kill()

    def hang(self) -> None:
        """SIGSTOP the bridge process: its sockets stay open, nothing is read or sent."""
        assert self.process is not None and self.process.process is not None
        self.process.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT the bridge process."""
        assert self.process is not None and self.process.process is not None
        if self.process.process.poll() is None:
            self.process.process.send_signal(signal.SIGCONT)

    def drop(self, device: SimulatedDevice) -> None:
        assert isinstance(device, Faults)
        device.drop()

    def rejoin(self, device: SimulatedDevice) -> None:
        assert isinstance(device, Faults)
        device.rejoin()

    # --- talking to the bridge --------------------------------------------------------------

    def ask(self, verb: str, timeout: float = 8.0, **params: Any) -> Asked:
        """Send a request; a reply that never comes is recorded, not raised."""
        sent = time.time()
        try:
            reply: dict[str, Any] | None = self.client.request(HOME_NAME, verb, params, timeout)
        except BridgeError:
            reply = None
        return Asked(reply, sent, time.time())

    def status(self) -> dict[str, Any]:
        asked = self.ask("status")
        assert asked.ok, asked.reply
        return asked.data

    def state(self) -> dict[str, Any] | None:
        """The bridge's retained state, as a consumer connecting now reads it."""
        return retained(self.broker, STATE)

    # --- measuring --------------------------------------------------------------------------

    def row(
        self,
        case: str,
        deadline: float | None,
        goal_s: float | None,
        *,
        device: str | None = None,
        valve: bool = False,
        starts: int = 1,
        failed_at: float | None = None,
        lost: int | None = None,
        truthful: bool | None = None,
        note: str = "",
        clock_bound: bool = False,
    ) -> Row:
        """Measure a case: over-run past `deadline` (wall clock), ONs after `failed_at`, and
        ON commands beyond the `starts` the requests asked for."""
        history = self.valve_history if valve else self.pad_history
        return Row(
            case=case,
            device=device or (VALVE_KIND if valve else PAD_KINDS[self.pad_kind]),
            overrun_s=None if deadline is None else history.overrun(deadline),
            goal_s=goal_s,
            after_failure=0 if failed_at is None else history.turned_on_after(failed_at),
            duplicated_ons=max(0, len(self.observer.on_commands()) - starts),
            lost_data=lost,
            truthful=truthful,
            note=note,
            clock_bound=clock_bound,
            scale=self.scale,
        )

    def heat_told_truly(self, within_s: float = 0.5) -> bool:
        """Tell whether the retained state agrees with the pad once it has had a moment to."""
        return wait_until(
            lambda: heat_truthful(self.state(), self.pad.on, self.clock_now()), timeout=within_s
        )

    def settle(self) -> None:
        """Wait until the retained state shows the session running: a fault now is mid-session,
        not in the milliseconds between the reply and the state that follows it."""

        def running() -> bool:
            state = self.state() or {}
            return bool(state.get("heat", {}).get("running")) or state.get("bath", {}).get(
                "status"
            ) in ("filling",)

        assert wait_until(running, timeout=3), "the state never showed the session"

    # --- time -------------------------------------------------------------------------------

    def real(self, iso: str) -> float:
        """Convert a moment the bridge named (its scaled clock) to wall-clock seconds.

        The bridge names moments to the second of its clock: at scale S that is within 1/S s.
        """
        moment = datetime.fromisoformat(iso).timestamp()
        return self.origin + (moment - self.origin) / self.scale

    def clock_now(self) -> datetime:
        """The bridge's clock now (scaled, without any step)."""
        elapsed = time.time() - self.origin
        return datetime.fromtimestamp(self.origin + elapsed * self.scale, UTC)

    def sleep_until(self, moment: float) -> None:
        time.sleep(max(0.0, moment - time.time()))


def heat_truthful(state: dict[str, Any] | None, pad_on: bool, clock_now: datetime) -> bool:
    """Tell whether a consumer reading the retained state would believe the truth about heat.

    A state that carries `expires_at` and is past it is 'unknown', which is not a lie.
    """
    if state is None:
        return not pad_on
    expires = state.get("expires_at")
    if isinstance(expires, str) and datetime.fromisoformat(expires) <= clock_now:
        return True
    return bool(state.get("heat", {}).get("running")) == pad_on


def bath_truthful(state: dict[str, Any] | None, valve_on: bool) -> bool:
    """Tell whether the bath status in a state matches the valve: running water is never
    'ready', 'stopped' or 'idle'; a closed valve is never 'filling'."""
    status = (state or {}).get("bath", {}).get("status")
    if valve_on:
        return status in ("filling", "starting", "closing", "stopping")
    return status not in ("filling", "starting")
