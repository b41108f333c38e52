"""The long-run recovery routine, end to end on a real Mosquitto with a sped-up clock.

The bridge runs the routine, simulated devices answer, and the speaker daemon renders every
announcement to a WAV file with espeak-ng.
"""

from __future__ import annotations

import json
import threading
import time
import wave
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from mqtt_support import Spy, integration_config, wait_until
from paho.mqtt.enums import CallbackAPIVersion

from mqtt_bridge.bridge import Bridge
from mqtt_bridge.broker import MosquittoBroker
from mqtt_bridge.client import BridgeClient
from mqtt_bridge.clock import ScaledClock
from mqtt_bridge.config import Role
from mqtt_bridge.connection import disable_nagle
from mqtt_bridge.simulators import SimulatedHome
from mqtt_bridge.speaker import SpeakerDaemon
from routines.engine import Announce, compile_routine
from routines.stretches import load_library

SCALE = 30.0


class Recorder:
    """Record every announcement, device command and pad state with the (scaled) time seen."""

    def __init__(self, broker: MosquittoBroker, clock: ScaledClock) -> None:
        self.events: list[tuple[float, str, str]] = []
        self._clock = clock
        self._lock = threading.Lock()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="recorder")
        disable_nagle(self._client)
        ready = threading.Event()
        self._client.on_connect = lambda c, *a: c.subscribe(
            [
                ("hermes/tts/#", 1),
                ("cmnd/heatpad/Backlog0", 1),
                ("stat/heatpad/POWER", 1),
                ("shellyplus1-bath/rpc", 1),
            ]
        )
        self._client.on_subscribe = lambda *a: ready.set()
        self._client.on_message = self._received
        self._client.connect(broker.host, broker.port)
        self._client.loop_start()
        assert ready.wait(5)

    def _received(self, client: Any, userdata: Any, message: mqtt.MQTTMessage) -> None:
        at = self._clock.now().timestamp()
        with self._lock:
            self.events.append((at, message.topic, message.payload.decode()))

    def says(self) -> list[tuple[float, str]]:
        with self._lock:
            return [
                (t, json.loads(p)["text"])
                for t, topic, p in self.events
                if topic == "hermes/tts/say"
            ]

    def finished(self) -> int:
        with self._lock:
            return sum(1 for _, topic, _ in self.events if topic == "hermes/tts/sayFinished")

    def first(self, topic: str, predicate: Any, after: float = 0.0) -> float:
        with self._lock:
            return next(
                t for t, top, p in self.events if top == topic and predicate(p) and t > after
            )

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


def test_long_run_recovery_routine(mosquitto: MosquittoBroker, tmp_path: Path) -> None:
    config = integration_config(mosquitto, tmp_path)
    clock = ScaledClock(SCALE)
    devices = SimulatedHome(config, mosquitto.host, mosquitto.port, scale=SCALE)
    devices.devices.pop(Role.SPEAKER)  # the real speaker daemon answers instead
    speaker = SpeakerDaemon(config.broker, "bathroom", lang="en-GB", to_wav=tmp_path / "wav")
    bridge = Bridge(config, clock)
    client = BridgeClient(config.broker)
    recorder = Recorder(mosquitto, clock)
    try:
        devices.start()
        speaker.start()
        assert speaker.connected.wait(5)
        bridge.start()
        client.start()
        assert wait_until(
            lambda: (
                client.request("test_home", "status")["data"]["devices"]["floor_leak"]["wet"]
                is False
            )
        )
        reply = client.request("test_home", "routine/start", {"name": "long_run_recovery"})
        assert reply["status"] == "ok", reply
        started = clock.now().timestamp()
        # About 27 minutes of routine at 30x: under a minute.
        assert wait_until(
            lambda: (
                client.request("test_home", "status")["data"]["routine"]["status"] == "finished"
            ),
            timeout=120,
            step=0.5,
        ), client.request("test_home", "status")["data"]["routine"]
        says = recorder.says()
        texts = [text for _, text in says]

        # In order: intro, the four stretches' cues, the heat, the bath, the endings.
        routine = config.routines["long_run_recovery"]
        library = load_library()
        first_segment = [
            (item.offset_s, item.action.text)
            for item in compile_routine(routine, library)
            if isinstance(item.action, Announce)
        ]
        planned = [text for _, text in first_segment]
        assert texts[: len(planned) - 1] == planned[: len(planned) - 1]
        # On time: each announcement of the stretches within a second (real) of its schedule.
        for (offset, text), (seen, said) in zip(first_segment[:-1], says, strict=False):
            assert said == text
            assert abs((seen - started) - offset) <= 1.0 * SCALE, (text, seen - started, offset)

        # The pad went on and off, fifteen minutes apart; the bath filled and stopped.
        pad_on = recorder.first("cmnd/heatpad/Backlog0", lambda p: p.endswith("Power1 ON"))
        # Off by the plug's own PulseTime or the bridge's OFF, whichever came first.
        pad_off = recorder.first("stat/heatpad/POWER", lambda p: p == "OFF", after=pad_on)
        assert abs((pad_off - pad_on) - 15 * 60) <= 2 * SCALE
        bath_on = recorder.first("shellyplus1-bath/rpc", lambda p: '"on":true' in p)
        assert abs((bath_on - pad_on) - 5 * 60) <= 2 * SCALE
        assert not devices[Role.HEATING_PAD].on and not devices[Role.BATH_VALVE].on
        tail = texts[len(planned) - 1 :]
        assert "Your heating pad session is over." in tail
        assert any(t.startswith("Your bath is ready") for t in tail)
        assert tail[-2] == "Soak for fifteen to twenty minutes, and sip some water while you do."
        assert tail[-1].startswith("That's your recovery routine done.")

        # The speaker daemon rendered every announcement to audio, and said so.
        assert wait_until(lambda: recorder.finished() == len(texts), timeout=60)
        files = sorted((tmp_path / "wav").glob("*.wav"))
        assert len(files) == len(texts)
        for path in files:
            with wave.open(str(path)) as audio:
                assert audio.getnframes() > audio.getframerate() * 0.2, path.name
    finally:
        recorder.stop()
        client.stop()
        bridge.stop()
        speaker.stop()
        devices.stop()


def test_speaker_ignores_other_sites_and_reports_only_what_it_said(
    mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    config = integration_config(mosquitto, tmp_path)
    speaker = SpeakerDaemon(config.broker, "bedroom", to_wav=tmp_path / "wav")
    satellite_client = Spy(mosquitto, "hermes/tts/sayFinished")
    try:
        speaker.start()
        assert speaker.connected.wait(5)
        kitchen = {"text": "for the kitchen", "siteId": "kitchen", "id": "k1"}
        bedroom = {"text": "Time to stretch", "siteId": "bedroom", "id": "b1"}
        satellite_client.publish("hermes/tts/say", json.dumps(kitchen))
        satellite_client.publish("hermes/tts/say", json.dumps(bedroom))
        assert wait_until(lambda: satellite_client.on("hermes/tts/sayFinished"), timeout=10)
        time.sleep(0.3)
        (finished,) = satellite_client.on("hermes/tts/sayFinished")
        assert json.loads(finished) == {"id": "b1", "siteId": "bedroom", "sessionId": None}
        assert [p.name for p in (tmp_path / "wav").glob("*.wav")] == ["0001-b1.wav"]
    finally:
        satellite_client.stop()
        speaker.stop()
