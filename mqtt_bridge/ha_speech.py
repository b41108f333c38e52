"""Say words through Home Assistant's REST API, one call at a time, off the bridge's threads."""

from __future__ import annotations

import json
import logging
import queue
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from mqtt_bridge.adapters.speakers import HomeAssistantSpeaker, Utterance
from mqtt_bridge.logbounds import excerpt
from mqtt_bridge.protocol import TIMEOUT

log = logging.getLogger(__name__)
SPEAKER_FAILED = "speaker_failed"
# Home Assistant answers a service call with the states it changed: read a little, never all.
MAX_ANSWER_BYTES = 64 * 1024
STOP_WAIT_S = 1.0


@dataclass(frozen=True)
class Spoken:
    """How one utterance went: code None when Home Assistant accepted it."""

    say_id: str
    code: str | None = None
    reason: str = ""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect would carry the token to wherever it points: refuse it and say so instead.
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def speak(speaker: HomeAssistantSpeaker, words: str, timeout_s: float) -> Spoken:
    """Make one service call and describe how it went (say_id left empty)."""
    deadline = time.monotonic() + timeout_s
    headers = {"Authorization": f"Bearer {speaker.token}", "Content-Type": "application/json"}
    # No proxy from the environment: the token goes straight to the Home Assistant configured.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
    where = f"Home Assistant at {speaker.url}"
    base = speaker.url.rstrip("/")
    try:
        # A service call on an entity Home Assistant lacks, or one that is unavailable, still
        # answers 200 having done nothing: look at the entities first.
        for entity in speaker.entities():
            check = urllib.request.Request(f"{base}/api/states/{entity}", headers=headers)
            try:
                with opener.open(check, timeout=_left(deadline)) as answer:
                    state = json.loads(answer.read(MAX_ANSWER_BYTES)).get("state")
            except urllib.error.HTTPError as exc:
                if exc.code == 404:
                    return Spoken("", SPEAKER_FAILED, f"Home Assistant has no entity {entity}")
                raise
            if state in ("unavailable", None):
                return Spoken("", SPEAKER_FAILED, f"{entity} is unavailable in Home Assistant")
        url, body = speaker.call(words)
        call = urllib.request.Request(
            url, data=json.dumps(body).encode(), method="POST", headers=headers
        )
        with opener.open(call, timeout=_left(deadline)) as answer:
            answer.read(MAX_ANSWER_BYTES)
    except urllib.error.HTTPError as exc:
        return Spoken("", SPEAKER_FAILED, _refusal(exc, speaker))
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError | socket.timeout):
            return Spoken("", TIMEOUT, f"{where} did not answer within {timeout_s:g} s")
        return Spoken("", SPEAKER_FAILED, f"cannot reach {where}: {excerpt(str(exc.reason), 120)}")
    except TimeoutError:
        return Spoken("", TIMEOUT, f"{where} did not answer within {timeout_s:g} s")
    except (OSError, ValueError, AttributeError) as exc:
        return Spoken("", SPEAKER_FAILED, f"lost {where}: {excerpt(str(exc), 120)}")
    return Spoken("")


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    return left


def _refusal(exc: urllib.error.HTTPError, speaker: HomeAssistantSpeaker) -> str:
    status = exc.code
    if status == 401:
        return f"Home Assistant refused the token in {speaker.token_env} (401)"
    if status == 403:
        return f"Home Assistant does not let the token in {speaker.token_env} call services (403)"
    if status in (400, 404):
        # 2024.1 answers 400 for a service it does not have, and for bad service data.
        return (
            f"Home Assistant could not run {speaker.service} on {speaker.media_player} "
            f"({status}: {excerpt(_detail(exc), 120)})"
        )
    if 300 <= status < 400:
        return f"Home Assistant redirected the call ({status}): set url to where it points"
    return f"Home Assistant failed the call ({status}: {excerpt(_detail(exc), 120)})"


def _detail(exc: urllib.error.HTTPError) -> str:
    try:
        return exc.read(1024).decode("utf-8", errors="replace").strip() or exc.reason
    except OSError:
        return str(exc.reason)


class HomeAssistantVoice:
    """A worker thread that says each utterance in turn and reports how it went."""

    def __init__(self, speaker: HomeAssistantSpeaker, report: Callable[[Spoken], None]) -> None:
        self.speaker = speaker
        self._report = report
        self._queue: queue.Queue[tuple[Utterance, float] | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the worker thread."""
        self._thread = threading.Thread(target=self._run, name="ha-speech", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop after the call under way (if any); utterances still queued are not said."""
        if self._thread is None:
            return
        self._queue.put(None)
        self._thread.join(timeout=STOP_WAIT_S)
        self._thread = None

    def say(self, utterance: Utterance) -> None:
        """Queue words to be said; the report comes within the speaker's timeout."""
        self._queue.put((utterance, time.monotonic()))

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            utterance, queued = item
            # Every answer comes within timeout_s of the request, however many wait before it.
            left = self.speaker.timeout_s - (time.monotonic() - queued)
            if left <= 0:
                outcome = Spoken(
                    "", TIMEOUT, "Home Assistant was still busy with earlier announcements"
                )
            else:
                outcome = speak(self.speaker, utterance.words, left)
            if outcome.code is not None:
                log.warning("Home Assistant did not say %s: %s", utterance.say_id, outcome.reason)
            self._report(Spoken(utterance.say_id, outcome.code, outcome.reason))
