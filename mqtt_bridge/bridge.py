"""The running bridge: the pure core driven by one worker thread, MQTT at the edge."""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from mqtt_bridge.adapters.speakers import HomeAssistantSpeaker
from mqtt_bridge.clock import SYSTEM_CLOCK, Clock
from mqtt_bridge.config import BridgeConfig, Role, bridge_client_id
from mqtt_bridge.connection import MqttConnection, Received
from mqtt_bridge.core import BridgeCore
from mqtt_bridge.errors import BridgeError
from mqtt_bridge.ha_speech import HomeAssistantVoice, Spoken
from mqtt_bridge.logbounds import LOG_BOUNDS, excerpt, install, uninstall
from mqtt_bridge.messages import Message
from mqtt_bridge.protocol import ReplyTo, Topics, transaction_of
from mqtt_bridge.reply_types import error, routed
from mqtt_bridge.store import TimerStore

log = logging.getLogger(__name__)
# The worker wakes at least this often (real seconds), so a scaled clock stays responsive.
MAX_SLEEP_S = 0.25
FLUSH_TIMEOUT_S = 3.0
# How often held-back log lines are summed up (real seconds).
LOG_REPORT_S = 5.0


@dataclass(frozen=True)
class _Connected:
    pass


@dataclass(frozen=True)
class _Received:
    topic: str
    payload: bytes
    reply_to: ReplyTo | None = None


@dataclass(frozen=True)
class _Stop:
    pass


Event = _Connected | _Received | _Stop | Spoken


class Bridge:
    """Start/stop component: the constructor does no I/O; stop() turns heat and water off."""

    def __init__(
        self,
        config: BridgeConfig,
        clock: Clock = SYSTEM_CLOCK,
        *,
        host: str | None = None,
        port: int | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self._host, self._port = host, port
        self._events: queue.Queue[Event] = queue.Queue()
        self._store = TimerStore(config.database)
        self._core: BridgeCore | None = None
        self._connection: MqttConnection | None = None
        self._worker: threading.Thread | None = None
        self._voice: HomeAssistantVoice | None = None
        self.stopped = threading.Event()
        self._log_bounds = LOG_BOUNDS

    @property
    def connected(self) -> threading.Event:
        assert self._connection is not None, "start() first"
        return self._connection.connected

    def start(self) -> None:
        """Open the timer store, reconcile timers, connect, and start the worker."""
        install()  # bound and rate-limit every bridge log line from here on
        self._store.open()
        core = BridgeCore(
            self.config, self._store, time_scale=self.clock.scale, wall=self.clock.wall
        )
        self._core = core
        topics = Topics(self.config.home)
        client_id = bridge_client_id(self.config.home, self.config.broker)
        self._connection = MqttConnection(
            self.config.broker,
            client_id,
            subscriptions=core.subscriptions,
            on_message=lambda message: self._events.put(_event(message)),
            on_connect=lambda: self._events.put(_Connected()),
            will=Message(topics.availability, "offline", retain=True),
            host=self._host,
            port=self._port,
            # MQTT 5 answers each client on its own response topic; 3.1.1 where the broker lacks it.
            protocol="auto",
        )
        speaker = self.config.device(Role.SPEAKER)
        if speaker is not None and isinstance(speaker.adapter, HomeAssistantSpeaker):
            # Its HTTP calls run on their own thread and come back as events: MQTT never waits.
            self._voice = HomeAssistantVoice(speaker.adapter, self._events.put)
            self._voice.start()
        initial = core.start(self.clock.now())
        self._connection.start()
        for message in initial:  # queued by paho until connected (QoS 1)
            self._connection.publish(message)
        self._worker = threading.Thread(target=self._run, name="bridge-core", daemon=True)
        self._worker.start()

    def stop(self) -> None:
        """Switch heat and water off, publish 'offline', and disconnect."""
        if self._worker is None:
            return
        self._events.put(_Stop())
        self._worker.join(timeout=FLUSH_TIMEOUT_S + 2)
        if self._voice is not None:
            self._voice.stop()
            self._voice = None
        if self._connection is not None:
            self._connection.stop()
        self._store.close()
        self._worker = None
        self._log_bounds.report(log, idle_s=0)
        uninstall()
        self.stopped.set()

    def _run(self) -> None:
        assert self._core is not None and self._connection is not None
        core, connection = self._core, self._connection
        reported = time.monotonic()
        while True:
            event = self._next_event(core.next_wakeup())
            now = self.clock.now()
            try:
                out = self._handle(core, event, now)
            except Exception as exc:  # the bridge must stay up whatever one message does
                # Bounded: the payload is anyone's, and a storm of them must not fill the disk.
                log.error(
                    "unexpected %s while handling %s",
                    type(exc).__name__,
                    _describe(event),
                    exc_info=not isinstance(exc, BridgeError),
                )
                out = self._answer_anyway(event)
            if time.monotonic() - reported >= LOG_REPORT_S:
                reported = time.monotonic()
                self._log_bounds.report(log)
            self._speak(core)
            infos = [connection.publish(message) for message in out]
            if isinstance(event, _Stop):
                for info in infos:
                    try:
                        info.wait_for_publish(timeout=FLUSH_TIMEOUT_S)
                    except (RuntimeError, ValueError):
                        log.error("could not deliver %s before stopping", info.mid)
                return

    def _speak(self, core: BridgeCore) -> None:
        for utterance in core.utterances():
            if self._voice is not None:
                self._voice.say(utterance)

    def _answer_anyway(self, event: Event | None) -> list[Message]:
        """Whatever went wrong, a request still gets an error reply."""
        if not isinstance(event, _Received):
            return []
        topics = Topics(self.config.home)
        verb = topics.verb_of(event.topic)
        if verb is None:
            return []
        failure = BridgeError("the home bridge could not handle this request")
        reply_to = event.reply_to if event.reply_to and event.reply_to.usable_for(topics) else None
        return [routed(error(topics, verb, transaction_of(event.payload), failure), reply_to)]

    def _handle(self, core: BridgeCore, event: Event | None, now: datetime) -> list[Message]:
        if isinstance(event, _Stop):
            return core.shutdown(now)
        out: list[Message] = []
        if isinstance(event, _Connected):
            out += core.connected(now)
        elif isinstance(event, _Received):
            out += core.message(event.topic, event.payload, now, event.reply_to)
        elif isinstance(event, Spoken):
            out += core.spoken(event.say_id, event.code, event.reason, now)
        return out + core.tick(now)

    def _next_event(self, wakeup: datetime | None) -> Event | None:
        timeout = MAX_SLEEP_S
        if wakeup is not None:
            seconds = (wakeup - self.clock.now()).total_seconds() / self.clock.scale
            timeout = max(0.0, min(timeout, seconds))
        try:
            return self._events.get(timeout=timeout)
        except queue.Empty:
            return None


def _event(message: Received) -> _Received:
    reply_to = None
    if message.response_topic is not None:
        try:
            reply_to = ReplyTo(message.response_topic, message.correlation)
        except ValueError:
            reply_to = None  # answered on the 3.1.1 topic instead
    return _Received(message.topic, message.payload, reply_to)


def _describe(event: Event | None) -> str:
    if isinstance(event, _Received):
        return f"a message on {excerpt(event.topic, 120)}: {excerpt(event.payload)}"
    return type(event).__name__ if event is not None else "a tick"
