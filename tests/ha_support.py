"""A real HTTP server standing in for Home Assistant's REST API: records calls, answers as told."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "test-token-5f2b9c"


@dataclass
class Call:
    """One request the server got."""

    method: str
    path: str
    authorization: str | None
    body: Any


@dataclass
class FakeHomeAssistant:
    """Serve /api/states/<entity> and /api/services/<domain>/<service> on a free loopback port."""

    states: dict[str, str] = field(
        default_factory=lambda: {"tts.piper": "unknown", "media_player.bathroom": "idle"}
    )
    status: int = 200  # what a service call answers
    delay_s: float = 0.0  # how long a service call takes
    redirect_to: str | None = None
    calls: list[Call] = field(default_factory=list)

    def __post_init__(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _record(self, body: Any) -> bool:
                fake.calls.append(
                    Call(self.command, self.path, self.headers.get("Authorization"), body)
                )
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    self._answer(401, b"401: Unauthorized", "text/plain")
                    return False
                return True

            def _answer(self, status: int, body: bytes, kind: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if not self._record(None):
                    return
                entity = self.path.removeprefix("/api/states/")
                if entity not in fake.states:
                    self._answer(404, b'{"message":"Entity not found."}')
                    return
                state = {"entity_id": entity, "state": fake.states[entity], "attributes": {}}
                self._answer(200, json.dumps(state).encode())

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if not self._record(json.loads(self.rfile.read(length) or b"null")):
                    return
                if fake.redirect_to is not None:
                    self.send_response(307)
                    self.send_header("Location", fake.redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                time.sleep(fake.delay_s)
                if fake.status == 200:
                    self._answer(200, b"[]")
                else:
                    self._answer(
                        fake.status, f"{fake.status}: Server said no".encode(), "text/plain"
                    )

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def service_calls(self) -> list[Call]:
        return [call for call in self.calls if call.method == "POST"]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
