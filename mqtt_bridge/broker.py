"""Run a private Mosquitto broker (for `broker: embedded`, the demo and the tests)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from mqtt_bridge.errors import BridgeError

CANDIDATES = ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto", "/opt/homebrew/sbin/mosquitto")


def find_mosquitto() -> str:
    """Return the mosquitto binary, or explain how to install it."""
    found = shutil.which("mosquitto") or next(
        (path for path in CANDIDATES if Path(path).is_file()), None
    )
    if found is None:
        raise BridgeError("Mosquitto is not installed: sudo apt-get install mosquitto")
    return found


def free_port() -> int:
    """Return a TCP port on loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class MosquittoBroker:
    """A Mosquitto of our own on loopback: no persistence, anonymous unless told, on a free port."""

    def __init__(
        self,
        port: int | None = None,
        host: str = "127.0.0.1",
        *,
        extra: str = "",
        anonymous: bool = True,
    ) -> None:
        self.host = host
        self.extra = extra  # more lines for the listener, such as cafile/certfile/keyfile
        # False for a broker that checks a password_file (and perhaps client certificates).
        self.anonymous = anonymous
        self.port = port or free_port()
        self._dir = tempfile.TemporaryDirectory(prefix="recovery-mosquitto-")
        # Run as root, Mosquitto drops to its own user before reading certificates.
        Path(self._dir.name).chmod(0o755)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def directory(self) -> Path:
        """The broker's private folder (readable by the mosquitto user), e.g. for TLS files."""
        return Path(self._dir.name)

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        """Start Mosquitto and wait until it accepts connections."""
        config = Path(self._dir.name) / "mosquitto.conf"
        # Mosquitto 2 binds only to localhost without a listener line; ours names one.
        config.write_text(
            # Without set_tcp_nodelay each QoS 1 hop waits ~44 ms on a delayed ACK.
            f"set_tcp_nodelay true\nlistener {self.port} {self.host}\n"
            f"allow_anonymous {'true' if self.anonymous else 'false'}\npersistence false\n"
            f"{self.extra}\nlog_dest stderr\nlog_type error\nlog_type warning\n"
        )
        log = (Path(self._dir.name) / "mosquitto.log").open("ab")
        self._process = subprocess.Popen(
            [find_mosquitto(), "-c", str(config)], stdout=log, stderr=log
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise BridgeError(f"mosquitto exited: {self.log()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise BridgeError(f"mosquitto did not start on port {self.port}")

    def stop(self) -> None:
        """Stop Mosquitto."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def restart(self) -> None:
        """Stop and start again on the same port (clients must reconnect)."""
        self.stop()
        self.start()

    def close(self) -> None:
        """Stop and remove the temporary files."""
        self.stop()
        self._dir.cleanup()

    def log(self) -> str:
        path = Path(self._dir.name) / "mosquitto.log"
        return path.read_text(errors="replace") if path.exists() else ""
