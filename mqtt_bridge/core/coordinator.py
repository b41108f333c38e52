"""The bridge's decisions, free of I/O: events and times in, MQTT messages out.

Every public method takes the current time and returns the messages to publish, so the timer and
interlock logic is tested with a fake clock and no broker. Timers are written to the TimerStore
before a device is switched on, so a crash never leaves heat or water without a deadline.
"""

from __future__ import annotations

import functools
import itertools
import logging
import secrets
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from mqtt_bridge.adapters import HermesSpeaker, Observation, Speaker, Switch, TopicSpeaker
from mqtt_bridge.adapters.speakers import HomeAssistantSpeaker, Utterance
from mqtt_bridge.config import BridgeConfig, Role
from mqtt_bridge.discovery import PUBLISHED_KEY, Published, discovery_messages
from mqtt_bridge.errors import (
    BridgeError,
    DeviceError,
    RefusedError,
    RequestError,
    StoreError,
)
from mqtt_bridge.health import HEALTH_RULE, RunnerHealth
from mqtt_bridge.messages import Message, text
from mqtt_bridge.protocol import (
    BUSY,
    DEVICE_ERROR,
    EXPIRED,
    NOT_CONFIGURED,
    OFFLINE,
    STATE_REFRESH_S,
    STATE_VALID_S,
    TIMEOUT,
    ReplyTo,
    Request,
    Topics,
    UnknownVerb,
    error,
    ok,
    parse_request,
    routed,
    transaction_of,
)
from mqtt_bridge.routine_control import RoutineControl
from mqtt_bridge.store import Timer, TimerStore
from routines.engine import Action, Announce, FillBath, StartHeat, StopDevice
from routines.gate import BathRequest, HeatRequest

HEAT = "heat"
BATH = "bath"
LAST_HEAT_END = "last_heat_end"
# An OFF that is not confirmed is sent again this often until the device says it is off.
RETRY_OFF = timedelta(seconds=10)
STATE_REFRESH = timedelta(seconds=STATE_REFRESH_S)
STATE_VALID = timedelta(seconds=STATE_VALID_S)
# After a device with its own auto-off stops answering, OFF is retried until that auto-off has
# surely fired (its deadline plus this), then the bridge stops asking.
AUTO_OFF_GRACE_S = 30.0
# Verbs that only ever make things safer (or just look): carried out however late they arrive.
LATE_IS_SAFE = frozenset({"heat/stop", "bath/stop", "routine/stop", "routine/pause", "status"})
ANSWERED_KEEP = 500
MAX_ANNOUNCEMENT = 1000
EPSOM = {"grams": 500, "cups": 2}
KIND_ROLES = {HEAT: Role.HEATING_PAD, BATH: Role.BATH_VALVE}
ROLE_KINDS = {role: kind for kind, role in KIND_ROLES.items()}
ROUTINE_KEY = "routine"
# A device switching itself off this close to the deadline is its own auto-off doing its job.
DEADLINE_TOLERANCE_S = 5.0

ROLE_NAMES: dict[Role, str] = {
    Role.HEATING_PAD: "the heating pad",
    Role.BATH_VALVE: "the bath valve",
    Role.BATH_TEMPERATURE: "the bath thermometer",
    Role.BATH_LEVEL: "the bath level sensor",
    Role.LEAK_SENSOR: "the leak sensor",
    Role.SPEAKER: "the speaker",
}

log = logging.getLogger(__name__)


@dataclass
class DeviceState:
    """What we last heard from a device."""

    online: bool | None = None
    on: bool | None = None
    temperature_c: float | None = None
    wet: bool | None = None

    def update(self, observation: Observation) -> None:
        """Overlay what a message said."""
        for name in ("online", "on", "temperature_c", "wet"):
            value = getattr(observation, name)
            if value is not None:
                setattr(self, name, value)
        if observation.on is not None:
            self.online = True


@dataclass
class Pending:
    """A command waiting for its device to confirm the new state."""

    role: Role
    want_on: bool
    deadline: datetime
    verb: str
    transaction: str | None
    on_confirmed: Callable[[datetime], dict[str, Any]]
    on_timeout: Callable[[datetime], None] = lambda now: None
    # For a device that answers its auto-off on its own (Tasmota's PulseTime): the seconds asked
    # for. ON is confirmed only once that answer came too, and ON alone is remembered meanwhile.
    auto_off_s: float | None = None
    auto_off_set: bool = False
    on_seen: bool = False

    @property
    def waits_for_auto_off(self) -> bool:
        return self.auto_off_s is not None and not self.auto_off_set


@dataclass
class PendingSay:
    """An announcement waiting for the satellite's sayFinished."""

    transaction: str | None
    deadline: datetime


@dataclass
class Bath:
    """Where the bath is at."""

    # idle | filling | closing (full, valve not yet confirmed closed) | ready
    # | stopping (asked to stop, not yet confirmed) | stopped | too_hot | leak
    status: str = "idle"
    target_c: float | None = None
    epsom: bool = False


@dataclass
class BridgeCore:
    """Decide what to publish for every request, device report and tick of the clock."""

    config: BridgeConfig
    store: TimerStore
    # Clock seconds per real second: waits for devices and speech are real-time allowances.
    time_scale: float = 1.0
    # The wall-clock time of a clock time: callers' deadlines are in wall-clock time.
    wall: Callable[[datetime], datetime] = field(default=lambda moment: moment)
    topics: Topics = field(init=False)
    devices: dict[Role, DeviceState] = field(init=False)
    timers: dict[Role, Timer] = field(init=False, default_factory=dict)
    bath: Bath = field(init=False, default_factory=Bath)
    _pending: list[Pending] = field(init=False, default_factory=list)
    _says: dict[str, PendingSay] = field(init=False, default_factory=dict)
    _answered: OrderedDict[str, list[Message]] = field(init=False, default_factory=OrderedDict)
    _in_flight: set[str] = field(init=False, default_factory=set)
    # MQTT 5 requests in flight: where each transaction's answer goes.
    _routes: OrderedDict[str, ReplyTo] = field(init=False, default_factory=OrderedDict)
    # The request being handled, if it named a response topic: (its transaction, where to answer).
    _reply_to: tuple[str | None, ReplyTo] | None = field(init=False, default=None)
    _out: list[Message] = field(init=False, default_factory=list)
    # Words for a speaker the edge reaches other than by MQTT (Home Assistant's REST API).
    _utterances: list[Utterance] = field(init=False, default_factory=list)
    _next_state: datetime | None = field(init=False, default=None)
    _say_ids: Any = field(init=False, default_factory=lambda: itertools.count(1))
    # New at every start: Hermes session ids must not repeat across bridges or restarts.
    _say_prefix: str = field(init=False, default_factory=lambda: secrets.token_hex(4))
    routines: RoutineControl = field(init=False)
    health: RunnerHealth = field(init=False)

    def __post_init__(self) -> None:
        self.health = RunnerHealth(self.store)
        self.routines = RoutineControl(self.config.routines, self._routine_action, self.health)
        self.topics = Topics(self.config.home)
        self.devices = {device.role: DeviceState() for device in self.config.devices}
        self._handlers: dict[str, Callable[[Request, datetime], None]] = {
            "heat/start": self._heat_start,
            "heat/stop": self._heat_stop,
            "bath/fill": self._bath_fill,
            "bath/stop": self._bath_stop,
            "announce": self._announce,
            "status": self._status,
            "routine/start": self._routine_start,
            "routine/stop": self._routine_control,
            "routine/pause": self._routine_control,
            "routine/resume": self._routine_control,
            "routine/next": self._routine_control,
        }
        self._ha_commands: dict[tuple[str, str], Callable[[datetime], None]] = {
            ("heat/set", "ON"): lambda now: self._run_internal("heat/start", {}, now),
            ("heat/set", "OFF"): lambda now: self._run_internal("heat/stop", {}, now),
            ("bath/set", "OPEN"): lambda now: self._run_internal("bath/fill", {}, now),
            ("bath/set", "CLOSE"): lambda now: self._run_internal("bath/stop", {}, now),
            ("bath/set", "STOP"): lambda now: self._run_internal("bath/stop", {}, now),
            ("stop_all/press", "PRESS"): self._stop_everything,
        }
        for name in self.config.routines:
            self._ha_commands[("routine/set", name.upper())] = functools.partial(
                self._run_internal, "routine/start", {"name": name}
            )
        self._ha_commands[("routine/set", "NONE")] = functools.partial(
            self._run_internal, "routine/stop", {}
        )

    # --- life cycle ------------------------------------------------------------------------

    def subscriptions(self) -> list[str]:
        """Return every topic the bridge listens to."""
        topics = [
            self.topics.requests,
            self.topics.ha_command("#"),
            self.topics.health("+"),
            self._ha_status,
        ]
        for device in self.config.devices:
            topics += device.adapter.subscriptions()
        return list(dict.fromkeys(topics))

    def start(self, now: datetime) -> list[Message]:
        """Load persisted timers: any deadline already passed means OFF now."""
        self._out = []
        try:
            self.health.load()
            stored = self.store.timers()
            routine = self.store.get_json(ROUTINE_KEY)
        except StoreError as exc:
            # Without its timers the bridge can't know what may be running: switch it all off.
            log.error("%s; switching heat and water off to be safe", exc)
            for switched in KIND_ROLES.values():
                self._switch_off(switched)
            return self._flush()
        for timer in stored:
            role = KIND_ROLES.get(timer.kind)
            if role is None or self._switch(role) is None:
                self._record(self.store.delete, timer.device)
                continue
            timer = self._within_limit(role, timer, now)
            self.timers[role] = timer
            if timer.kind == BATH:
                detail = timer.detail
                status = str(detail.get("status", "filling"))
                self.bath = Bath(status, detail.get("target_c"), bool(detail.get("epsom")))
            if timer.deadline <= now and not timer.detail.get("expired"):
                log.warning("%s's deadline passed while the bridge was down: off now", timer.device)
                self._timer_expired(role, timer, now)
            elif timer.deadline <= now:
                self._switch_off(role)
        self.routines.restore(routine, now)
        self._record(self.store.put_json, ROUTINE_KEY, None)
        return self._flush()

    def _within_limit(self, role: Role, timer: Timer, now: datetime) -> Timer:
        """Cut a stored deadline that is further off than any session may last."""
        safety = self.config.safety
        longest = timedelta(
            minutes=safety.heat_max_minutes if role is Role.HEATING_PAD else safety.fill_max_minutes
        )
        if timer.deadline <= now + longest:
            return timer
        # Only a clock stepped back since it was stored (or a tampered file) gets here.
        log.warning("%s's stored deadline is too far off: cutting it to the limit", timer.device)
        cut = Timer(timer.device, timer.kind, min(timer.started, now), now + longest, timer.detail)
        self._record(self.store.put, cut)
        return cut

    def connected(self, now: datetime) -> list[Message]:
        """(Re)assert everything after (re)connecting: availability, discovery, states."""
        self._out = [Message(self.topics.availability, "online", retain=True)]
        if self.config.homeassistant:
            self._discover()
        for device in self.config.devices:
            query = getattr(device.adapter, "query", None)
            if query is not None:
                self._out += query()
        for role, timer in self.timers.items():
            if timer.deadline <= now:
                self._switch_off(role)
        self._publish_state(now)
        return self._flush()

    @property
    def _ha_status(self) -> str:
        # Home Assistant's birth message lives under its discovery prefix.
        return f"{self.config.discovery_prefix}/status"

    def _discover(self) -> None:
        """Publish discovery, first removing what the config no longer has."""
        try:
            previous = Published.from_json(self.store.get_json(PUBLISHED_KEY))
        except StoreError as exc:
            log.error("%s; cannot tell which Home Assistant entities to clear", exc)
            previous = None
        messages, published = discovery_messages(self.config, self.topics, previous)
        self._out += messages
        if published != previous:
            self._record(self.store.put_json, PUBLISHED_KEY, published.to_json())

    def shutdown(self, now: datetime) -> list[Message]:
        """Turn heat and water off before the bridge goes away; deadlines become 'now'."""
        self._out = []
        for role in (Role.HEATING_PAD, Role.BATH_VALVE):
            switch = self._switch(role)
            if switch is None:
                continue
            if role in self.timers or self.devices[role].on:
                self._out += switch.turn_off()
            if role in self.timers:
                # Kept, already expired: the next start sends OFF again until it is confirmed.
                timer = self.timers[role]
                self._record(
                    self.store.put,
                    Timer(timer.device, timer.kind, timer.started, now, timer.detail),
                )
        # Nobody will refresh the state after this: leave one that says it no longer holds.
        self._out.append(
            Message.json(self.topics.state, self.snapshot(now, valid=timedelta(0)), retain=True)
        )
        self._out.append(Message(self.topics.availability, "offline", retain=True))
        return self._flush()

    # --- events ----------------------------------------------------------------------------

    def message(
        self, topic: str, payload: bytes, now: datetime, reply_to: ReplyTo | None = None
    ) -> list[Message]:
        """Handle one incoming MQTT message; an MQTT 5 request may say where to answer."""
        self._out = []
        # A confirmation queued behind its deadline (a hung bridge) must not turn into a late ok.
        self._expire_pending(now)
        verb = self.topics.verb_of(topic)
        runner = self.topics.runner_of(topic)
        if verb is not None:
            if reply_to is not None and not reply_to.usable_for(self.topics):
                log.warning("ignoring a response topic outside this home's reply topics")
                reply_to = None
            if reply_to is not None:
                self._reply_to = (transaction_of(payload), reply_to)
            try:
                self._request(verb, payload, now)
            finally:
                self._reply_to = None
        elif runner is not None:
            if self.health.message(runner, payload):
                self._health_changed(now)
        elif topic.startswith(self.topics.ha_command("")):
            self._ha_command(topic[len(self.topics.ha_command("")) :], text(payload), now)
        elif topic == self._ha_status:
            if text(payload) == "online" and self.config.homeassistant:
                self._discover()
                self._publish_state(now)
        else:
            self._device_message(topic, payload, now)
        return self._flush()

    def tick(self, now: datetime) -> list[Message]:
        """Act on deadlines: timers that ran out, confirmations that never came."""
        self._out = []
        for role, timer in list(self.timers.items()):
            if timer.deadline <= now:
                self._timer_expired(role, timer, now)
        self._expire_pending(now)
        for say_id, say in [(k, v) for k, v in self._says.items() if v.deadline <= now]:
            del self._says[say_id]
            if say.transaction is None:
                continue  # the bridge's own words: only an error from the speaker is reported
            self._finish(say.transaction)
            failure = DeviceError(TIMEOUT, "the speaker did not answer")
            self._reply_error("announce", say.transaction, failure)
        self._tick_routine(now)
        if self._next_state is not None and now >= self._next_state:
            self._publish_state(now)
        return self._flush()

    def _expire_pending(self, now: datetime) -> None:
        for pending in [p for p in self._pending if p.deadline <= now]:
            self._pending.remove(pending)
            self._finish(pending.transaction)
            pending.on_timeout(now)
            name = ROLE_NAMES[pending.role]
            if pending.want_on and pending.on_seen:
                why = f"{name} switched on but did not confirm its own auto-off timer"
                failure = DeviceError(TIMEOUT, f"{why}, so I've switched it off")
            elif pending.want_on:
                failure = DeviceError(TIMEOUT, f"{name} did not answer")
            else:
                failure = DeviceError(TIMEOUT, f"{name} did not confirm it is off")
            self._reply_error(pending.verb, pending.transaction, failure)

    def next_wakeup(self) -> datetime | None:
        """Return when tick() next has something to do."""
        moments = [timer.deadline for timer in self.timers.values()]
        moments += [pending.deadline for pending in self._pending]
        moments += [say.deadline for say in self._says.values()]
        if self._next_state is not None:
            moments.append(self._next_state)
        routine = self.routines.next_wakeup()
        if routine is not None:
            moments.append(routine)
        return min(moments, default=None)

    # --- requests ------------------------------------------------------------------------

    def _request(self, verb: str, payload: bytes, now: datetime) -> None:
        try:
            request = parse_request(verb, payload)
        except UnknownVerb as exc:
            log.warning("unknown request verb %r", verb)
            self._reply_error(verb, exc.request.transaction, exc)
            return
        except RequestError as exc:
            log.warning("malformed %s request: %s", verb, exc)
            self._reply_error(verb, transaction_of(payload), exc)
            return
        transaction = request.transaction
        if transaction is not None:
            if transaction in self._answered:
                log.info("transaction %s was answered already: repeating the answer", transaction)
                self._out += self._answered[transaction]
                return
            if transaction in self._in_flight:
                log.info("transaction %s is still in progress: ignoring the duplicate", transaction)
                return
        if request.expires_at is not None and verb not in LATE_IS_SAFE:
            late = (self.wall(now) - request.expires_at).total_seconds()
            if late >= 0:
                log.warning(
                    "%s arrived %.1f s after its caller stopped waiting: not done", verb, late
                )
                failure = DeviceError(
                    EXPIRED, "the request arrived after its caller stopped waiting, so I didn't act"
                )
                self._reply_error(verb, transaction, failure)
                return
        if transaction is not None:
            self._in_flight.add(transaction)
            if self._reply_to is not None:
                # Answered later (a device confirms): the answer must still find its way.
                self._routes[transaction] = self._reply_to[1]
                while len(self._routes) > ANSWERED_KEEP:
                    self._routes.popitem(last=False)
        queued = len(self._out)
        try:
            self._handlers[verb](request, now)
        except BridgeError as exc:
            log.info("%s refused: %s", verb, exc)
            self._finish(transaction)
            self._reply_error(verb, transaction, exc)
        except Exception:  # a bug: still answer, and send no ON the handler half-queued
            log.exception("%s failed unexpectedly", verb)
            if verb not in LATE_IS_SAFE:
                del self._out[queued:]  # an OFF it queued stays: stopping is always safe
            self._finish(transaction)
            self._reply_error(
                verb, transaction, BridgeError("the home bridge could not handle this request")
            )

    def _run_internal(self, verb: str, params: dict[str, Any], now: datetime) -> None:
        try:
            self._handlers[verb](Request(verb, None, params), now)
        except BridgeError as exc:
            log.warning("%s (from Home Assistant or a routine) refused: %s", verb, exc)
            self._reply_error(verb, None, exc)
            self._internal_failed(verb, exc, now)

    def _internal_failed(self, verb: str, failure: BridgeError, now: datetime) -> None:
        reason = str(failure)
        if getattr(failure, "rule", None) == HEALTH_RULE:
            # The gate's own sentence, for whoever pressed the button or started the routine.
            self._say(reason, now)
            if self.routines.active:
                condition = {"heat/start": "heat_done", "bath/fill": "bath_ready"}.get(verb)
                if condition is not None:
                    self.routines.condition(condition, now, ok=False)
            return
        if not self.routines.active:
            return
        if verb == "heat/start":
            self._say(f"The heating pad can't start: {reason}.", now)
            self.routines.condition("heat_done", now, ok=False)
        elif verb == "bath/fill":
            self._say(f"The bath can't start: {reason}.", now)
            self.routines.condition("bath_ready", now, ok=False)

    def _ha_command(self, name: str, payload: str, now: datetime) -> None:
        command = self._ha_commands.get((name, payload.upper()))
        if command is None:
            log.warning("ignoring Home Assistant command %s=%r", name, payload)
            return
        command(now)

    def _reply_ok(self, verb: str, transaction: str | None, data: dict[str, Any]) -> None:
        self._remember(transaction, ok(self.topics, verb, transaction, data))

    def _reply_error(self, verb: str, transaction: str | None, failure: BridgeError) -> None:
        self._remember(transaction, error(self.topics, verb, transaction, failure))

    def _remember(self, transaction: str | None, reply: Message) -> None:
        route = self._routes.pop(transaction, None) if transaction is not None else None
        if route is None and self._reply_to is not None and self._reply_to[0] == transaction:
            route = self._reply_to[1]
        reply = routed(reply, route)
        self._out.append(reply)
        if transaction is not None:
            self._in_flight.discard(transaction)
            self._answered[transaction] = [reply]
            while len(self._answered) > ANSWERED_KEEP:
                self._answered.popitem(last=False)

    def _finish(self, transaction: str | None) -> None:
        if transaction is not None:
            self._in_flight.discard(transaction)

    # --- heat ------------------------------------------------------------------------------

    def _heat_start(self, request: Request, now: datetime) -> None:
        switch = self._usable(Role.HEATING_PAD)
        params = dict(request.params)
        runner = self.health.from_request(params)
        _only(params, {"minutes", "confirm_quiet_hours"})
        self.health.check(HeatRequest(), runner)
        confirmed = params.get("confirm_quiet_hours", False)
        if not isinstance(confirmed, bool):
            raise RequestError("confirm_quiet_hours must be true or false")
        minutes, limited = self.config.safety.heat_minutes(params.get("minutes"))
        longest = timedelta(minutes=self.config.safety.heat_max_minutes)
        running = self.timers.get(Role.HEATING_PAD)
        if running is not None and running.started + longest <= now:
            running = None  # that session's time is up: this one is new
        if running is None:
            last_end = self.store.get_time(LAST_HEAT_END)
            self.config.safety.check_heat_start(
                self._local(now), self._local(last_end) if last_end else None, confirmed
            )
            started = now
        else:
            # Renewed, or on again after an early OFF: still the same session.
            started = running.started
        # A session never runs past its limit from when it first started, however often renewed.
        wanted = min(now + timedelta(minutes=minutes), started + longest)
        # The device's own auto-off counts whole seconds and must never run past the deadline.
        seconds = max(1, int((wanted - now).total_seconds()))
        deadline = _whole_second(now + timedelta(seconds=seconds))
        limited = limited or wanted < now + timedelta(minutes=minutes)
        detail = {"runner": runner} if runner else {}
        timer = Timer(self._name(Role.HEATING_PAD), HEAT, started, deadline, detail)
        self.store.put(timer)  # before the ON: a crash from here on still has a deadline
        self.timers[Role.HEATING_PAD] = timer
        self._out += switch.turn_on(seconds)

        def confirmed_on(at: datetime) -> dict[str, Any]:
            return {
                "device": timer.device,
                "minutes": max(1, round(seconds / 60)),  # what was granted, said aloud
                "ends_at": _iso(timer.deadline),
                "limited": limited,
                "max_minutes": self.config.safety.heat_max_minutes,
                "device_auto_off": switch.auto_off,
            }

        def failed(at: datetime) -> None:
            self._stop_until_off(Role.HEATING_PAD, at, "failed")
            self.routines.condition("heat_done", at, ok=False)

        self._expect(
            Role.HEATING_PAD, True, request, now, confirmed_on, failed, _auto_off(switch, seconds)
        )

    def _heat_stop(self, request: Request, now: datetime) -> None:
        self._stop_request(Role.HEATING_PAD, request, now, "was_on")

    def _stop_request(self, role: Role, request: Request, now: datetime, key: str) -> None:
        """Send OFF whatever the device's availability says, and keep sending it until confirmed."""
        switch = self._switch(role)
        if switch is None:
            raise DeviceError(NOT_CONFIGURED, f"no {ROLE_NAMES[role][4:]} is set up")
        _only(request.params, set())
        state = self.devices[role]
        if role not in self.timers and state.on is False and state.online is not False:
            self._reply_ok(request.verb, request.transaction, {key: False})
            return
        if role is Role.BATH_VALVE and self.bath.status == "filling":
            self.bath.status = "stopping"
        self._stop_until_off(role, now, "stop")
        self._publish_state(now)
        if state.online is False:
            raise DeviceError(
                OFFLINE,
                f"{ROLE_NAMES[role]} is offline: I've sent it the off command "
                "and will keep sending it until it confirms",
            )
        self._expect(role, False, request, now, lambda at: {key: True})

    # --- bath ------------------------------------------------------------------------------

    def _bath_fill(self, request: Request, now: datetime) -> None:
        valve = self._usable(Role.BATH_VALVE)
        params = dict(request.params)
        runner = self.health.from_request(params)
        _only(params, {"temperature_c", "epsom"})
        self.health.check(BathRequest(), runner)
        epsom = params.get("epsom", False)
        if not isinstance(epsom, bool):
            raise RequestError("epsom must be true or false")
        target = self.config.safety.bath_target(params.get("temperature_c"))
        running = self.timers.get(Role.BATH_VALVE)
        if running is not None and not running.detail.get("off"):
            raise DeviceError(
                BUSY,
                "the bath valve is still closing"
                if running.detail.get("expired")
                else "the bath is already filling",
            )
        self._check_sensors_before_filling(target)
        seconds = self.config.safety.fill_seconds
        deadline = _whole_second(now + timedelta(seconds=seconds))
        timer = Timer(
            self._name(Role.BATH_VALVE),
            BATH,
            now,
            deadline,
            {"target_c": target, "epsom": epsom, **({"runner": runner} if runner else {})},
        )
        self.store.put(timer)
        self.timers[Role.BATH_VALVE] = timer
        self.bath = Bath("filling", target, epsom)
        self._out += valve.turn_on(seconds)

        def confirmed_open(at: datetime) -> dict[str, Any]:
            data: dict[str, Any] = {
                "device": timer.device,
                "target_c": target,
                "fill_minutes": round(seconds / 60, 1),
                "ends_at": _iso(timer.deadline),
                "device_auto_off": valve.auto_off,
            }
            if epsom:
                data["epsom"] = EPSOM
            return data

        def failed(at: datetime) -> None:
            self.bath = Bath()
            self._stop_until_off(Role.BATH_VALVE, at, "failed")
            self.routines.condition("bath_ready", at, ok=False)

        self._expect(
            Role.BATH_VALVE, True, request, now, confirmed_open, failed, _auto_off(valve, seconds)
        )

    def _check_sensors_before_filling(self, target: float) -> None:
        leak = self.devices.get(Role.LEAK_SENSOR)
        if leak is not None:
            if leak.online is False:
                raise DeviceError(OFFLINE, "the leak sensor is offline, so I won't run water")
            if leak.wet is None:
                raise DeviceError(
                    OFFLINE, "the leak sensor hasn't reported yet, so I won't run water"
                )
            if leak.wet:
                raise RefusedError("the leak sensor is wet, so I won't run water", "leak")
        level = self.devices.get(Role.BATH_LEVEL)
        if level is not None and level.wet:
            raise RefusedError("the bath already looks full", "full")
        thermometer = self.devices.get(Role.BATH_TEMPERATURE)
        if thermometer is not None:
            if thermometer.online is False:
                raise DeviceError(OFFLINE, "the bath thermometer is offline")
            reading = thermometer.temperature_c
            if reading is not None and self.config.safety.too_hot(reading, target):
                raise RefusedError(
                    f"the water already reads {reading:g} degrees, which is too hot", "too_hot"
                )

    def _bath_stop(self, request: Request, now: datetime) -> None:
        self._stop_request(Role.BATH_VALVE, request, now, "was_filling")

    def _stop_bath_for(self, status: str, announcement: str, now: datetime) -> None:
        if self._switch(Role.BATH_VALVE) is None or self.bath.status not in ("filling", "closing"):
            return
        log.warning("closing the bath valve: %s", status)
        self.bath.status = status
        self._stop_until_off(Role.BATH_VALVE, now, status)
        self._say(announcement, now)
        self.routines.condition("bath_ready", now, ok=False)
        self._publish_state(now)

    # --- announcements ---------------------------------------------------------------------

    def _announce(self, request: Request, now: datetime) -> None:
        _only(request.params, {"text"})
        words = request.params.get("text")
        if not isinstance(words, str) or not words.strip():
            raise RequestError("text must be a non-empty string")
        if len(words) > MAX_ANNOUNCEMENT:
            raise RequestError(f"text must be at most {MAX_ANNOUNCEMENT} characters")
        speaker = self._speaker()
        if speaker is None:
            raise DeviceError(NOT_CONFIGURED, "no speaker is set up")
        if self.devices[Role.SPEAKER].online is False:
            raise DeviceError(OFFLINE, "the speaker is offline")
        say_id = self._say(words, now, transaction=request.transaction)
        if not speaker.confirms:
            self._reply_ok(request.verb, request.transaction, {"id": say_id, "confirmed": False})

    def _say(self, words: str, now: datetime, transaction: str | None = None) -> str:
        speaker = self._speaker()
        kind = "req" if transaction else "bridge"
        say_id = f"{kind}-{self._say_prefix}-{next(self._say_ids)}"
        if speaker is None:
            log.info("no speaker for: %s", words)
            return say_id
        self._out += speaker.say(words, say_id)
        if isinstance(speaker, HomeAssistantSpeaker):
            self._utterances.append(Utterance(say_id, words))
        if speaker.confirms:
            # Speech takes time: allow for reading the words aloud before calling it lost.
            allowance = self._real(5 + len(words) / 12)
            if isinstance(speaker, HomeAssistantSpeaker):
                # Its worker always reports within timeout_s: this is only a backstop.
                allowance = self._real(speaker.timeout_s + 5)
            self._says[say_id] = PendingSay(transaction, now + allowance)
        return say_id

    def _speaker(self) -> Speaker | None:
        device = self.config.device(Role.SPEAKER)
        return device.adapter if device is not None else None  # type: ignore[return-value]

    # --- status ----------------------------------------------------------------------------

    def _status(self, request: Request, now: datetime) -> None:
        _only(request.params, set())
        self._reply_ok(request.verb, request.transaction, self.snapshot(now))

    def snapshot(self, now: datetime, valid: timedelta = STATE_VALID) -> dict[str, Any]:
        """Describe devices, timers and the bath, as published on the state topic."""
        heat = self.timers.get(Role.HEATING_PAD)
        # Only what the device confirmed counts as on: a pad still being asked is not on.
        heat_on = self._is_on(Role.HEATING_PAD)
        session = heat if heat is not None and not heat.detail.get("expired") else None
        bath_status = self.bath.status
        if bath_status == "filling" and not self._is_on(Role.BATH_VALVE):
            bath_status = "starting"
        bath_timer = self.timers.get(Role.BATH_VALVE) if bath_status == "filling" else None
        return {
            "home": self.config.home,
            "devices": {
                device.name: {
                    "role": device.role.value,
                    "online": self.devices[device.role].online,
                    "on": self.devices[device.role].on,
                    "temperature_c": self.devices[device.role].temperature_c,
                    "wet": self.devices[device.role].wet,
                }
                for device in self.config.devices
            },
            "heat": {
                "running": heat_on,
                # On, but asked to switch off and not yet confirmed.
                "stopping": heat_on and session is None,
                "ends_at": _iso(session.deadline) if session and heat_on else None,
                "remaining_min": session.remaining_minutes(now) if session and heat_on else 0,
            },
            "bath": {
                "status": bath_status,
                "target_c": self.bath.target_c,
                "epsom": self.bath.epsom,
                "ends_at": _iso(bath_timer.deadline) if bath_timer else None,
                "remaining_min": bath_timer.remaining_minutes(now) if bath_timer else 0,
            },
            "timers": [
                {"device": t.device, "kind": t.kind, "ends_at": _iso(t.deadline)}
                for t in self.timers.values()
            ],
            "routine": self.routines.snapshot(),
            "routines": [
                {"name": routine.name, "title": routine.title}
                for routine in self.config.routines.values()
            ],
            "updated_at": _iso(now),
            # A bridge that dies stops refreshing this: past it, the state is unknown.
            "expires_at": _iso(now + valid),
        }

    def _publish_state(self, now: datetime) -> None:
        self._out.append(Message.json(self.topics.state, self.snapshot(now), retain=True))
        self._next_state = now + STATE_REFRESH

    # --- devices ---------------------------------------------------------------------------

    def _device_message(self, topic: str, payload: bytes, now: datetime) -> None:
        for device in self.config.devices:
            adapter = device.adapter
            if isinstance(adapter, HomeAssistantSpeaker):
                continue
            if isinstance(adapter, HermesSpeaker | TopicSpeaker):
                finished = adapter.finished(topic, payload)
                if finished is not None:
                    self._said(finished)
                failed = adapter.failed(topic, payload)
                if failed is not None:
                    self._not_said(*failed)
                continue
            if topic not in adapter.subscriptions():
                continue
            observation = adapter.parse(topic, payload)
            if observation is not None:
                self._observe(device.role, observation, now)

    def _observe(self, role: Role, observation: Observation, now: datetime) -> None:
        state = self.devices[role]
        before = (state.online, state.on, state.temperature_c, state.wet)
        state.update(observation)
        if observation.auto_off_s is not None:
            self._auto_off_reported(role, observation.auto_off_s, now)
        timer = self.timers.get(role)
        if (
            before[0] is False
            and state.online
            and timer is not None
            and timer.detail.get("expired")
        ):
            self._switch_off(
                role
            )  # back from offline: the OFF it missed goes now, not at the retry
        if observation.error is not None:
            self._refused_by_device(role, observation.error, now)
        if observation.on is not None:
            self._confirm(role, observation.on, now)
            if role in (Role.HEATING_PAD, Role.BATH_VALVE):
                self._reconcile_switch(role, observation.on, now)
        if role is Role.BATH_TEMPERATURE and state.temperature_c is not None:
            target = self.bath.target_c or self.config.safety.bath_default_c
            if self.config.safety.too_hot(state.temperature_c, target):
                self._stop_bath_for(
                    "too_hot",
                    f"The bath water reached {state.temperature_c:g} degrees, which is too hot, "
                    "so I've stopped filling it.",
                    now,
                )
        if role is Role.LEAK_SENSOR and state.wet:
            self._stop_bath_for("leak", "The leak sensor is wet, so I've turned off the bath.", now)
        if role is Role.BATH_LEVEL and state.wet:
            self._bath_full("the level sensor says it is full", now)
        if before != (state.online, state.on, state.temperature_c, state.wet):
            self._publish_state(now)

    def _confirm(self, role: Role, on: bool, now: datetime) -> None:
        for pending in [p for p in self._pending if p.role is role and p.want_on is on]:
            if on and pending.waits_for_auto_off:
                pending.on_seen = True  # not "on" for anyone until its auto-off is confirmed
                continue
            self._pending.remove(pending)
            data = pending.on_confirmed(now)
            self._reply_ok(pending.verb, pending.transaction, data)

    def _auto_off_reported(self, role: Role, seconds: float, now: datetime) -> None:
        """A device said what its own auto-off holds: a start waiting for it goes on or fails."""
        for pending in [p for p in self._pending if p.role is role and p.waits_for_auto_off]:
            if seconds == 0:
                continue  # a stop's own clearing, answered late: not an answer to this start
            assert pending.auto_off_s is not None
            if abs(seconds - pending.auto_off_s) < 0.5:
                pending.auto_off_set = True
                if pending.on_seen:
                    self._confirm(role, True, now)
                continue
            # Not what was asked: the device could stay on past the deadline if the bridge died.
            log.warning(
                "%s holds a %g s auto-off, not %g s: switching it off",
                ROLE_NAMES[role],
                seconds,
                pending.auto_off_s,
            )
            self._pending.remove(pending)
            self._finish(pending.transaction)
            pending.on_timeout(now)
            failure = DeviceError(
                TIMEOUT,
                f"{ROLE_NAMES[role]} did not take its own auto-off timer, so I've switched it off",
            )
            self._reply_error(pending.verb, pending.transaction, failure)

    def _refused_by_device(self, role: Role, why: str, now: datetime) -> None:
        """The device answered with an error: what waits for it fails now, in its words."""
        waiting = [p for p in self._pending if p.role is role]
        if not waiting:
            log.warning("%s answered with an error: %s", ROLE_NAMES[role], why)
            return
        for pending in waiting:
            self._pending.remove(pending)
            self._finish(pending.transaction)
            pending.on_timeout(now)  # as if never confirmed: a failed start is switched off
            failure = DeviceError(DEVICE_ERROR, f"{ROLE_NAMES[role]} answered with an error: {why}")
            self._reply_error(pending.verb, pending.transaction, failure)

    def _reconcile_switch(self, role: Role, on: bool, now: datetime) -> None:
        if any(p.role is role and p.want_on for p in self._pending):
            return  # a start is waiting for exactly this: its own wait decides
        timer = self.timers.get(role)
        watching = timer is not None and bool(timer.detail.get("off"))
        if on:
            if timer is not None and watching and not timer.detail.get("expired"):
                # On again inside a session that went off early: off at once; the watch, and
                # with it the session's limit, stays.
                log.warning("%s came back on by itself: switching it off", ROLE_NAMES[role])
                self._switch_off(role)
            elif timer is None or timer.detail.get("expired"):
                # Heat and water only run inside a live bridge session: anything else goes off.
                log.warning("%s is on outside a session: switching it off", ROLE_NAMES[role])
                self._stop_until_off(role, now, "unexpected")
            return
        if timer is None:
            if role is Role.BATH_VALVE:
                self._valve_closed(now)
            return
        if timer.detail.get("expired") or timer.deadline <= now:
            self._drop_timer(role)
            if not watching:
                self._device_off(role, timer, now)
            return
        if watching:
            return  # already known off; the watch runs on to its deadline
        # Off before the deadline: its own auto-off, a hand, or a state topic that lies. Keep
        # watching until the deadline, so an ON nobody asked for is switched off, the session's
        # limit still holds, and OFF is sent at the deadline whatever the state topic said.
        watch = Timer(
            timer.device, timer.kind, timer.started, timer.deadline, {**timer.detail, "off": True}
        )
        self.timers[role] = watch
        self._record(self.store.put, watch)
        switch = self._switch(role)
        if switch is not None and switch.auto_off:
            # Its own timer may still be armed, and some flip the relay rather than switch it
            # off (a Tuya countdown): a state command cancels it before it can switch back ON.
            self._switch_off(role)
        self._device_off(role, timer, now)

    def _device_off(self, role: Role, timer: Timer, now: datetime) -> None:
        """A session's device is confirmed off: the session is over for the runner."""
        if role is Role.BATH_VALVE:
            self._valve_closed(now)
            return
        self._record(self.store.put_time, LAST_HEAT_END, now)
        why = timer.detail.get("why")
        on_time = why == "deadline" or (
            why is None and timer.deadline <= now + self._real(DEADLINE_TOLERANCE_S)
        )
        if on_time:
            self._say("Your heating pad session is over.", now)
        self.routines.condition("heat_done", now)

    def _valve_closed(self, now: datetime) -> None:
        """The valve confirmed it is closed: only now is a full bath ready, a stop done."""
        if self.bath.status in ("filling", "closing"):
            self._bath_is_ready(now)
        elif self.bath.status == "stopping":
            self.bath.status = "stopped"
            self._publish_state(now)

    def _bath_full(self, reason: str, now: datetime) -> None:
        if self.bath.status != "filling":
            return
        log.info("bath full: %s; closing the valve", reason)
        self.bath.status = "closing"
        self._stop_until_off(Role.BATH_VALVE, now, "full")
        self._publish_state(now)

    def _bath_is_ready(self, now: datetime) -> None:
        self.bath.status = "ready"
        reading = self.devices.get(Role.BATH_TEMPERATURE)
        temperature = reading.temperature_c if reading else None
        words = "Your bath is ready"
        words += f", at {temperature:.1f} degrees." if temperature is not None else "."
        if self.bath.epsom:
            words += " Add about two cups of Epsom salt and stir."
        self._say(words, now)
        self.routines.condition("bath_ready", now)
        self._publish_state(now)

    def _timer_expired(self, role: Role, timer: Timer, now: datetime) -> None:
        if not timer.detail.get("expired"):
            if role is Role.BATH_VALVE and self.bath.status == "filling":
                self.bath.status = "closing"
            self._stop_until_off(role, now, "deadline")
            self._publish_state(now)
            return
        give_up = timer.detail.get("give_up_at")
        if isinstance(give_up, int | float) and now.timestamp() >= give_up:
            log.warning(
                "%s never confirmed it is off; its own auto-off has switched it off by now",
                ROLE_NAMES[role],
            )
            self._drop_timer(role)
            self._publish_state(now)
            return
        self._stop_until_off(role, now, "deadline")  # once more; the retry keeps its reasons

    def _stop_until_off(self, role: Role, now: datetime, why: str) -> None:
        """Send OFF now, and again every RETRY_OFF until the device says it is off."""
        switch = self._switch(role)
        if switch is None:
            return
        self._out += switch.turn_off()
        timer = self.timers.get(role)
        detail: dict[str, Any] = dict(timer.detail) if timer is not None else {}
        if timer is not None and switch.auto_off and "give_up_at" not in detail:
            # The device was given this deadline as its own auto-off.
            detail["give_up_at"] = (timer.deadline + self._real(AUTO_OFF_GRACE_S)).timestamp()
        detail.setdefault("why", why)
        detail["expired"] = True
        if role is Role.BATH_VALVE:
            detail["status"] = self.bath.status
        retry = Timer(
            self._name(role),
            ROLE_KINDS[role],
            timer.started if timer is not None else now,
            now + RETRY_OFF,
            detail,
        )
        self.timers[role] = retry
        self._record(self.store.put, retry)

    def _switch_off(self, role: Role) -> None:
        switch = self._switch(role)
        if switch is not None:
            self._out += switch.turn_off()

    def _record(self, write: Callable[..., None], *args: Any) -> None:
        """Write to the timer database; if that fails, carry on from memory: no OFF ever waits."""
        try:
            write(*args)
        except StoreError as exc:
            log.error("%s; carrying on from memory", exc)

    def _drop_timer(self, role: Role) -> None:
        timer = self.timers.pop(role, None)
        if timer is not None:
            self._record(self.store.delete, timer.device)

    def utterances(self) -> list[Utterance]:
        """Hand over the words queued for a speaker reached other than by MQTT."""
        queued, self._utterances = self._utterances, []
        return queued

    def spoken(self, say_id: str, code: str | None, reason: str, now: datetime) -> list[Message]:
        """Answer the announcement Home Assistant said (code None) or could not say."""
        self._out = []
        if code is None:
            self._said(say_id)
            return self._flush()
        say = self._says.pop(say_id, None)
        if say is None or say.transaction is None:
            # A routine step or the bridge's own news: nobody waits, but the log tells.
            log.warning("the speaker did not say %s: %s", say_id, reason)
        if say is None:
            return self._flush()
        self._finish(say.transaction)
        self._reply_error("announce", say.transaction, DeviceError(code, reason))
        return self._flush()

    def _said(self, say_id: str) -> None:
        say = self._says.pop(say_id, None)
        if say is not None and say.transaction is not None:
            self._reply_ok("announce", say.transaction, {"id": say_id, "confirmed": True})

    def _not_said(self, say_id: str, why: str) -> None:
        """The speaker reported it could not say one of ours: that announcement failed."""
        say = self._says.pop(say_id, None)
        if say is None:
            return  # another bridge's, or one already answered
        log.warning("the speaker could not say %s: %s", say_id, why)
        self._finish(say.transaction)
        failure = DeviceError(DEVICE_ERROR, f"the speaker could not say it: {why}")
        self._reply_error("announce", say.transaction, failure)

    def _expect(
        self,
        role: Role,
        want_on: bool,
        request: Request,
        now: datetime,
        on_confirmed: Callable[[datetime], dict[str, Any]],
        on_timeout: Callable[[datetime], None] = lambda now: None,
        auto_off_s: float | None = None,
    ) -> None:
        deadline = now + self._real(self.config.safety.confirm_timeout_s)
        if request.expires_at is not None:
            # Never confirm after the caller stopped waiting: it has told the user it failed.
            left = (request.expires_at - self.wall(now)).total_seconds()
            deadline = min(deadline, now + self._real(max(0.0, left)))
        self._pending.append(
            Pending(
                role,
                want_on,
                deadline,
                request.verb,
                request.transaction,
                on_confirmed,
                on_timeout,
                auto_off_s,
            )
        )
        self._publish_state(now)

    def _stop_everything(self, now: datetime) -> None:
        for role in (Role.HEATING_PAD, Role.BATH_VALVE):
            if self._switch(role) is not None:
                self._run_internal(
                    "heat/stop" if role is Role.HEATING_PAD else "bath/stop", {}, now
                )

    # --- routines --------------------------------------------------------------------------

    def _routine_start(self, request: Request, now: datetime) -> None:
        params = dict(request.params)
        runner = self.health.from_request(params)
        _only(params, {"name", "dry_run"})
        dry_run = params.get("dry_run", False)
        if not isinstance(dry_run, bool):
            raise RequestError("dry_run must be true or false")
        data = self.routines.start(params.get("name"), now, runner, dry_run)
        if not dry_run:
            self._routine_changed(now)
        self._reply_ok(request.verb, request.transaction, data)

    def _routine_control(self, request: Request, now: datetime) -> None:
        _only(request.params, set())
        data = self.routines.control(request.verb.split("/", 1)[1], now)
        self._routine_changed(now)
        self._reply_ok(request.verb, request.transaction, data)

    def _tick_routine(self, now: datetime) -> None:
        was = self.routines.snapshot()
        self.routines.tick(now)
        if self.routines.snapshot() != was:
            self._routine_changed(now)

    def _routine_changed(self, now: datetime) -> None:
        self._record(self.store.put_json, ROUTINE_KEY, self.routines.persisted())
        self._publish_state(now)

    def _routine_action(self, action: Action, now: datetime) -> None:
        """Carry out one routine action; the same safety rules apply as to any request."""
        if isinstance(action, Announce):
            self._say(action.text, now)
        elif isinstance(action, StartHeat):
            self._run_internal("heat/start", {"minutes": action.minutes, **self._runner()}, now)
        elif isinstance(action, FillBath):
            params: dict[str, Any] = {"epsom": action.epsom, **self._runner()}
            if action.temperature_c is not None:
                params["temperature_c"] = action.temperature_c
            self._run_internal("bath/fill", params, now)
        elif isinstance(action, StopDevice):
            verb = "heat/stop" if action.device == "heat" else "bath/stop"
            if self._switch(Role.HEATING_PAD if action.device == "heat" else Role.BATH_VALVE):
                self._run_internal(verb, {}, now)

    def _runner(self) -> dict[str, Any]:
        runner = self.routines.runner
        return {"runner": runner} if runner else {}

    # --- health ----------------------------------------------------------------------------

    def _health_changed(self, now: datetime) -> None:
        """A runner's red flags changed: stop heat or water the gate no longer allows."""
        for role, request, verb, done in (
            (Role.HEATING_PAD, HeatRequest(), "heat/stop", "I've switched off the heating pad"),
            (Role.BATH_VALVE, BathRequest(), "bath/stop", "I've stopped the bath"),
        ):
            timer = self.timers.get(role)
            if timer is None or timer.detail.get("expired") or timer.detail.get("off"):
                continue
            decision = self.health.decide(request, timer.detail.get("runner"))
            if not decision.allowed:
                log.warning("%s: stopping it for a runner's red flag", ROLE_NAMES[role])
                self._run_internal(verb, {}, now)
                self._say(f"{done}: {decision.why}.", now)
        self._tick_routine(now)

    # --- helpers ---------------------------------------------------------------------------

    def _is_on(self, role: Role) -> bool:
        state = self.devices.get(role)
        return state is not None and state.on is True

    def _switch(self, role: Role) -> Switch | None:
        return self.config.switch(role)

    def _usable(self, role: Role) -> Switch:
        switch = self._switch(role)
        if switch is None:
            raise DeviceError(NOT_CONFIGURED, f"no {ROLE_NAMES[role][4:]} is set up")
        if self.devices[role].online is False:
            raise DeviceError(OFFLINE, f"{ROLE_NAMES[role]} is offline")
        return switch

    def _name(self, role: Role) -> str:
        device = self.config.device(role)
        assert device is not None
        return device.name

    def _real(self, seconds: float) -> timedelta:
        return timedelta(seconds=seconds * self.time_scale)

    def _local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.config.timezone)

    def _flush(self) -> list[Message]:
        out, self._out = self._out, []
        return out


def _only(params: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(params) - allowed
    if unknown:
        raise RequestError(f"unknown parameter {sorted(unknown)[0]!r}")


def _auto_off(switch: Switch, seconds: int) -> float | None:
    """Return the auto-off a start must hear the device confirm, if it confirms one."""
    return float(seconds) if getattr(switch, "confirms_auto_off", False) else None


def _whole_second(moment: datetime) -> datetime:
    """Round up to the second: the promised end time is said and shown to the second."""
    whole = moment.replace(microsecond=0)
    return whole if whole == moment else whole + timedelta(seconds=1)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
