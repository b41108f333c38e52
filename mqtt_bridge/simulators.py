"""Simulated devices that behave like the real firmware, for tests and the demo.

Each simulator is its own MQTT client with its own last will, as the real device is:
- TasmotaPlug: cmnd/stat/tele topics under its FullTopic; PulseTime (0.1 s steps up to 111, then
  seconds + 100) that a Power ON restarts; Backlog0; SetOption26 (POWER1); LWT Online/Offline.
- ShellySwitch (Gen2): RPC on <id>/rpc (Switch.Set with toggle_after, Switch.GetStatus), replies to
  <src>/rpc (only that src), NotifyStatus on <id>/events/rpc, status on <id>/status/switch:N,
  <id>/online; an error frame {"error": {"code", "message"}} for a bad switch id or when refusing.
- Zigbee2MqttSwitch: <base>/<name>/set with on_time (ZCL On With Timed Off), /get, state JSON,
  availability JSON; publishes no state after an on_time command, as Zigbee2MQTT does.
- TuyaCountdownPlug: a TS011F-style plug whose onWithTimedOff is a toggle countdown in seconds
  (`countdown`), so `on_time` toggles it ten times late.
- Zigbee2MqttSensor: temperature / water_leak state JSON (retained, as with `retain: true`).
- HermesSatellite: speaks hermes/tts/say for its site and answers hermes/tts/sayFinished, or, when
  it fails, hermes/error/tts (error, context, siteId, sessionId) and no sayFinished.
- BathModel: water warms toward the tap temperature and rises toward full while the valve is open.
Timers run `scale` times faster than real time, matching the bridge's ScaledClock.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from mqtt_bridge.adapters import (
    GenericDevice,
    HermesSpeaker,
    ShellySwitch,
    TasmotaSwitch,
    TopicSpeaker,
    Zigbee2MqttDevice,
    pulse_seconds,
)
from mqtt_bridge.config import BridgeConfig, Role
from mqtt_bridge.connection import disable_nagle
from mqtt_bridge.messages import parse_json, text

log = logging.getLogger(__name__)
EventSink = Callable[[str], None]


class SimulatedDevice:
    """A device with its own MQTT connection; subclasses map topics to handlers."""

    def __init__(
        self,
        name: str,
        host: str,
        port: int,
        *,
        scale: float = 1.0,
        on_event: EventSink | None = None,
    ) -> None:
        self.name = name
        self.scale = scale
        self.responsive = True  # False: online, but ignores commands (a hung device)
        self._host, self._port = host, port
        self._on_event = on_event or (lambda line: None)
        self._timers: list[threading.Timer] = []
        self._lock = threading.RLock()
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"sim-{name}-{id(self):x}", clean_session=True
        )
        self._client.reconnect_delay_set(min_delay=1, max_delay=5)
        disable_nagle(self._client)
        will = self.will()
        if will is not None:
            self._client.will_set(will[0], will[1], qos=1, retain=True)
        self._client.on_connect = self._connected
        self._client.on_message = self._received
        self.connected = threading.Event()

    # Subclasses say what they listen to, how they announce themselves, and what they do.
    def subscriptions(self) -> list[str]:
        return []

    def will(self) -> tuple[str, str] | None:
        return None

    def birth(self) -> list[tuple[str, str, bool]]:
        return []

    def handle(self, topic: str, payload: bytes) -> None:
        pass

    def start(self) -> None:
        """Connect and announce the device."""
        self._client.connect_async(self._host, self._port, keepalive=15)
        self._client.loop_start()

    def stop(self, *, offline: bool = True) -> None:
        """Disconnect; with offline, publish the last will first as a dropped device would."""
        with self._lock:
            for timer in self._timers:
                timer.cancel()
            self._timers.clear()
        will = self.will()
        if offline and will is not None and self.connected.is_set():
            self._client.publish(will[0], will[1], qos=1, retain=True).wait_for_publish(2)
        self._client.disconnect()
        self._client.loop_stop()
        self.connected.clear()

    def publish(self, topic: str, payload: Any, retain: bool = False) -> None:
        body = payload if isinstance(payload, str) else json.dumps(payload)
        self._client.publish(topic, body, qos=1, retain=retain)

    def event(self, line: str) -> None:
        self._on_event(f"{self.name}: {line}")

    def after(self, device_seconds: float, action: Callable[[], None]) -> threading.Timer:
        """Run `action` after a span of device time (scaled to real time)."""
        timer = threading.Timer(device_seconds / self.scale, self._locked(action))
        timer.daemon = True
        with self._lock:
            self._timers = [t for t in self._timers if t.is_alive()]
            self._timers.append(timer)
        timer.start()
        return timer

    def _locked(self, action: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            with self._lock:
                action()

        return run

    def _connected(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        if reason.is_failure:
            return
        topics = self.subscriptions()
        if topics:
            client.subscribe([(topic, 1) for topic in topics])
        for topic, payload, retain in self.birth():
            client.publish(topic, payload, qos=1, retain=retain)
        self.connected.set()

    def _received(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        if not self.responsive:
            return
        with self._lock:
            try:
                self.handle(message.topic, bytes(message.payload))
            except Exception:
                log.exception("%s: simulator failed on %s", self.name, message.topic)


class SimulatedSwitch(SimulatedDevice):
    """A switch with an output and an optional device-side off timer."""

    def __init__(self, name: str, host: str, port: int, **kw: Any) -> None:
        super().__init__(name, host, port, **kw)
        self.on = False
        self.on_changed: list[Callable[[bool], None]] = []
        self._off_timer: threading.Timer | None = None

    def set_output(self, on: bool, auto_off_s: float = 0, reason: str = "") -> None:
        if self._off_timer is not None:
            self._off_timer.cancel()
            self._off_timer = None
        changed = on != self.on
        self.on = on
        if on and auto_off_s > 0:
            self._off_timer = self.after(
                auto_off_s, lambda: self.set_output(False, reason="auto-off")
            )
        if changed:
            self.event(f"{'ON' if on else 'OFF'}{f' ({reason})' if reason else ''}")
            for listener in self.on_changed:
                listener(on)
        self.report()

    def report(self) -> None:
        pass

    def press(self, on: bool) -> None:
        """Someone switches the device by hand."""
        with self._lock:
            self.set_output(on, reason="by hand")


class TasmotaPlug(SimulatedSwitch):
    """A one-relay Tasmota smart plug, as its firmware handles commands.

    - Topics follow its FullTopic (`%prefix%/%topic%/` unless set): a FullTopic without %prefix%
      gets `/%prefix%` added for commands only, as the firmware does.
    - SetOption26 1 names the relay POWER1 in every reply, even on a one-relay device.
    - Backlog / Backlog0 run their `;`-separated commands in order, each answering as it would
      alone (the firmware's SetOption34 gap of Backlog is not modelled: only order matters here).
    - PulseTime answers `{"PulseTime1":{"Set":N,"Remaining":N}}` on stat RESULT.
    """

    def __init__(
        self,
        topic: str,
        host: str,
        port: int,
        *,
        full_topic: str = "%prefix%/%topic%/",
        set_option26: bool = False,
        **kw: Any,
    ) -> None:
        self.topic = topic
        self.full_topic = full_topic
        self.set_option26 = set_option26
        # False: the PulseTime reply never arrives (lost, or a build that answers elsewhere).
        self.pulse_replies = True
        super().__init__(topic, host, port, **kw)
        self.pulse_time = 0

    def topic_for(self, prefix: str, command: str) -> str:
        """Build a topic as the firmware's GetTopic_P does."""
        template = self.full_topic
        if prefix == "cmnd" and "%prefix%" not in template:
            template += "/%prefix%"
        built = template.replace("%prefix%", prefix).replace("%topic%", self.topic)
        built = built.replace("#", "").replace("//", "/")
        if not built.endswith("/"):
            built += "/"
        return built + command

    @property
    def power_name(self) -> str:
        return "POWER1" if self.set_option26 else "POWER"

    def subscriptions(self) -> list[str]:
        return [self.topic_for("cmnd", "#")]

    def will(self) -> tuple[str, str]:
        return (self.topic_for("tele", "LWT"), "Offline")

    def birth(self) -> list[tuple[str, str, bool]]:
        return [(self.topic_for("tele", "LWT"), "Online", True)]

    def handle(self, topic: str, payload: bytes) -> None:
        self.execute(topic.rsplit("/", 1)[-1], text(payload))

    def execute(self, command: str, value: str) -> None:
        """Run one command with its parameter, as typed on the console."""
        name = command.rstrip("0123456789").upper()
        index = command[len(name) :]
        word = value.strip().upper()
        if name == "BACKLOG":
            for line in value.split(";"):
                line = line.strip()
                if line:
                    head, _, rest = line.partition(" ")
                    self.execute(head, rest)
        elif name == "POWER" and index in ("", "1"):
            if word in ("ON", "1", "TRUE"):
                self.set_output(True, pulse_seconds(self.pulse_time))
            elif word in ("OFF", "0", "FALSE"):
                self.set_output(False)
            elif word in ("TOGGLE", "2"):
                self.set_output(not self.on, pulse_seconds(self.pulse_time))
            else:
                self.report()
        elif name == "PULSETIME" and index in ("", "1"):
            if word:
                self.pulse_time = max(0, min(65535, int(word)))
            if self.pulse_replies:
                reply = {"Set": self.pulse_time, "Remaining": self.pulse_time}
                self.publish(self.topic_for("stat", "RESULT"), {"PulseTime1": reply})
        elif name == "SETOPTION" and index == "26":
            if word in ("1", "ON"):
                self.set_option26 = True
            elif word in ("0", "OFF"):
                self.set_option26 = False
            state = "ON" if self.set_option26 else "OFF"
            self.publish(self.topic_for("stat", "RESULT"), {"SetOption26": state})
        else:
            self.publish(self.topic_for("stat", "RESULT"), {"Command": "Unknown"})

    def report(self) -> None:
        state = "ON" if self.on else "OFF"
        self.publish(self.topic_for("stat", "RESULT"), {self.power_name: state})
        self.publish(self.topic_for("stat", self.power_name), state)


class ShellyGen2Switch(SimulatedSwitch):
    """A Shelly Plus/Pro switch (Gen2 RPC over MQTT)."""

    def __init__(self, device_id: str, host: str, port: int, switch_id: int = 0, **kw: Any) -> None:
        self.device_id = device_id
        self.switch_id = switch_id
        super().__init__(device_id, host, port, **kw)
        self._timer_started: float | None = None
        self._timer_duration: float | None = None
        # (code, message): Switch.Set answers this error frame instead of switching.
        self.refuse: tuple[int, str] | None = None

    def subscriptions(self) -> list[str]:
        return [f"{self.device_id}/rpc"]

    def will(self) -> tuple[str, str]:
        return (f"{self.device_id}/online", "false")

    def birth(self) -> list[tuple[str, str, bool]]:
        return [(f"{self.device_id}/online", "true", True)]

    def status(self) -> dict[str, Any]:
        status: dict[str, Any] = {
            "id": self.switch_id,
            "source": "MQTT",
            "output": self.on,
            "apower": 0.0,
            "temperature": {"tC": 41.2},
        }
        if self.on and self._timer_duration:
            status["timer_started_at"] = self._timer_started
            status["timer_duration"] = self._timer_duration
        return status

    def handle(self, topic: str, payload: bytes) -> None:
        request = parse_json(payload)
        if not isinstance(request, dict):
            return
        params = request.get("params")
        params = params if isinstance(params, dict) else {}
        method = request.get("method")
        answer: dict[str, Any]
        # Argument errors as Shelly's "Common Errors" page shows them.
        if method in ("Switch.Set", "Switch.GetStatus") and "id" not in params:
            answer = {"error": {"code": -103, "message": "Missing required 'id'"}}
        elif method in ("Switch.Set", "Switch.GetStatus") and params["id"] != self.switch_id:
            answer = {"error": {"code": -105, "message": f"Bad id={params.get('id')}"}}
        elif method == "Switch.Set" and self.refuse is not None:
            answer = {"error": {"code": self.refuse[0], "message": self.refuse[1]}}
        elif method == "Switch.Set":
            was_on = self.on
            after = float(params.get("toggle_after") or 0)
            self._timer_started = time.time() if after else None
            self._timer_duration = after or None
            self.set_output(bool(params.get("on")), after)
            answer = {"result": {"was_on": was_on}}
        elif method == "Switch.GetStatus":
            answer = {"result": self.status()}
        else:
            answer = {"error": {"code": 404, "message": f"No handler for {method}"}}
        source = request.get("src")
        if isinstance(source, str) and source:
            # The reply goes to the requester's own topic only, never to anyone else's.
            reply = {"id": request.get("id"), "src": self.device_id, "dst": source, **answer}
            self.publish(f"{source}/rpc", reply)

    def report(self) -> None:
        component = f"switch:{self.switch_id}"
        self.publish(f"{self.device_id}/status/{component}", self.status())
        notify = {
            "src": self.device_id,
            "method": "NotifyStatus",
            "params": {"ts": time.time(), component: {"id": self.switch_id, "output": self.on}},
        }
        self.publish(f"{self.device_id}/events/rpc", notify)


class Zigbee2MqttSwitch(SimulatedSwitch):
    """A Zigbee plug or valve behind Zigbee2MQTT that follows the ZCL On With Timed Off.

    Zigbee2MQTT turns `on_time` (seconds) into onWithTimedOff with `ontime` in tenths of a second
    (zigbee-herdsman-converters' `on_off`), and this firmware counts tenths as the ZCL says: off
    after `on_time` seconds. Zigbee2MQTT publishes the new state after a plain state command, but
    nothing after an onWithTimedOff (that converter returns no state): only the device's own
    attribute report, or a `/get` (a read of `onOff`), says that it came on. `reports=False` is a
    device without attribute reporting set up.
    """

    def __init__(
        self,
        friendly_name: str,
        host: str,
        port: int,
        base_topic: str = "zigbee2mqtt",
        *,
        reports: bool = True,
        **kw: Any,
    ) -> None:
        self.topic = f"{base_topic}/{friendly_name}"
        self.reports = reports
        #: The device-side timers this device was given, in its own seconds, newest last.
        self.timers_armed: list[float] = []
        super().__init__(friendly_name, host, port, **kw)

    def subscriptions(self) -> list[str]:
        return [f"{self.topic}/set", f"{self.topic}/get"]

    def will(self) -> tuple[str, str]:
        return (f"{self.topic}/availability", json.dumps({"state": "offline"}))

    def birth(self) -> list[tuple[str, str, bool]]:
        return [(f"{self.topic}/availability", json.dumps({"state": "online"}), True)]

    def handle(self, topic: str, payload: bytes) -> None:
        if topic.endswith("/get"):
            self.publish_state()  # the read's answer
            return
        request = parse_json(payload)
        if not isinstance(request, dict):
            request = {"state": text(payload)}
        word = str(request.get("state", "")).upper()
        if word == "ON" and ("on_time" in request or "off_wait_time" in request):
            self.on_with_timed_off(round(float(request.get("on_time") or 0) * 10))
            return
        self.state_command(word, request)

    def state_command(self, word: str, request: dict[str, Any]) -> None:
        """Carry out a plain ON/OFF/TOGGLE and publish what Zigbee2MQTT's converter returns."""
        if word == "TOGGLE":
            word = "OFF" if self.on else "ON"
        if word in ("ON", "OFF"):
            self.set_output(word == "ON")
            if not self.reports:
                self.publish_state()  # a reporting device has said it already

    def on_with_timed_off(self, ontime: int) -> None:
        """On now, off after `ontime` tenths of a second (0: no timer), as the ZCL says."""
        seconds = ontime / 10
        if seconds:
            self.timers_armed.append(seconds)
        self.set_output(True, seconds)

    def state(self) -> dict[str, Any]:
        return {"state": "ON" if self.on else "OFF", "linkquality": 120}

    def publish_state(self) -> None:
        self.publish(self.topic, self.state())

    def report(self) -> None:
        if self.reports:
            self.publish_state()


class TuyaCountdownPlug(Zigbee2MqttSwitch):
    """A Tuya TS011F-style plug: onWithTimedOff is a countdown in seconds that TOGGLES the relay.

    Tuya firmware reads onWithTimedOff's `ontime` as whole seconds and, when it runs out, flips
    the relay whichever way it is, without switching on first (Koenkk/zigbee2mqtt#22182). Sent
    Zigbee2MQTT's `on_time`, which goes out in tenths, it stays as it was and toggles ten times
    later. Zigbee2MQTT's Tuya converter exposes this as `countdown` (seconds, 0-43200): it sends
    the state first, then onWithTimedOff with `ontime` = `countdown`, and publishes both; setting
    the state cancels a running countdown. Whether a press of the button cancels it is not
    documented: here it does not (the worse case).
    """

    def __init__(self, friendly_name: str, host: str, port: int, *args: Any, **kw: Any) -> None:
        super().__init__(friendly_name, host, port, *args, **kw)
        self.countdown = 0
        self._countdown_timer: threading.Timer | None = None

    def handle(self, topic: str, payload: bytes) -> None:
        request = parse_json(payload)
        if topic.endswith("/set") and isinstance(request, dict) and "countdown" in request:
            word = str(request.get("state", "")).upper()
            if word:
                self.state_command(word, request)
            self.on_with_timed_off(int(request["countdown"]))
            self.publish_state()  # the converter returns state and countdown
            return
        super().handle(topic, payload)

    def state_command(self, word: str, request: dict[str, Any]) -> None:
        self._cancel_countdown()
        super().state_command(word, request)

    def on_with_timed_off(self, ontime: int) -> None:
        """Arm (or, with 0, cancel) a toggle after `ontime` seconds; the relay stays as it is."""
        self._cancel_countdown()
        if ontime <= 0:
            return
        self.countdown = ontime
        self.timers_armed.append(float(ontime))
        self._countdown_timer = self.after(ontime, self._countdown_ran_out)

    def _countdown_ran_out(self) -> None:
        self.countdown = 0
        self._countdown_timer = None
        self.set_output(not self.on, reason="countdown toggle")

    def _cancel_countdown(self) -> None:
        if self._countdown_timer is not None:
            self._countdown_timer.cancel()
            self._countdown_timer = None
        self.countdown = 0

    def state(self) -> dict[str, Any]:
        return {**super().state(), "countdown": self.countdown}


class Zigbee2MqttSensor(SimulatedDevice):
    """A Zigbee thermometer or water sensor behind Zigbee2MQTT (state retained)."""

    def __init__(
        self,
        friendly_name: str,
        host: str,
        port: int,
        base_topic: str = "zigbee2mqtt",
        *,
        temperature_c: float | None = None,
        wet: bool | None = None,
        **kw: Any,
    ) -> None:
        self.topic = f"{base_topic}/{friendly_name}"
        super().__init__(friendly_name, host, port, **kw)
        self.temperature_c = temperature_c
        self.wet = wet
        self._said_c = temperature_c

    def will(self) -> tuple[str, str]:
        return (f"{self.topic}/availability", json.dumps({"state": "offline"}))

    def birth(self) -> list[tuple[str, str, bool]]:
        return [
            (f"{self.topic}/availability", json.dumps({"state": "online"}), True),
            (self.topic, json.dumps(self.state()), True),
        ]

    def state(self) -> dict[str, Any]:
        document: dict[str, Any] = {"battery": 97, "linkquality": 110}
        if self.temperature_c is not None:
            document["temperature"] = round(self.temperature_c, 1)
        if self.wet is not None:
            document["water_leak"] = self.wet
        return document

    def set(self, *, temperature_c: float | None = None, wet: bool | None = None) -> None:
        """Change the reading and report it."""
        with self._lock:
            if temperature_c is not None:
                self.temperature_c = temperature_c
                # Report whole-degree changes as events, not every tenth.
                if self._said_c is None or abs(temperature_c - self._said_c) >= 1.0:
                    self._said_c = temperature_c
                    self.event(f"{temperature_c:.1f} °C")
            if wet is not None and wet != self.wet:
                self.wet = wet
                self.event("WET" if wet else "dry")
            self.publish(self.topic, self.state(), retain=True)


class HermesSatellite(SimulatedDevice):
    """A Rhasspy-style satellite: 'speaks' (logs) and answers sayFinished."""

    WORDS_PER_SECOND = 2.5

    def __init__(self, site_id: str, host: str, port: int, **kw: Any) -> None:
        self.site_id = site_id
        super().__init__(f"speaker[{site_id}]", host, port, **kw)
        self.spoken: list[str] = []
        # When set, speaking fails with this message, reported on hermes/error/tts.
        self.fail_with: str | None = None

    def subscriptions(self) -> list[str]:
        return ["hermes/tts/say"]

    def handle(self, topic: str, payload: bytes) -> None:
        request = parse_json(payload)
        if not isinstance(request, dict) or request.get("siteId", "default") != self.site_id:
            return
        words = str(request.get("text", ""))
        if self.fail_with is not None:
            self.event(f"could not say {words!r}: {self.fail_with}")
            failure = {
                "error": self.fail_with,
                "context": request.get("id"),
                "siteId": self.site_id,
                "sessionId": request.get("sessionId"),
            }
            self.publish("hermes/error/tts", failure)
            return
        self.spoken.append(words)
        self.event(f'"{words}"')
        finished = {
            "id": request.get("id"),
            "siteId": self.site_id,
            "sessionId": request.get("sessionId"),
        }
        duration = max(1.0, len(words.split()) / self.WORDS_PER_SECOND)
        self.after(duration, lambda: self.publish("hermes/tts/sayFinished", finished))


class BathModel:
    """Tap water fills the tub and warms it while the valve is open."""

    def __init__(
        self,
        valve: SimulatedSwitch,
        *,
        thermometer: Zigbee2MqttSensor | None,
        level: Zigbee2MqttSensor | None,
        tap_c: float = 39.0,
        start_c: float = 20.0,
        tub_litres: float = 150.0,
        flow_litres_per_minute: float = 15.0,
        tick_s: float = 0.1,
    ) -> None:
        self.valve, self.thermometer, self.level = valve, thermometer, level
        self.tap_c, self.water_c = tap_c, start_c
        self.litres = 0.0
        self.tub_litres, self.flow = tub_litres, flow_litres_per_minute
        self._tick_s = tick_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bath-model", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        last_reported = None
        while not self._stop.wait(self._tick_s):
            if not self.valve.on:
                continue
            minutes = self._tick_s * self.valve.scale / 60
            added = self.flow * minutes
            # Mixing: the tub moves toward tap temperature in proportion to the water added.
            self.water_c += (self.tap_c - self.water_c) * added / max(self.litres + added, 1e-9)
            self.litres = min(self.tub_litres, self.litres + added)
            reading = round(self.water_c, 1)
            if self.thermometer is not None and reading != last_reported:
                last_reported = reading
                self.thermometer.set(temperature_c=reading)
            if self.level is not None and self.litres >= self.tub_litres and not self.level.wet:
                self.level.set(wet=True)


class SimulatedHome:
    """The simulators for every device in a bridge configuration."""

    def __init__(
        self,
        config: BridgeConfig,
        host: str,
        port: int,
        *,
        scale: float = 1.0,
        on_event: EventSink | None = None,
        tap_c: float = 39.0,
    ) -> None:
        self.devices: dict[Role, SimulatedDevice] = {}
        kw: dict[str, Any] = {"scale": scale, "on_event": on_event}
        for device in config.devices:
            adapter = device.adapter
            simulator: SimulatedDevice | None = None
            if isinstance(adapter, TasmotaSwitch):
                simulator = TasmotaPlug(
                    adapter.topic, host, port, full_topic=adapter.full_topic, **kw
                )
            elif isinstance(adapter, ShellySwitch):
                simulator = ShellyGen2Switch(adapter.device_id, host, port, adapter.switch_id, **kw)
            elif isinstance(adapter, Zigbee2MqttDevice) and device.role in (
                Role.HEATING_PAD,
                Role.BATH_VALVE,
            ):
                # The firmware the config describes: a Tuya plug for `countdown`.
                firmware = (
                    TuyaCountdownPlug
                    if adapter.auto_off_command == "countdown"
                    else Zigbee2MqttSwitch
                )
                simulator = firmware(adapter.friendly_name, host, port, adapter.base_topic, **kw)
            elif isinstance(adapter, Zigbee2MqttDevice):
                initial: dict[str, Any] = (
                    {"temperature_c": 20.0}
                    if device.role is Role.BATH_TEMPERATURE
                    else {"wet": False}
                )
                simulator = Zigbee2MqttSensor(
                    adapter.friendly_name, host, port, adapter.base_topic, **initial, **kw
                )
            elif isinstance(adapter, HermesSpeaker):
                simulator = HermesSatellite(adapter.site_id, host, port, **kw)
            elif isinstance(adapter, GenericDevice | TopicSpeaker):
                log.info("no simulator for generic device %s", device.name)
            if simulator is not None:
                self.devices[device.role] = simulator
        self.bath: BathModel | None = None
        valve = self.devices.get(Role.BATH_VALVE)
        if isinstance(valve, SimulatedSwitch):
            thermometer = self.devices.get(Role.BATH_TEMPERATURE)
            level = self.devices.get(Role.BATH_LEVEL)
            self.bath = BathModel(
                valve,
                thermometer=thermometer if isinstance(thermometer, Zigbee2MqttSensor) else None,
                level=level if isinstance(level, Zigbee2MqttSensor) else None,
                tap_c=tap_c,
                tub_litres=config.safety.tub_litres,
                flow_litres_per_minute=config.safety.flow_litres_per_minute,
            )

    def __getitem__(self, role: Role) -> Any:
        return self.devices[role]

    def start(self, timeout: float = 10.0) -> None:
        """Connect every simulator and wait until all are online."""
        for simulator in self.devices.values():
            simulator.start()
        deadline = time.monotonic() + timeout
        for simulator in self.devices.values():
            if not simulator.connected.wait(max(0.0, deadline - time.monotonic())):
                raise TimeoutError(f"simulator {simulator.name} did not connect")
        if self.bath is not None:
            self.bath.start()

    def stop(self) -> None:
        """Disconnect every simulator."""
        if self.bath is not None:
            self.bath.stop()
        for simulator in self.devices.values():
            simulator.stop(offline=False)
