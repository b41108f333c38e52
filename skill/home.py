"""Reach a runner's home: which home a user controls, and one shared MQTT connection to it."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from mqtt_bridge.errors import BridgeError, NoAnswer
from mqtt_bridge.protocol import BAD_REPLY, undo_of
from mqtt_bridge.safety import SafetyLimits
from routines.health import HealthState
from skill.settings import Settings

if TYPE_CHECKING:
    from mqtt_bridge.reply_types import Reply, ReplyData

log = logging.getLogger(__name__)

BRIDGE_OFFLINE = "bridge_offline"
# Sent, but no answer in time: the bridge drops it if it arrives late, and a stop follows it.
NO_ANSWER = "no_answer"
NO_HOME = "no_home"

Data = TypeVar("Data", bound="ReplyData")


@dataclass(frozen=True)
class Outcome:
    """What actually happened at home: ok with the verb's typed data, or an error to speak."""

    ok: bool
    data: ReplyData | None = None
    code: str | None = None
    error: str | None = None
    rule: str | None = None
    # The stop sent after a request that got no answer, so nothing it asked for starts later.
    undo: str | None = None

    @classmethod
    def from_reply(cls, reply: Reply) -> Outcome:
        """Read a typed bridge reply."""
        if reply.status == "ok":
            return cls(True, reply.data)
        return cls(False, code=reply.code, error=reply.error, rule=reply.rule)

    def expect(self, kind: type[Data]) -> Data:
        """Return the data of an ok outcome, which parse_reply typed by its verb."""
        if not isinstance(self.data, kind):
            raise TypeError(f"expected {kind.__name__}, got {type(self.data).__name__}")
        return self.data


class Requester(Protocol):
    """The part of BridgeClient the skill uses (a seam for unit tests)."""

    def availability(self, home: str) -> str | None: ...

    def request(
        self, home: str, verb: str, params: dict[str, Any] | None = None, timeout: float = 5.0
    ) -> dict[str, Any]: ...

    def publish_health(self, home: str, runner: str, health: dict[str, Any]) -> None: ...


def runner_id(user_id: str | None) -> str:
    """Name a runner on the home's topics without revealing their Alexa user id."""
    digest = hashlib.sha256(f"recovery-coach:{user_id or 'anonymous'}".encode()).hexdigest()
    return digest[:16]


class HomeAccess:
    """Map Alexa users to homes and send their requests, always answering honestly."""

    def __init__(
        self,
        requester: Requester | None,
        *,
        default_home: str | None,
        user_homes: Mapping[str, str],
        safety: SafetyLimits,
        timeout_s: float,
        timezone: Any = None,
    ) -> None:
        self._requester = requester
        self._default = default_home
        self._users = dict(user_homes)
        self.safety = safety
        self.timezone = timezone
        self._timeout = timeout_s

    @classmethod
    def from_settings(cls, settings: Settings) -> HomeAccess | None:
        """Connect (in the background) when the settings name a broker and some home."""
        if settings.broker is None or not (settings.home or settings.user_homes):
            return None
        # Only these homes' availability is subscribed (others as they are first asked).
        homes = {home for home in (settings.home, *settings.user_homes.values()) if home}
        # Imported here: paho is needed only by a skill that reaches a home.
        from mqtt_bridge.client import BridgeClient

        client = BridgeClient(settings.broker, client_id=None, homes=homes)
        # Don't block start-up on the broker: paho keeps trying, and requests say if it's down.
        client.start(timeout=None)
        return cls(
            client,
            default_home=settings.home,
            user_homes=settings.user_homes,
            safety=settings.safety,
            timeout_s=settings.home_timeout_s,
            timezone=settings.timezone,
        )

    def availability_of(self, home: str) -> str | None:
        """Return a home bridge's retained availability, if heard."""
        return self._requester.availability(home) if self._requester is not None else None

    def close(self) -> None:
        """Disconnect the shared connection."""
        stop = getattr(self._requester, "stop", None)
        if stop is not None:
            stop()

    def home_for(self, user_id: str | None) -> str | None:
        """Return the home a user controls: their own mapping, else the default home."""
        if user_id and user_id in self._users:
            return self._users[user_id]
        return self._default

    def share_health(self, home: str, runner: str, health: HealthState) -> bool:
        """Tell the home's bridge a runner's red flags; False if it could not be sent now."""
        if self._requester is None:
            return False
        try:
            self._requester.publish_health(home, runner, health.to_dict())
        except BridgeError as exc:
            # Requests carry the state too, so the bridge still gates on it when next asked.
            log.warning("could not share a runner's health state with home %s: %s", home, exc)
            return False
        return True

    def request(self, home: str, verb: str, params: dict[str, Any] | None = None) -> Outcome:
        """Send a request to a home and report what actually happened."""
        if self._requester is None:
            return Outcome(False, code=NO_HOME, error="no home is linked")
        if self._requester.availability(home) == "offline":
            return Outcome(False, code=BRIDGE_OFFLINE, error="your home bridge is offline")
        try:
            reply = self._requester.request(home, verb, params or {}, timeout=self._timeout)
        except NoAnswer as exc:
            log.warning("home %s did not answer %s in time (undo: %s)", home, verb, exc.undo)
            return Outcome(
                False, code=NO_ANSWER, error="your home didn't answer in time", undo=exc.undo
            )
        except BridgeError as exc:
            log.warning("home %s did not answer %s: %s", home, verb, exc)
            return Outcome(False, code=BRIDGE_OFFLINE, error="I can't reach your home right now")
        # The reply models need pydantic: imported once a home answers, never on a cold start.
        from mqtt_bridge.reply_types import BadReply, parse_reply

        try:
            return Outcome.from_reply(parse_reply(verb, reply))
        except BadReply as exc:
            log.warning("home %s answered %s with a reply that does not fit: %s", home, verb, exc)
            return Outcome(
                False,
                code=BAD_REPLY,
                error="your home's answer didn't make sense to me",
                undo=self._undo(home, verb, params),
            )

    def _undo(self, home: str, verb: str, params: dict[str, Any] | None) -> str | None:
        """Stop what an unreadable answer may have started; return the stop's verb if sent."""
        undo = undo_of(verb, params)
        if undo is None or self._requester is None:
            return None
        try:
            self._requester.request(home, undo, {}, timeout=self._timeout)
        except BridgeError as exc:
            # The client's own deadline and the device's auto-off still bound it.
            log.warning("home %s: could not send %s after a bad reply: %s", home, undo, exc)
        return undo
