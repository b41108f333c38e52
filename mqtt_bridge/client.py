"""Talk to bridges over MQTT: requests with a transaction id, answered by correlated replies."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from mqtt_bridge.config import BrokerConfig
from mqtt_bridge.connection import MqttConnection, Received
from mqtt_bridge.errors import BridgeError, NoAnswer
from mqtt_bridge.messages import Message, parse_json, text
from mqtt_bridge.protocol import VERBS, Topics, undo_of

# The bridge must have answered this long before we stop waiting, so its reply can still arrive.
REPLY_MARGIN_S = 0.5

log = logging.getLogger(__name__)


@dataclass
class _Waiter:
    home: str
    done: threading.Event = field(default_factory=threading.Event)
    reply: dict[str, Any] | None = None


class BridgeClient:
    """One connection for many homes and many concurrent requests; each waits for its own reply.

    It hears only the homes it deals with. Over MQTT 5 every request names this instance's
    response topic in the home's namespace (`recovery/<home>/reply/<instance>`) and carries its
    transaction as correlation data, so the connection receives its own replies and no one
    else's. Where the broker lacks MQTT 5 it subscribes to each home's replies as it first
    asks that home (`recovery/<home>/response/#`). Availability is subscribed per home too.
    """

    def __init__(
        self,
        broker: BrokerConfig,
        *,
        client_id: str | None = None,
        host: str | None = None,
        port: int | None = None,
        homes: Iterable[str] = (),
        protocol: str = "auto",
    ) -> None:
        self._waiters: dict[str, _Waiter] = {}
        self._availability: dict[str, str] = {}
        self._lock = threading.Lock()
        self._homes: set[str] = {_checked(home) for home in homes}
        self.instance = uuid.uuid4().hex[:12]
        self._connection = MqttConnection(
            broker,
            client_id or f"recovery-coach-client-{self.instance}",
            subscriptions=self._subscriptions,
            on_message=self._received,
            host=host,
            port=port,
            protocol=protocol,
        )

    @property
    def connected(self) -> bool:
        return self._connection.connected.is_set()

    def start(self, timeout: float | None = 5.0) -> None:
        """Connect in the background; with a timeout, wait that long for the connection."""
        self._connection.start()
        if timeout is not None and not self._connection.connected.wait(timeout):
            self._connection.stop()
            raise BridgeError("could not connect to the MQTT broker")

    def stop(self) -> None:
        """Disconnect."""
        self._connection.stop()

    @property
    def v5(self) -> bool:
        """Whether replies come on this instance's MQTT 5 response topics."""
        return self._connection.v5

    def availability(self, home: str) -> str | None:
        """Return a home bridge's retained availability ('online'/'offline'), if heard.

        The first call for a home subscribes to it: until its retained state arrives, None.
        """
        self._watch(home)
        with self._lock:
            return self._availability.get(home)

    def _subscriptions(self) -> list[str]:
        """What to subscribe on every (re)connect: the homes dealt with so far."""
        with self._lock:
            homes = sorted(self._homes)
        return self._topics_for(homes, replies=True)

    def _topics_for(self, homes: list[str], *, replies: bool) -> list[str]:
        topics = [Topics(home).availability for home in homes]
        if not self.v5:
            topics += [Topics(home).responses for home in homes]
        elif replies:
            # One subscription for the replies of every home: only this instance's are sent here.
            topics.append(f"recovery/+/reply/{self.instance}")
        return topics

    def _watch(self, home: str) -> None:
        """Start hearing a home: its availability and, over 3.1.1, its replies."""
        _checked(home)
        with self._lock:
            if home in self._homes:
                return
            self._homes.add(home)
        # Sent before the request that follows it: the broker handles them in order.
        self._connection.subscribe(self._topics_for([home], replies=False))

    def request(
        self, home: str, verb: str, params: dict[str, Any] | None = None, timeout: float = 5.0
    ) -> dict[str, Any]:
        """Send a request to a home and return its bridge's reply; BridgeError if none comes.

        The request carries a deadline: a bridge that gets it late (hung, or a slow broker) does
        not act on it. If no answer comes, whatever it may have started is stopped (NoAnswer).
        """
        if verb not in VERBS:
            raise BridgeError(f"unknown verb {verb!r}")
        if not self.connected:
            raise BridgeError("not connected to the MQTT broker")
        self._watch(home)
        transaction = uuid.uuid4().hex
        waiter = _Waiter(home)
        with self._lock:
            self._waiters[transaction] = waiter
        expires = datetime.now(UTC) + timedelta(seconds=max(timeout - REPLY_MARGIN_S, timeout / 2))
        try:
            payload = {
                **(params or {}),
                "transaction": transaction,
                "expires_at": expires.isoformat(timespec="milliseconds"),
            }
            topics = Topics(home)
            request = Message(
                topics.request(verb),
                json.dumps(payload),
                response_topic=topics.reply(self.instance),
                correlation=transaction.encode(),
            )
            self._connection.publish(request)
            if not waiter.done.wait(timeout):
                raise NoAnswer("the home bridge did not answer", self._undo(home, verb, params))
            assert waiter.reply is not None
            return waiter.reply
        finally:
            with self._lock:
                self._waiters.pop(transaction, None)

    def _undo(self, home: str, verb: str, params: dict[str, Any] | None) -> str | None:
        """Stop what an unanswered request may have started: the user hears that it failed."""
        undo = undo_of(verb, params)
        if undo is None:
            return None
        # No deadline on a stop: however late it arrives, carrying it out is safe.
        stop = {"transaction": uuid.uuid4().hex}
        self._connection.publish(Message(Topics(home).request(undo), json.dumps(stop)))
        log.warning("no answer to %s from home %s: sent %s to make sure", verb, home, undo)
        return undo

    def publish_health(self, home: str, runner: str, health: dict[str, Any]) -> None:
        """Publish a runner's health state, retained, so the home's bridge gates what it runs."""
        if not self.connected:
            raise BridgeError("not connected to the MQTT broker")
        topic = Topics(home).health(runner)
        self._connection.publish(Message.json(topic, health, retain=True))

    def _received(self, message: Received) -> None:
        topic, payload = message.topic, message.payload
        parts = topic.split("/")
        if len(parts) == 3 and parts[2] == "availability":
            with self._lock:
                if parts[1] in self._homes:
                    self._availability[parts[1]] = text(payload)
            return
        reply = parse_json(payload)
        if not isinstance(reply, dict):
            return
        transaction = (
            message.correlation.decode("utf-8", "replace")
            if message.correlation is not None
            else str(reply.get("transaction"))
        )
        with self._lock:
            waiter = self._waiters.get(transaction)
        # Only the home asked may answer: the broker lets no other home write its topics.
        if waiter is not None and _from_home(topic, waiter.home, self.instance):
            waiter.reply = reply
            waiter.done.set()


def _checked(home: str) -> str:
    """Refuse a home id that would not be one topic level (a wildcard would hear many homes)."""
    if not home or any(character in home for character in "/+#"):
        raise BridgeError(f"bad home id {home!r}")
    return home


def _from_home(topic: str, home: str, instance: str) -> bool:
    topics = Topics(home)
    return topic == topics.reply(instance) or topic.startswith(f"{topics.base}/response/")
