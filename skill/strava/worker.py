"""Handle webhook events on one background thread, so the webhook answers Strava at once.

Strava wants a 200 within two seconds; fetching an activity can take longer, and a 429 means
waiting for the next 15-minute window. Events wait in a bounded queue; a rate-limited event
is retried after the window resets (a bounded wait that stop() interrupts), a few times.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Protocol

from skill.errors import SkillError
from skill.strava.errors import RateLimitedError
from skill.strava.events import WebhookEvent

log = logging.getLogger(__name__)

# Strava's short-term limit resets at 0, 15, 30 and 45 minutes past the hour.
WINDOW_S = 15 * 60
# After the reset, a little slack for clocks that differ.
RESET_SLACK_S = 5.0
MAX_RATE_LIMITED_ATTEMPTS = 3
DEFAULT_CAPACITY = 256

RetryDelay = Callable[[float], float]


class Handler(Protocol):
    def handle(self, event: WebhookEvent) -> object:
        """Apply one event."""


def until_next_window(now: float) -> float:
    """Return the seconds until Strava's next 15-minute window starts (never more than one)."""
    return WINDOW_S - (now % WINDOW_S) + RESET_SLACK_S


class EventWorker:
    """One thread taking events from a bounded queue; start() and stop() bound its life."""

    def __init__(
        self,
        handler: Handler,
        *,
        capacity: int = DEFAULT_CAPACITY,
        retry_delay: RetryDelay = until_next_window,
        clock: Callable[[], float] = time.time,
        max_attempts: int = MAX_RATE_LIMITED_ATTEMPTS,
    ) -> None:
        self._handler = handler
        self._queue: queue.Queue[WebhookEvent | None] = queue.Queue(maxsize=capacity)
        self._retry_delay = retry_delay
        self._clock = clock
        self._max_attempts = max_attempts
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._idle = threading.Condition()
        self._pending = 0

    def start(self) -> EventWorker:
        """Start the worker thread."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="strava-events", daemon=True)
            self._thread.start()
        return self

    def submit(self, event: WebhookEvent) -> bool:
        """Queue an event; False if the worker is not running or the queue is full."""
        if self._thread is None or self._stopping.is_set():
            return False
        with self._idle:
            try:
                self._queue.put_nowait(event)
            except queue.Full:
                log.warning("Strava event queue is full: event for %d refused", event.object_id)
                return False
            self._pending += 1
        return True

    def join_idle(self, timeout: float) -> bool:
        """Wait until every submitted event is handled; tell whether that happened in time."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Handle the events already queued, cancel rate-limit waits, and end the thread."""
        if self._thread is None:
            return
        self._stopping.set()
        # Behind every queued event: they are handled first. Blocks only while the queue is full.
        self._queue.put(None)
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("Strava worker did not stop within %g s", timeout)
        self._thread = None

    def _run(self) -> None:
        while True:
            event = self._queue.get()
            if event is None:
                return
            try:
                self._handle(event)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def _handle(self, event: WebhookEvent) -> None:
        for attempt in range(1, self._max_attempts + 1):
            try:
                outcome = self._handler.handle(event)
            except RateLimitedError as exc:
                if exc.daily_exhausted or attempt == self._max_attempts:
                    log.error("Strava event for activity %d dropped: %s", event.object_id, exc)
                    return
                delay = max(0.0, min(self._retry_delay(self._clock()), WINDOW_S + RESET_SLACK_S))
                log.warning("%s: retrying activity %d in %.0f s", exc, event.object_id, delay)
                # Interrupted by stop(): a wait of minutes must not hold up a shutdown.
                if self._stopping.wait(delay):
                    log.warning("Strava event for activity %d dropped: stopping", event.object_id)
                    return
            except SkillError as exc:
                log.error("Strava event for activity %d failed: %s", event.object_id, exc)
                return
            except Exception:
                log.exception("Strava event for activity %d failed unexpectedly", event.object_id)
                return
            else:
                log.debug("Strava %s event %d: %s", event.aspect_type, event.object_id, outcome)
                return
