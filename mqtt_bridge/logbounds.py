"""Keep the bridge's log bounded and free of secrets, whatever the broker throws at it.

Anyone on the broker can publish, so a log line that quotes a payload is an attacker's pen: every
quoted value is cut to a short, repr-escaped excerpt with token-like runs masked, and each kind of
line (logger and message template) passes at most `per_minute` times a minute. What was held back
is counted and reported once, rather than written out.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

EXCERPT_CHARS = 200
TRACEBACK_CHARS = 4000
PER_MINUTE = 20
# Long unbroken runs of token characters: JWTs, Alexa/LWA access tokens, account ids, keys.
TOKEN = re.compile(r"[A-Za-z0-9_.+=|~-]{40,}")
SECRET_KEY = re.compile(
    r"""(?ix)
    (["']?[a-z_]*(?:token|password|passwd|secret|authorization|api_?key)[a-z_]*["']?\s*[:=]\s*)
    ("(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?|[^\s,;&}]+)
    """
)
REDACTED = "[redacted]"


def redact(words: str) -> str:
    """Mask values of secret-looking keys and long token-like runs."""
    words = SECRET_KEY.sub(lambda m: m.group(1) + REDACTED, words)
    return TOKEN.sub(REDACTED, words)


def excerpt(value: bytes | str, limit: int = EXCERPT_CHARS) -> str:
    """Return a short, printable, redacted excerpt of a payload, saying how long it was."""
    head = value[: limit * 2]
    shown = redact(head.decode("utf-8", "replace") if isinstance(head, bytes) else head)
    cut = repr(shown[:limit])
    if len(value) > limit:
        unit = "bytes" if isinstance(value, bytes) else "characters"
        cut += f"... ({len(value)} {unit})"
    return cut


@dataclass
class _Bucket:
    tokens: float
    updated: float
    suppressed: int = 0
    first_suppressed: float = 0.0


class BoundedLogFilter(logging.Filter):
    """Bound each record's arguments and rate-limit each message template (a token bucket)."""

    def __init__(
        self,
        *,
        per_minute: int = PER_MINUTE,
        limit: int = EXCERPT_CHARS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.per_minute = per_minute
        self.limit = limit
        self._clock = clock
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        """Let the record through, bounded, or count it as suppressed."""
        if getattr(record, "bounded_summary", False):
            return True
        now = self._clock()
        key = (record.name, str(record.msg)[:200])
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(float(self.per_minute), now)
            bucket.tokens = min(
                float(self.per_minute),
                bucket.tokens + (now - bucket.updated) * self.per_minute / 60.0,
            )
            bucket.updated = now
            if bucket.tokens < 1.0:
                if not bucket.suppressed:
                    bucket.first_suppressed = now
                bucket.suppressed += 1
                return False
            bucket.tokens -= 1.0
            suppressed, since = bucket.suppressed, bucket.first_suppressed
            bucket.suppressed = 0
        self._bound(record)
        if suppressed:
            record.msg = (
                f"{record.msg} [{suppressed} similar lines suppressed "
                f"in the last {now - since:.0f} s]"
            )
        return True

    def reset(self) -> None:
        """Forget every count (for a fresh start, e.g. between tests)."""
        with self._lock:
            self._buckets.clear()

    def report(self, logger: logging.Logger, idle_s: float = 60.0) -> None:
        """Log one line for each template whose suppressed lines were not reported yet."""
        now = self._clock()
        with self._lock:
            due = [
                (key, bucket.suppressed, now - bucket.first_suppressed)
                for key, bucket in self._buckets.items()
                if bucket.suppressed and now - bucket.updated >= idle_s / self.per_minute
            ]
            for key, _, _ in due:
                self._buckets[key].suppressed = 0
        for (name, template), count, span in due:
            logger.warning(
                "suppressed %d log lines like %r from %s in the last %.0f s",
                count,
                template[:80],
                name,
                span,
                extra={"bounded_summary": True},
            )

    def _bound(self, record: logging.LogRecord) -> None:
        template = str(record.msg)
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            try:
                message = template % tuple(_bound_arg(arg, self.limit) for arg in args)
            except (TypeError, ValueError, KeyError):
                message = _escaped(record.getMessage()[: self.limit * 8])
        else:
            message = template
        record.msg = _cut(redact(message[: self.limit * 8]), self.limit * 4)
        record.args = None
        if record.exc_info and not record.exc_text:
            formatted = logging.Formatter().formatException(record.exc_info)
            # An exception's message may quote the payload: cut every line, then the whole.
            formatted = "\n".join(
                _cut(_escaped(line), self.limit) for line in formatted.splitlines()
            )
            if len(formatted) > TRACEBACK_CHARS:
                half = TRACEBACK_CHARS // 2
                formatted = f"{formatted[:half]}\n...\n{formatted[-half:]}"
            record.exc_text = redact(formatted)


def _bound_arg(arg: object, limit: int) -> object:
    if isinstance(arg, bytes):
        return excerpt(arg, limit)
    if isinstance(arg, int | float | bool) or arg is None:
        return arg
    value = str(arg)
    return _cut(_escaped(redact(value[: limit * 2])), limit, len(value))


def _escaped(value: str) -> str:
    """Escape what could forge or garble log lines (newlines, control characters)."""
    return value if value.isprintable() else repr(value)[1:-1]


def _cut(value: str, limit: int, length: int | None = None) -> str:
    length = len(value) if length is None else length
    return value if length <= limit else f"{value[:limit]}... ({length} characters)"


LOG_BOUNDS = BoundedLogFilter()
_users = 0
_users_lock = threading.Lock()


def install(prefix: str = "mqtt_bridge") -> BoundedLogFilter:
    """Attach the shared filter to every logger under `prefix` (loggers filter their own lines)."""
    global _users
    with _users_lock:
        _users += 1
        manager = logging.Logger.manager
        names = [prefix] + [n for n in list(manager.loggerDict) if n.startswith(prefix + ".")]
        for name in names:
            logger = logging.getLogger(name)
            if LOG_BOUNDS not in logger.filters:
                logger.addFilter(LOG_BOUNDS)
    return LOG_BOUNDS


def uninstall(prefix: str = "mqtt_bridge") -> None:
    """Undo install() once its last user is done, forgetting every count."""
    global _users
    with _users_lock:
        _users = max(0, _users - 1)
        if _users:
            return
        for name in [prefix, *logging.Logger.manager.loggerDict]:
            if name == prefix or name.startswith(prefix + "."):
                logging.getLogger(name).removeFilter(LOG_BOUNDS)
        LOG_BOUNDS.reset()
