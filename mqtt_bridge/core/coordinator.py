"""The bridge's decisions, free of I/O: events and times in, MQTT messages out.

Every public method takes the current time and returns the messages to publish, so the timer and
interlock logic is tested with a fake clock and no broker. Timers are written to the TimerStore
before a device is switched on, so a crash never leaves heat or water without a deadline.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from mqtt_bridge.adapters.speakers import Utterance
from mqtt_bridge.config import BridgeConfig, Role
from mqtt_bridge.core.bath import BathControl
from mqtt_bridge.core.confirmations import Confirmations
from mqtt_bridge.core.devices import Devices
from mqtt_bridge.core.heat import Heat
from mqtt_bridge.core.home_assistant import HomeAssistantLink
from mqtt_bridge.core.house import KIND_ROLES, House
from mqtt_bridge.core.red_flags import RedFlags
from mqtt_bridge.core.replies import Replies
from mqtt_bridge.core.requests import Requests, Verb
from mqtt_bridge.core.routine_steps import ROUTINE_KEY, RoutineSteps
from mqtt_bridge.core.sessions import SessionParts
from mqtt_bridge.core.speech import Speech
from mqtt_bridge.core.state import STATE_VALID, State
from mqtt_bridge.core.stopping import Stopping
from mqtt_bridge.core.timers import SessionTimers
from mqtt_bridge.core.verbs import Call, Status
from mqtt_bridge.errors import StoreError
from mqtt_bridge.health import RunnerHealth
from mqtt_bridge.messages import Message, text
from mqtt_bridge.protocol import ReplyTo, transaction_of
from mqtt_bridge.reply_types import HomeState
from mqtt_bridge.routine_control import RoutineControl
from mqtt_bridge.store import Timer, TimerStore

log = logging.getLogger(__name__)


class BridgeCore:
    """Decide what to publish for every request, device report and tick of the clock."""

    def __init__(
        self,
        config: BridgeConfig,
        store: TimerStore,
        time_scale: float = 1.0,
        wall: Callable[[datetime], datetime] = lambda moment: moment,
    ) -> None:
        self.config = config
        self.store = store
        house = self._house = House(config, store, time_scale, wall)
        self.health = RunnerHealth(store)
        self.routines = RoutineControl(
            config.routines, lambda action, now: self._routine_steps.act(action, now), self.health
        )
        self._state = State(house, self.routines)
        self._replies = Replies(house)
        self._speech = Speech(house, self._replies)
        self._confirmations = Confirmations(house, self._replies, self._state)
        self._timers = SessionTimers(house, self._state)
        stopping = Stopping(house, self._timers, self._confirmations, self._replies, self._state)
        self._routine_steps = RoutineSteps(
            house,
            self.health,
            self._replies,
            self._speech,
            self._state,
            self.routines,
            lambda verb, body, now: self._requests.run(verb, body, now),
        )
        parts = SessionParts(
            house,
            self.health,
            self._timers,
            self._confirmations,
            stopping,
            self.routines,
            self._speech,
        )
        heat = Heat(parts)
        bath = BathControl(parts, self._state)
        self._devices = Devices(
            house, self._confirmations, self._timers, self._speech, self._state, heat, bath
        )
        self._home_assistant = HomeAssistantLink(house)
        self._red_flags = RedFlags(
            house,
            self.health,
            self._speech,
            self._routine_steps,
            lambda verb, body, now: self._requests.run(verb, body, now),
        )
        steps = self._routine_steps
        verbs = {
            "heat/start": Verb(heat.start, lambda: house.usable(Role.HEATING_PAD)),
            "heat/stop": Verb(heat.stop, lambda: stopping.check(Role.HEATING_PAD)),
            "bath/fill": Verb(bath.fill, lambda: house.usable(Role.BATH_VALVE)),
            "bath/stop": Verb(bath.stop, lambda: stopping.check(Role.BATH_VALVE)),
            "announce": Verb(self._speech.announce),
            "status": Verb(self._status),
            "routine/start": Verb(steps.start),
            **{f"routine/{step}": Verb(steps.step) for step in ("stop", "pause", "resume", "next")},
        }
        self._requests = Requests(house, self._replies, self._speech, self.routines, verbs)

    @property
    def time_scale(self) -> float:
        """Clock seconds per real second."""
        return self._house.time_scale

    @time_scale.setter
    def time_scale(self, value: float) -> None:
        self._house.time_scale = value

    @property
    def timers(self) -> dict[Role, Timer]:
        """The running sessions' timers, by role."""
        return self._house.timers

    # --- life cycle ------------------------------------------------------------------------

    def subscriptions(self) -> list[str]:
        """Return every topic the bridge listens to."""
        topics = self._house.topics
        ha_status = self._home_assistant.status_topic
        subscribed = [topics.requests, topics.ha_command("#"), topics.health("+"), ha_status]
        for device in self.config.devices:
            subscribed += device.adapter.subscriptions()
        return list(dict.fromkeys(subscribed))

    def start(self, now: datetime) -> list[Message]:
        """Load persisted timers: any deadline already passed means OFF now."""
        house = self._house
        house.out = []
        try:
            self.health.load()
            stored = self.store.timers()
            routine = self.store.get_json(ROUTINE_KEY)
        except StoreError as exc:
            # Without its timers the bridge can't know what may be running: switch it all off.
            log.error("%s; switching heat and water off to be safe", exc)
            for switched in KIND_ROLES.values():
                house.switch_off(switched)
            return house.flush()
        self._timers.restore(stored, now)
        self.routines.restore(routine, now)
        house.record(self.store.put_json, ROUTINE_KEY, None)
        return house.flush()

    def connected(self, now: datetime) -> list[Message]:
        """(Re)assert everything after (re)connecting: availability, discovery, states."""
        house = self._house
        house.out = [Message(house.topics.availability, "online", retain=True)]
        if self._home_assistant.enabled:
            self._home_assistant.discover()
        for device in self.config.devices:
            query = getattr(device.adapter, "query", None)
            if query is not None:
                house.out += query()
        self._timers.reassert(now)
        self._state.publish(now)
        return house.flush()

    def shutdown(self, now: datetime) -> list[Message]:
        """Turn heat and water off before the bridge goes away; deadlines become 'now'."""
        house = self._house
        house.out = []
        self._timers.shutdown(now)
        # Nobody will refresh the state after this: leave one that says it no longer holds.
        self._state.publish_final(now)
        house.out.append(Message(house.topics.availability, "offline", retain=True))
        return house.flush()

    # --- events ----------------------------------------------------------------------------

    def message(
        self, topic: str, payload: bytes, now: datetime, reply_to: ReplyTo | None = None
    ) -> list[Message]:
        """Handle one incoming MQTT message; an MQTT 5 request may say where to answer."""
        house = self._house
        topics = house.topics
        house.out = []
        # A confirmation queued behind its deadline (a hung bridge) must not turn into a late ok.
        self._confirmations.expire(now)
        verb = topics.verb_of(topic)
        runner = topics.runner_of(topic)
        if verb is not None:
            if reply_to is not None and not reply_to.usable_for(topics):
                log.warning("ignoring a response topic outside this home's reply topics")
                reply_to = None
            if reply_to is not None:
                self._replies.reply_to = (transaction_of(payload), reply_to)
            try:
                self._requests.handle(verb, payload, now)
            finally:
                self._replies.reply_to = None
        elif runner is not None:
            if self.health.message(runner, payload):
                self._red_flags.changed(now)
        elif topic.startswith(topics.ha_command("")):
            self._requests.ha_command(topic[len(topics.ha_command("")) :], text(payload), now)
        elif topic == self._home_assistant.status_topic:
            if text(payload) == "online" and self._home_assistant.enabled:
                self._home_assistant.discover()
                self._state.publish(now)
        else:
            self._devices.message(topic, payload, now)
        return house.flush()

    def tick(self, now: datetime) -> list[Message]:
        """Act on deadlines: timers that ran out, confirmations that never came."""
        self._house.out = []
        self._timers.expire_due(now)
        self._confirmations.expire(now)
        self._speech.expire(now)
        self._routine_steps.tick(now)
        due = self._state.next_publish
        if due is not None and now >= due:
            self._state.publish(now)
        return self._house.flush()

    def next_wakeup(self) -> datetime | None:
        """Return when tick() next has something to do."""
        moments = self._timers.deadlines()
        moments += self._confirmations.deadlines()
        moments += self._speech.deadlines()
        if self._state.next_publish is not None:
            moments.append(self._state.next_publish)
        routine = self.routines.next_wakeup()
        if routine is not None:
            moments.append(routine)
        return min(moments, default=None)

    def snapshot(self, now: datetime, valid: timedelta = STATE_VALID) -> HomeState:
        """Describe devices, timers and the bath, as published on the state topic."""
        return self._state.snapshot(now, valid)

    def utterances(self) -> list[Utterance]:
        """Hand over the words queued for a speaker reached other than by MQTT."""
        return self._speech.utterances()

    def spoken(self, say_id: str, code: str | None, reason: str, now: datetime) -> list[Message]:
        """Answer the announcement Home Assistant said (code None) or could not say."""
        self._house.out = []
        self._speech.spoken(say_id, code, reason)
        return self._house.flush()

    def _status(self, call: Call[Status], now: datetime) -> None:
        self._replies.ok(call.verb, call.transaction, self._state.snapshot(now))
