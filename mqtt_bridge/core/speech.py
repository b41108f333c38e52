"""Words for the runner: announcements on request and the bridge's own news, said or failed."""

from __future__ import annotations

import itertools
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from mqtt_bridge.adapters.speakers import HomeAssistantSpeaker, Utterance
from mqtt_bridge.config import Role
from mqtt_bridge.core.house import House
from mqtt_bridge.core.replies import Replies
from mqtt_bridge.core.verbs import Call, Speak
from mqtt_bridge.errors import DeviceError
from mqtt_bridge.protocol import DEVICE_ERROR, NOT_CONFIGURED, OFFLINE, TIMEOUT
from mqtt_bridge.reply_types import Announced

log = logging.getLogger(__name__)


@dataclass
class PendingSay:
    """An announcement waiting for the satellite's sayFinished."""

    transaction: str | None
    deadline: datetime


class Speech:
    """Send words to the speaker and answer an announcement once it is said or lost."""

    def __init__(self, house: House, replies: Replies) -> None:
        self._house = house
        self._replies = replies
        self._says: dict[str, PendingSay] = {}
        # Words for a speaker the edge reaches other than by MQTT (Home Assistant's REST API).
        self._utterances: list[Utterance] = []
        self._say_ids = itertools.count(1)
        # New at every start: Hermes session ids must not repeat across bridges or restarts.
        self._say_prefix = secrets.token_hex(4)

    def announce(self, call: Call[Speak], now: datetime) -> None:
        """Handle `announce`: say the words, answered now or once the speaker confirms."""
        speaker = self._house.speaker()
        if speaker is None:
            raise DeviceError(NOT_CONFIGURED, "no speaker is set up")
        if self._house.devices[Role.SPEAKER].online is False:
            raise DeviceError(OFFLINE, "the speaker is offline")
        say_id = self.say(call.body.text, now, transaction=call.transaction)
        if not speaker.confirms:
            self._replies.ok(call.verb, call.transaction, Announced(id=say_id, confirmed=False))

    def say(self, words: str, now: datetime, transaction: str | None = None) -> str:
        """Queue words for the speaker; return their id."""
        house = self._house
        speaker = house.speaker()
        kind = "req" if transaction else "bridge"
        say_id = f"{kind}-{self._say_prefix}-{next(self._say_ids)}"
        if speaker is None:
            log.info("no speaker for: %s", words)
            return say_id
        house.out += speaker.say(words, say_id)
        if isinstance(speaker, HomeAssistantSpeaker):
            self._utterances.append(Utterance(say_id, words))
        if speaker.confirms:
            # Speech takes time: allow for reading the words aloud before calling it lost.
            allowance = house.real(5 + len(words) / 12)
            if isinstance(speaker, HomeAssistantSpeaker):
                # Its worker always reports within timeout_s: this is only a backstop.
                allowance = house.real(speaker.timeout_s + 5)
            self._says[say_id] = PendingSay(transaction, now + allowance)
        return say_id

    def utterances(self) -> list[Utterance]:
        """Hand over the words queued for a speaker reached other than by MQTT."""
        queued, self._utterances = self._utterances, []
        return queued

    def said(self, say_id: str) -> None:
        """The speaker finished saying one of ours."""
        say = self._says.pop(say_id, None)
        if say is not None and say.transaction is not None:
            self._replies.ok("announce", say.transaction, Announced(id=say_id, confirmed=True))

    def not_said(self, say_id: str, why: str) -> None:
        """The speaker reported it could not say one of ours: that announcement failed."""
        say = self._says.pop(say_id, None)
        if say is None:
            return  # another bridge's, or one already answered
        log.warning("the speaker could not say %s: %s", say_id, why)
        self._replies.finish(say.transaction)
        failure = DeviceError(DEVICE_ERROR, f"the speaker could not say it: {why}")
        self._replies.error("announce", say.transaction, failure)

    def spoken(self, say_id: str, code: str | None, reason: str) -> None:
        """Answer the announcement Home Assistant said (code None) or could not say."""
        if code is None:
            self.said(say_id)
            return
        say = self._says.pop(say_id, None)
        if say is None or say.transaction is None:
            # A routine step or the bridge's own news: nobody waits, but the log tells.
            log.warning("the speaker did not say %s: %s", say_id, reason)
        if say is None:
            return
        self._replies.finish(say.transaction)
        self._replies.error("announce", say.transaction, DeviceError(code, reason))

    def expire(self, now: datetime) -> None:
        """Fail every announcement the speaker has not confirmed in time."""
        for say_id, say in [(k, v) for k, v in self._says.items() if v.deadline <= now]:
            del self._says[say_id]
            if say.transaction is None:
                continue  # the bridge's own words: only an error from the speaker is reported
            self._replies.finish(say.transaction)
            failure = DeviceError(TIMEOUT, "the speaker did not answer")
            self._replies.error("announce", say.transaction, failure)

    def deadlines(self) -> list[datetime]:
        """Return when each unconfirmed announcement counts as lost."""
        return [say.deadline for say in self._says.values()]
