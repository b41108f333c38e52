"""The bridge's request/response protocol under `recovery/<home>/`, Zigbee2MQTT style."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mqtt_bridge.errors import RequestError
from mqtt_bridge.messages import JsonError, NotJson, decode_json

VERBS = (
    "heat/start",
    "heat/stop",
    "bath/fill",
    "bath/stop",
    "announce",
    "status",
    "routine/start",
    "routine/stop",
    "routine/pause",
    "routine/resume",
    "routine/next",
)
# What undoes a request that may have been carried out though its answer never came.
UNDO = {"heat/start": "heat/stop", "bath/fill": "bath/stop", "routine/start": "routine/stop"}
MAX_TRANSACTION = 128
# A home's id names its topics (recovery/<home>/...): one plain topic level.
HOME_ID = re.compile(r"^[a-z0-9_-]+$")
# A client instance's name in its reply topic: one topic level, short and plain.
INSTANCE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# Real requests are a few kilobytes (an announcement is at most 1,000 characters; a runner's health
# state stays small as cleared flags expire): anything far larger is refused unread.
MAX_REQUEST_BYTES = 64 * 1024
# Where a request is too big or too deep to parse, its transaction is looked for near either end.
_TRANSACTION = re.compile(
    rb'"transaction"\s*:\s*(?:"([^"\\]{1,%d})"|(-?\d{1,20})\b)' % MAX_TRANSACTION
)
_SCAN_BYTES = 1024
_VERB_SHOWN = 60

OFFLINE = "device_offline"
TIMEOUT = "device_timeout"
NOT_CONFIGURED = "not_configured"
BUSY = "busy"
UNKNOWN_VERB = "unknown_verb"
EXPIRED = "expired"
# The home bridge's reply did not have the shape its verb promises.
BAD_REPLY = "bad_reply"
# The device (or speaker) answered the command with an error of its own.
DEVICE_ERROR = "device_error"
# The retained state is refreshed this often and holds this long: past it, its bridge is gone.
STATE_REFRESH_S = 30
STATE_VALID_S = 75


def undo_of(verb: str, params: dict[str, Any] | None) -> str | None:
    """Return the stop that undoes a request which may have started something (a dry run can't)."""
    return None if (params or {}).get("dry_run") else UNDO.get(verb)


@dataclass(frozen=True)
class Topics:
    """Every topic of one home."""

    home: str

    @property
    def base(self) -> str:
        return f"recovery/{self.home}"

    @property
    def requests(self) -> str:
        """The subscription that catches every request."""
        return f"{self.base}/request/#"

    def request(self, verb: str) -> str:
        return f"{self.base}/request/{verb}"

    def response(self, verb: str) -> str:
        """Where replies go for MQTT 3.1.1 clients (and MQTT 5 requests without a reply topic)."""
        return f"{self.base}/response/{verb}"

    @property
    def responses(self) -> str:
        """The subscription that catches every 3.1.1 reply of this home."""
        return f"{self.base}/response/#"

    def reply(self, instance: str) -> str:
        """One client instance's MQTT 5 response topic for this home.

        It lies inside the home's namespace, so the broker's per-home ACL lets only this
        home's bridge write it: a reply heard there comes from this home.
        """
        if not INSTANCE.match(instance):
            raise ValueError(f"bad client instance {instance!r}")
        return f"{self.base}/reply/{instance}"

    def is_reply(self, topic: str) -> bool:
        """Whether a topic is some client's response topic for this home."""
        prefix = f"{self.base}/reply/"
        return topic.startswith(prefix) and bool(INSTANCE.match(topic[len(prefix) :]))

    @property
    def state(self) -> str:
        return f"{self.base}/state"

    @property
    def availability(self) -> str:
        return f"{self.base}/availability"

    def health(self, runner: str) -> str:
        """Where the skill keeps a runner's health state, retained, for the bridge's gate."""
        return f"{self.base}/health/{runner}"

    def runner_of(self, topic: str) -> str | None:
        """Return the runner of a health topic, or None for other topics."""
        prefix = f"{self.base}/health/"
        runner = topic[len(prefix) :] if topic.startswith(prefix) else ""
        return runner if runner and "/" not in runner else None

    def ha_command(self, name: str) -> str:
        return f"{self.base}/ha/{name}"

    def verb_of(self, topic: str) -> str | None:
        """Return the verb of a request topic, or None for other topics."""
        prefix = f"{self.base}/request/"
        return topic[len(prefix) :] if topic.startswith(prefix) else None


@dataclass(frozen=True)
class ReplyTo:
    """Where an MQTT 5 request wants its answer: a response topic and correlation data."""

    topic: str
    correlation: bytes | None = None

    def __post_init__(self) -> None:
        if not self.topic or "+" in self.topic or "#" in self.topic:
            raise ValueError(f"bad response topic {self.topic!r}")

    def usable_for(self, topics: Topics) -> bool:
        """Answer here only on this home's reply topics, with small correlation data.

        Anyone allowed to send requests may name a response topic: answering on any topic
        would let them make the bridge publish to its devices' command topics.
        """
        small = self.correlation is None or len(self.correlation) <= MAX_TRANSACTION
        return topics.is_reply(self.topic) and small


@dataclass(frozen=True)
class Request:
    """A parsed request: its verb, the caller's transaction id and the parameters."""

    verb: str
    transaction: str | None
    params: dict[str, Any]
    # When the caller stops waiting: after this, doing it would contradict what the user heard.
    expires_at: datetime | None = None


def parse_request(verb: str, payload: bytes) -> Request:
    """Parse a request payload: a JSON object, or empty for verbs without parameters."""
    if len(payload) > MAX_REQUEST_BYTES:
        raise RequestError(f"the request is larger than {MAX_REQUEST_BYTES} bytes")
    document: Any = {}
    if payload.strip():
        try:
            document = decode_json(payload, max_bytes=MAX_REQUEST_BYTES)
        except NotJson:
            document = None
        except JsonError as exc:
            raise RequestError(f"the request {exc}") from None
    if not isinstance(document, dict):
        raise RequestError("the request must be a JSON object")
    transaction = document.pop("transaction", None)
    if transaction is not None:
        if not isinstance(transaction, str | int) or isinstance(transaction, bool):
            raise RequestError("transaction must be a string")
        transaction = str(transaction)
        if not transaction or len(transaction) > MAX_TRANSACTION:
            raise RequestError(f"transaction must be 1 to {MAX_TRANSACTION} characters")
    expires_at = _deadline(document.pop("expires_at", None)) if "expires_at" in document else None
    request = Request(verb, transaction, document, expires_at)
    if verb not in VERBS:
        raise UnknownVerb(request)
    return request


def _deadline(value: Any) -> datetime:
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return moment
    raise RequestError("expires_at must be an ISO 8601 time with its UTC offset")


class UnknownVerb(RequestError):
    """A request for a verb the bridge does not have."""

    code = UNKNOWN_VERB

    def __init__(self, request: Request) -> None:
        verb = (
            request.verb if len(request.verb) <= _VERB_SHOWN else request.verb[:_VERB_SHOWN] + "..."
        )
        super().__init__(f"unknown request {verb!r}; known: {', '.join(VERBS)}")
        self.request = request


def transaction_of(payload: bytes) -> str | None:
    """Best-effort: pull the transaction out of a payload that failed to parse fully."""
    try:
        document = decode_json(payload, max_bytes=MAX_REQUEST_BYTES)
    except JsonError:
        # Too big or too deep to parse: a caller's transaction is usually first or last.
        for part in (payload[:_SCAN_BYTES], payload[-_SCAN_BYTES:]):
            found = _TRANSACTION.search(part)
            if found:
                return (found.group(1) or found.group(2)).decode("utf-8", "replace")
        return None
    transaction = document.get("transaction") if isinstance(document, dict) else None
    if isinstance(transaction, str | int) and not isinstance(transaction, bool):
        text = str(transaction)
        return text if 0 < len(text) <= MAX_TRANSACTION else None
    return None
