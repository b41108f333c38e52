"""What devices report: states observed, commands confirmed, and switches kept to the sessions."""

from __future__ import annotations

import logging
from datetime import datetime

from mqtt_bridge.adapters import HermesSpeaker, Observation, TopicSpeaker
from mqtt_bridge.adapters.speakers import HomeAssistantSpeaker
from mqtt_bridge.config import Role
from mqtt_bridge.core.bath import BathControl
from mqtt_bridge.core.confirmations import Confirmations
from mqtt_bridge.core.heat import Heat
from mqtt_bridge.core.house import ROLE_NAMES, House
from mqtt_bridge.core.speech import Speech
from mqtt_bridge.core.state import State
from mqtt_bridge.core.timers import SessionTimers
from mqtt_bridge.store import Timer

log = logging.getLogger(__name__)


class Devices:
    """Take every device message to its adapter, and act on what the observation says."""

    def __init__(
        self,
        house: House,
        confirmations: Confirmations,
        timers: SessionTimers,
        speech: Speech,
        state: State,
        heat: Heat,
        bath: BathControl,
    ) -> None:
        self._house = house
        self._confirmations = confirmations
        self._timers = timers
        self._speech = speech
        self._state = state
        self._heat = heat
        self._bath = bath

    def message(self, topic: str, payload: bytes, now: datetime) -> None:
        """Handle a message on a device's topic."""
        for device in self._house.config.devices:
            adapter = device.adapter
            if isinstance(adapter, HomeAssistantSpeaker):
                continue
            if isinstance(adapter, HermesSpeaker | TopicSpeaker):
                finished = adapter.finished(topic, payload)
                if finished is not None:
                    self._speech.said(finished)
                failed = adapter.failed(topic, payload)
                if failed is not None:
                    self._speech.not_said(*failed)
                continue
            if topic not in adapter.subscriptions():
                continue
            observation = adapter.parse(topic, payload)
            if observation is not None:
                self._observe(device.role, observation, now)

    def _observe(self, role: Role, observation: Observation, now: datetime) -> None:
        house = self._house
        state = house.devices[role]
        before = state.as_tuple()
        state.update(observation)
        if observation.auto_off_s is not None:
            self._confirmations.auto_off_reported(role, observation.auto_off_s, now)
        timer = house.timers.get(role)
        if (
            before[0] is False
            and state.online
            and timer is not None
            and timer.detail.get("expired")
        ):
            house.switch_off(
                role
            )  # back from offline: the OFF it missed goes now, not at the retry
        if observation.error is not None:
            self._confirmations.refused_by_device(role, observation.error, now)
        if observation.on is not None:
            self._confirmations.confirm(role, observation.on, now)
            if role in (Role.HEATING_PAD, Role.BATH_VALVE):
                self._reconcile_switch(role, observation.on, now)
        self._bath.sensed(role, state, now)
        if before != state.as_tuple():
            self._state.publish(now)

    def _reconcile_switch(self, role: Role, on: bool, now: datetime) -> None:
        house = self._house
        if self._confirmations.starting(role):
            return  # a start is waiting for exactly this: its own wait decides
        timer = house.timers.get(role)
        watching = timer is not None and bool(timer.detail.get("off"))
        if on:
            if timer is not None and watching and not timer.detail.get("expired"):
                # On again inside a session that went off early: off at once; the watch, and
                # with it the session's limit, stays.
                log.warning("%s came back on by itself: switching it off", ROLE_NAMES[role])
                house.switch_off(role)
            elif timer is None or timer.detail.get("expired"):
                # Heat and water only run inside a live bridge session: anything else goes off.
                log.warning("%s is on outside a session: switching it off", ROLE_NAMES[role])
                self._timers.stop_until_off(role, now, "unexpected")
            return
        if timer is None:
            if role is Role.BATH_VALVE:
                self._bath.valve_closed(now)
            return
        if timer.detail.get("expired") or timer.deadline <= now:
            house.drop_timer(role)
            if not watching:
                self._session_off(role, timer, now)
            return
        if watching:
            return  # already known off; the watch runs on to its deadline
        # Off before the deadline: its own auto-off, a hand, or a state topic that lies. Keep
        # watching until the deadline, so an ON nobody asked for is switched off, the session's
        # limit still holds, and OFF is sent at the deadline whatever the state topic said.
        watch = Timer(
            timer.device, timer.kind, timer.started, timer.deadline, {**timer.detail, "off": True}
        )
        house.timers[role] = watch
        house.record(house.store.put, watch)
        switch = house.switch(role)
        if switch is not None and switch.auto_off:
            # Its own timer may still be armed, and some flip the relay rather than switch it
            # off (a Tuya countdown): a state command cancels it before it can switch back ON.
            house.switch_off(role)
        self._session_off(role, timer, now)

    def _session_off(self, role: Role, timer: Timer, now: datetime) -> None:
        """A session's device is confirmed off: the session is over for the runner."""
        if role is Role.BATH_VALVE:
            self._bath.valve_closed(now)
        else:
            self._heat.ended(timer, now)
