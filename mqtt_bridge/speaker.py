"""A speaker for homes without one: Hermes text-to-speech with espeak-ng.

Listens on hermes/tts/say for its site, speaks (or writes a WAV file), then answers
hermes/tts/sayFinished. It only says "finished" when speech really happened; when espeak-ng
fails it answers hermes/error/tts instead, so the bridge can tell a failing speaker at once.
"""

from __future__ import annotations

import logging
import os
import queue
import re
import shutil
import subprocess
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from mqtt_bridge.adapters.speakers import SAY, SAY_FAILED, SAY_FINISHED
from mqtt_bridge.config import BrokerConfig
from mqtt_bridge.connection import MqttConnection
from mqtt_bridge.errors import BridgeError
from mqtt_bridge.messages import Message, parse_json

log = logging.getLogger(__name__)
ESPEAK_TIMEOUT_S = 120
SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")
STDERR_SHOWN = 200


@dataclass(frozen=True)
class Utterance:
    """One thing to say."""

    text: str
    say_id: str
    session_id: str | None
    lang: str | None


def find_espeak(path: str | None = None) -> str:
    """Return the espeak-ng binary (the given one, or the one on PATH), or explain what's wrong."""
    if path is not None:
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            raise BridgeError(f"espeak-ng: {path} is not an executable file")
        return path
    found = shutil.which("espeak-ng")
    if found is None:
        raise BridgeError("espeak-ng is not installed: sudo apt-get install espeak-ng")
    return found


def voice_for(lang: str | None) -> str:
    """Map 'en-GB' style language tags to espeak-ng voices ('en-gb')."""
    return (lang or "en-US").lower()


class SpeakerDaemon:
    """Start/stop component; the constructor does no I/O."""

    def __init__(
        self,
        broker: BrokerConfig,
        site_id: str = "default",
        *,
        lang: str | None = None,
        to_wav: Path | None = None,
        host: str | None = None,
        port: int | None = None,
        espeak: str | None = None,
    ) -> None:
        self.site_id = site_id
        self._espeak_path = espeak
        self.lang = lang
        self.to_wav = to_wav
        self._broker, self._host, self._port = broker, host, port
        self._queue: queue.Queue[Utterance | None] = queue.Queue()
        self._count = 0
        self._connection: MqttConnection | None = None
        self._worker: threading.Thread | None = None
        self.rendered: list[Path] = []

    def start(self) -> None:
        """Check espeak-ng, connect, and start speaking what arrives."""
        self._espeak = find_espeak(self._espeak_path)
        if self.to_wav is not None:
            self.to_wav.mkdir(parents=True, exist_ok=True)
        self._connection = MqttConnection(
            self._broker,
            f"recovery-coach-speaker-{self.site_id}-{uuid.uuid4().hex[:6]}",
            subscriptions=lambda: [SAY],
            on_message=lambda message: self._received(message.topic, message.payload),
            host=self._host,
            port=self._port,
        )
        self._connection.start()
        self._worker = threading.Thread(target=self._run, name="speaker", daemon=True)
        self._worker.start()

    @property
    def connected(self) -> threading.Event:
        assert self._connection is not None, "start() first"
        return self._connection.connected

    def stop(self) -> None:
        """Finish the current utterance and disconnect."""
        self._queue.put(None)
        if self._worker is not None:
            self._worker.join(ESPEAK_TIMEOUT_S)
        if self._connection is not None:
            self._connection.stop()

    def _received(self, topic: str, payload: bytes) -> None:
        request = parse_json(payload)
        if not isinstance(request, dict) or request.get("siteId", "default") != self.site_id:
            return
        text = request.get("text")
        if not isinstance(text, str) or not text.strip():
            return
        say_id = str(request.get("id") or uuid.uuid4().hex)
        session = request.get("sessionId")
        lang = request.get("lang") if isinstance(request.get("lang"), str) else self.lang
        self._queue.put(Utterance(text, say_id, str(session) if session else None, lang))

    def _run(self) -> None:
        while (utterance := self._queue.get()) is not None:
            failure = self._speak(utterance)
            assert self._connection is not None
            if failure is None:
                finished = {
                    "id": utterance.say_id,
                    "siteId": self.site_id,
                    "sessionId": utterance.session_id,
                }
                self._connection.publish(Message.json(SAY_FINISHED, finished))
            else:
                # Rhasspy's TtsError: the id goes in context, as the error has no id of its own.
                error = {
                    "error": failure,
                    "context": utterance.say_id,
                    "siteId": self.site_id,
                    "sessionId": utterance.session_id,
                }
                self._connection.publish(Message.json(SAY_FAILED, error))

    def _speak(self, utterance: Utterance) -> str | None:
        """Say it; return None when spoken, else why not."""
        command = [self._espeak, "-v", voice_for(utterance.lang), "--stdin"]
        target: Path | None = None
        if self.to_wav is not None:
            self._count += 1
            target = self.to_wav / f"{self._count:04d}-{SAFE_NAME.sub('_', utterance.say_id)}.wav"
            command += ["-w", str(target)]
        try:
            subprocess.run(
                command,
                input=utterance.text.encode(),
                check=True,
                capture_output=True,
                timeout=ESPEAK_TIMEOUT_S,
            )
        except subprocess.CalledProcessError as exc:
            said = (exc.stderr or b"").decode("utf-8", "replace").strip()[:STDERR_SHOWN]
            failure = f"espeak-ng failed (exit {exc.returncode})" + (f": {said}" if said else "")
        except subprocess.TimeoutExpired:
            failure = f"espeak-ng took longer than {ESPEAK_TIMEOUT_S} s"
        except OSError as exc:
            failure = f"espeak-ng could not run: {exc.strerror or exc}"
        else:
            if target is not None:
                self.rendered.append(target)
            log.info("said: %s", utterance.text)
            return None
        log.error("could not speak %r: %s", utterance.text[:40], failure)
        return failure
