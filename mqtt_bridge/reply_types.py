"""Type what the bridge says back (one model per reply kind, and its state), and build replies.

The bridge builds these and serialises them once, at the edge; the skill parses a reply once, at
its edge, into the same models. A reply that does not fit is a `BadReply`, never a guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal, cast, get_args

from pydantic import BaseModel, ConfigDict, PlainSerializer, ValidationError

from mqtt_bridge.errors import BridgeError
from mqtt_bridge.messages import Message
from mqtt_bridge.protocol import BAD_REPLY, VERBS, ReplyTo, Topics

# The protocol shows moments to the second, with their UTC offset ("2026-07-01T19:35:00+00:00").
Moment = Annotated[datetime, PlainSerializer(lambda m: m.isoformat(timespec="seconds"))]


class BadReply(BridgeError):
    """A reply that does not have the shape its verb promises."""

    code = BAD_REPLY


class _Model(BaseModel):
    # Frozen, and tolerant of fields a newer bridge adds; a missing or mistyped field is refused.
    model_config = ConfigDict(frozen=True, extra="ignore")

    def wire(self) -> dict[str, Any]:
        """Return the JSON-ready document this model is sent as."""
        return self.model_dump(mode="json", exclude_none=True)


class Epsom(_Model):
    """How much Epsom salt to add."""

    grams: int
    cups: int


class HeatStarted(_Model):
    """heat/start: the pad confirmed on, until ends_at."""

    device: str
    minutes: int
    ends_at: Moment
    limited: bool
    max_minutes: int
    device_auto_off: bool


class BathStarted(_Model):
    """bath/fill: the valve confirmed open, until ends_at."""

    device: str
    target_c: float
    fill_minutes: float
    ends_at: Moment
    device_auto_off: bool
    epsom: Epsom | None = None


class HeatStopped(_Model):
    """heat/stop: the pad is confirmed off (was_on: it had been on)."""

    was_on: bool


class BathStopped(_Model):
    """bath/stop: the valve is confirmed closed (was_filling: it had been open)."""

    was_filling: bool


class Announced(_Model):
    """announce: the words were queued (confirmed: the speaker said them)."""

    id: str
    confirmed: bool


class RoutineStarted(_Model):
    """routine/start: the routine runs (or, on a dry run, may run) as the gate allows it."""

    name: str
    title: str
    steps: int
    uses: list[str]
    # Set when the safety gate trimmed the routine: what was left out, to say first.
    note: str | None = None


class RoutineStepped(_Model):
    """routine/stop, pause, resume or next: where the routine is now."""

    name: str
    status: str


class DeviceReport(_Model):
    """One device as the bridge last heard it (None: not heard yet)."""

    role: str
    online: bool | None = None
    on: bool | None = None
    temperature_c: float | None = None
    wet: bool | None = None


class HeatState(_Model):
    """The heating pad: on only once the device confirmed it."""

    running: bool
    stopping: bool = False
    ends_at: Moment | None = None
    remaining_min: int = 0


BathStatus = Literal[
    "idle", "starting", "filling", "closing", "ready", "stopping", "stopped", "too_hot", "leak"
]

BATH_STATUSES: frozenset[str] = frozenset(get_args(BathStatus))


def bath_status(value: object, default: BathStatus) -> BathStatus:
    """Read a stored bath status, falling back to default for anything unknown."""
    return cast(BathStatus, value) if value in BATH_STATUSES else default


class BathState(_Model):
    """The bath: filling, closing and ready only as the valve confirmed them."""

    status: BathStatus
    target_c: float | None = None
    epsom: bool = False
    ends_at: Moment | None = None
    remaining_min: int = 0


class TimerState(_Model):
    """A running deadline the bridge keeps."""

    device: str
    kind: str
    ends_at: Moment


class RoutineState(_Model):
    """The routine running, or one a restart interrupted (then only name, title, status)."""

    name: str
    title: str
    status: str
    step: int | None = None
    steps: int | None = None
    step_title: str | None = None
    next_step_title: str | None = None


class RoutineName(_Model):
    """A routine the home has."""

    name: str
    title: str


class HomeState(_Model):
    """The home as the bridge publishes it, retained, and answers to status."""

    home: str
    devices: dict[str, DeviceReport]
    heat: HeatState
    bath: BathState
    timers: list[TimerState] = []
    routine: RoutineState | None = None
    routines: list[RoutineName] = []
    updated_at: Moment
    # Past this the state no longer holds: the bridge that refreshes it is gone.
    expires_at: Moment

    def wire(self) -> dict[str, Any]:
        """Return the document with every key, null where unknown (Home Assistant reads it)."""
        return self.model_dump(mode="json")


ReplyData = (
    HeatStarted
    | BathStarted
    | HeatStopped
    | BathStopped
    | Announced
    | RoutineStarted
    | RoutineStepped
    | HomeState
)

DATA_OF_VERB: Mapping[str, type[ReplyData]] = {
    "heat/start": HeatStarted,
    "bath/fill": BathStarted,
    "heat/stop": HeatStopped,
    "bath/stop": BathStopped,
    "announce": Announced,
    "status": HomeState,
    "routine/start": RoutineStarted,
    "routine/stop": RoutineStepped,
    "routine/pause": RoutineStepped,
    "routine/resume": RoutineStepped,
    "routine/next": RoutineStepped,
}


class OkReply(_Model):
    """The request was carried out (a device confirmed where one was asked)."""

    transaction: str | None = None
    status: Literal["ok"] = "ok"
    data: ReplyData

    def wire(self) -> dict[str, Any]:
        """Return the reply document: transaction, status and the data's own document."""
        return {"transaction": self.transaction, "status": "ok", "data": self.data.wire()}


class ErrorReply(_Model):
    """The request was not carried out, or not confirmed: code, words to say, and the rule."""

    transaction: str | None = None
    status: Literal["error"] = "error"
    error: str
    code: str
    rule: str | None = None

    def wire(self) -> dict[str, Any]:
        """Return the reply document; transaction always (null when nobody asked), rule if set."""
        document = self.model_dump(mode="json", exclude={"rule"})
        if self.rule:
            document["rule"] = self.rule
        return document


Reply = OkReply | ErrorReply


def parse_reply(verb: str, document: Any) -> Reply:
    """Read a reply to verb; BadReply when it does not have the shape the verb promises."""
    if not isinstance(document, Mapping):
        raise BadReply("the home bridge's reply is not a JSON object")
    try:
        if document.get("status") == "ok":
            kind = DATA_OF_VERB.get(verb)
            if kind is None:
                raise BadReply(f"no reply is known for {verb!r}")
            data = kind.model_validate(document.get("data"))
            return OkReply(transaction=_transaction(document), data=data)
        return ErrorReply.model_validate(document)
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in e["loc"]) for e in exc.errors()})
        raise BadReply(
            f"the home bridge's reply to {verb} has bad or missing fields: {', '.join(fields)}"
        ) from None


def _transaction(document: Mapping[str, Any]) -> str | None:
    transaction = document.get("transaction")
    return None if transaction is None else str(transaction)


def ok(topics: Topics, verb: str, transaction: str | None, data: ReplyData) -> Message:
    """Build a success reply."""
    reply = OkReply(transaction=transaction, data=data)
    return Message.json(topics.response(verb), reply.wire())


def routed(reply: Message, reply_to: ReplyTo | None) -> Message:
    """Send a reply to the request's response topic with its correlation data, if it named one."""
    if reply_to is None:
        return reply
    return Message(
        reply_to.topic, reply.payload, reply.retain, reply.qos, None, reply_to.correlation
    )


def error(topics: Topics, verb: str, transaction: str | None, failure: BridgeError) -> Message:
    """Build an error reply carrying the failure's code and speakable message."""
    rule = getattr(failure, "rule", None)
    reply = ErrorReply(transaction=transaction, error=str(failure), code=failure.code, rule=rule)
    # Unknown verbs may contain anything; answer on a fixed topic rather than echo it back.
    topic = topics.response(verb if verb in VERBS else "error")
    return Message.json(topic, reply.wire())
