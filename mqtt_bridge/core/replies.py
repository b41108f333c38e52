"""Answers to requests: once per transaction, on the topic the caller named, repeated on retry."""

from __future__ import annotations

import logging
from collections import OrderedDict

from mqtt_bridge.core.house import House
from mqtt_bridge.errors import BridgeError
from mqtt_bridge.messages import Message
from mqtt_bridge.protocol import ReplyTo
from mqtt_bridge.reply_types import ReplyData, error, ok, routed

ANSWERED_KEEP = 500

log = logging.getLogger(__name__)


class Replies:
    """Queue replies, remember the last answers, and route each to where its caller listens."""

    def __init__(self, house: House) -> None:
        self._house = house
        self._answered: OrderedDict[str, list[Message]] = OrderedDict()
        self._in_flight: set[str] = set()
        # MQTT 5 requests in flight: where each transaction's answer goes.
        self._routes: OrderedDict[str, ReplyTo] = OrderedDict()
        # The request being handled, if it named a response topic: (its transaction, where).
        self.reply_to: tuple[str | None, ReplyTo] | None = None

    def repeated(self, transaction: str) -> bool:
        """Answer a transaction seen before (again, or not while it runs); False if it is new."""
        if transaction in self._answered:
            log.info("transaction %s was answered already: repeating the answer", transaction)
            self._house.out += self._answered[transaction]
            return True
        if transaction in self._in_flight:
            log.info("transaction %s is still in progress: ignoring the duplicate", transaction)
            return True
        return False

    def begin(self, transaction: str) -> None:
        """Mark a transaction in progress; its answer may come later, on the named topic."""
        self._in_flight.add(transaction)
        if self.reply_to is not None:
            # Answered later (a device confirms): the answer must still find its way.
            self._routes[transaction] = self.reply_to[1]
            while len(self._routes) > ANSWERED_KEEP:
                self._routes.popitem(last=False)

    def ok(self, verb: str, transaction: str | None, data: ReplyData) -> None:
        """Queue a success reply."""
        self._remember(transaction, ok(self._house.topics, verb, transaction, data))

    def error(self, verb: str, transaction: str | None, failure: BridgeError) -> None:
        """Queue an error reply."""
        self._remember(transaction, error(self._house.topics, verb, transaction, failure))

    def finish(self, transaction: str | None) -> None:
        """Mark a transaction no longer in progress."""
        if transaction is not None:
            self._in_flight.discard(transaction)

    def _remember(self, transaction: str | None, reply: Message) -> None:
        route = self._routes.pop(transaction, None) if transaction is not None else None
        if route is None and self.reply_to is not None and self.reply_to[0] == transaction:
            route = self.reply_to[1]
        reply = routed(reply, route)
        self._house.out.append(reply)
        if transaction is not None:
            self._in_flight.discard(transaction)
            self._answered[transaction] = [reply]
            while len(self._answered) > ANSWERED_KEEP:
                self._answered.popitem(last=False)
