"""The skill's HTTP server: waitress, tuned so idle or slow clients cannot take Alexa's place."""

from __future__ import annotations

import resource
import threading
import time
from typing import Any, cast

from waitress import wasyncore
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import MultiSocketServer, TcpWSGIServer
from waitress.task import ErrorTask, ThreadedTaskDispatcher
from waitress.utilities import Error, RequestEntityTooLarge

from skill.edge import MAX_BODY_BYTES, error_bytes

# Alexa's headers (signature, certificate URL, a proxy's X-Forwarded-*) fit in a few KiB.
MAX_HEADER_BYTES = 32 * 1024
# A request must arrive whole this many seconds after its first byte. waitress alone only
# drops connections that go quiet, so a client trickling a byte every few seconds would keep
# its connection forever; Alexa sends a whole request within milliseconds.
REQUEST_DEADLINE_S = 10.0
# Idle sockets cost a file descriptor and a few KiB each, so many can be kept: waitress's
# default of 100 let 100 idle clients lock Alexa out. Capped below the process's open-file
# limit (see connection_limit), with room for the database, logs and the bridge.
WANTED_CONNECTIONS = 2000
RESERVED_FILES = 64

SERVER_OPTIONS: dict[str, Any] = {
    # Requests mostly wait (SQLite, or the home bridge for up to home_timeout_s): enough
    # threads that a few slow home answers do not queue the quick ones.
    "threads": 16,
    # An idle connection is dropped after this long without a byte...
    "channel_timeout": 10,
    # ...checked this often, so a dead client holds its socket at most ~12 s.
    "cleanup_interval": 2,
    # select() cannot watch descriptors above 1023; poll() has no such limit.
    "asyncore_use_poll": True,
    "max_request_header_size": MAX_HEADER_BYTES,
    # waitress refuses a body whose size is >= this, so one more than the limit lets a body of
    # exactly MAX_BODY_BYTES through; Content-Length is checked before any body is read.
    "max_request_body_size": MAX_BODY_BYTES + 1,
    # Whole requests stay in memory: no temp files, which would cost descriptors and disk.
    "inbuf_overflow": MAX_BODY_BYTES + MAX_HEADER_BYTES,
    # Responses are a few KiB; a client that stops reading holds at most this much of ours.
    "outbuf_overflow": 256 * 1024,
    "outbuf_high_watermark": 1024 * 1024,
}


def connection_limit() -> int:
    """Return how many connections the process's open-file limit leaves room for."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return WANTED_CONNECTIONS
    return max(100, min(WANTED_CONNECTIONS, soft - RESERVED_FILES))


class _JsonErrorTask(ErrorTask):
    """Answer waitress's own refusals (413, 431, 400) in the skill's JSON error shape."""

    def execute(self) -> None:
        """Write the error as JSON and close the connection."""
        parser: Any = self.request  # the stubs call it an Error; it is the request parser
        error = cast(Error, parser.error)
        if isinstance(error, RequestEntityTooLarge):
            reason = "request body is too large"
        else:
            reason = f"{error.reason.lower()}: {error.body}"
        body = error_bytes(reason)
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", "application/json"))  # type: ignore[attr-defined]
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class _Channel(HTTPChannel):
    """A connection that remembers when its current request started arriving."""

    error_task_class = _JsonErrorTask
    reading_since: float | None = None

    def received(self, data: bytes) -> bool:
        """Note the first byte of each request, then parse as waitress does."""
        if self.request is None:
            self.reading_since = time.time()  # waitress's own clock for last_activity
        received = super().received(data)
        if self.request is None:
            self.reading_since = None
        return received


class _Server(TcpWSGIServer):
    """waitress's TCP server, also dropping clients too slow to finish a request."""

    channel_class = _Channel
    request_deadline_s = REQUEST_DEADLINE_S

    def maintenance(self, now: float) -> None:
        """Close idle channels (waitress) and channels stuck mid-request (ours)."""
        super().maintenance(now)  # type: ignore[arg-type]  # the stubs say int; it is time()
        cutoff = now - self.request_deadline_s
        channels = cast(dict[int, HTTPChannel], self.active_channels)
        for channel in channels.values():
            started = getattr(channel, "reading_since", None)
            if started is not None and started < cutoff and not channel.requests:
                channel.will_close = True


def build_server(
    app: Any, host: str, port: int, *, request_deadline_s: float = REQUEST_DEADLINE_S
) -> _Server | MultiSocketServer:
    """Create the hardened server for `app`, listening on every address `host` names."""
    adj = Adjustments(host=host, port=port, connection_limit=connection_limit(), **SERVER_OPTIONS)
    socket_map: dict[int, Any] = {}
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(adj.threads)
    servers = []
    for sockinfo in adj.listen:
        server = _Server(
            app,
            socket_map,
            dispatcher=dispatcher,
            adj=adj,
            sockinfo=sockinfo,  # type: ignore[arg-type]  # the stubs mistype it as str
        )
        server.request_deadline_s = request_deadline_s
        servers.append(server)
    if len(servers) == 1:
        return servers[0]
    listening = [(str(s.effective_host), int(s.effective_port)) for s in servers]  # type: ignore[attr-defined]
    return MultiSocketServer(socket_map, adj, listening, dispatcher)


class RunningServer:
    """Serve a built server on its own thread until stopped."""

    def __init__(self, server: _Server | MultiSocketServer) -> None:
        self.server = server
        self._thread = threading.Thread(target=server.run, name="waitress", daemon=True)

    @property
    def port(self) -> int:
        """Return the port the server listens on (the first, if several)."""
        return int(getattr(self.server, "effective_port", 0))

    @property
    def serving(self) -> bool:
        """Return whether the server's loop is still running."""
        return self._thread.is_alive()

    def start(self) -> RunningServer:
        """Start serving in the background."""
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Finish the requests under way, close every socket on the loop's thread, and join."""
        if not self._thread.is_alive():
            return
        # Workers first: a worker finishing a request pulls the trigger, which must still be
        # open. Closing sockets from this thread instead (waitress's close()) leaves open
        # keep-alive channels looping on a closed trigger: OSError in pull_trigger.
        self.server.task_dispatcher.shutdown(timeout=round(timeout))
        if isinstance(self.server, MultiSocketServer):
            socket_map = cast(dict[int, Any], self.server.map)
        else:
            socket_map = cast(dict[int, Any], self.server._map)  # type: ignore[attr-defined]
        trigger: Any = next(s.trigger for s in socket_map.values() if isinstance(s, _Server))
        # close_all empties the map, which ends waitress's loop on its own thread.
        trigger.pull_trigger(lambda: wasyncore.close_all(socket_map))
        self._thread.join(timeout)
