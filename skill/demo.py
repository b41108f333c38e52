"""`recovery-coach demo`: the whole system on one machine, with simulated devices."""

from __future__ import annotations

import json
import logging
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from mqtt_bridge.bridge import Bridge
from mqtt_bridge.broker import MosquittoBroker, free_port
from mqtt_bridge.client import BridgeClient
from mqtt_bridge.clock import ScaledClock
from mqtt_bridge.config import BridgeConfig, parse_config
from mqtt_bridge.errors import BridgeError
from mqtt_bridge.reply_types import ErrorReply, HomeState, parse_reply
from mqtt_bridge.simulators import SimulatedHome
from skill.console import chat_loop
from skill.conversation import Conversation, http_transport
from skill.home import HomeAccess
from skill.nlu import Recognizer
from skill.server import build_server
from skill.settings import Settings
from skill.web import create_app

DEMO_HOME: dict[str, Any] = {
    "home": "demo",
    "devices": {
        "heating_pad": {"role": "heating_pad", "adapter": {"type": "tasmota", "topic": "heatpad"}},
        "bath_valve": {
            "role": "bath_valve",
            "adapter": {"type": "shelly", "device_id": "shellyplus1-bath"},
        },
        "bath_thermometer": {
            "role": "bath_temperature",
            "adapter": {"type": "zigbee2mqtt", "friendly_name": "bath_thermometer"},
        },
        "floor_leak": {
            "role": "leak_sensor",
            "adapter": {"type": "zigbee2mqtt", "friendly_name": "bathroom_leak"},
        },
        "speaker": {"role": "speaker", "adapter": {"type": "hermes", "site_id": "bathroom"}},
    },
    # With time sped up, hours pass in minutes: these two rules would only get in the way.
    "safety": {"heat": {"quiet_hours": None, "min_gap_minutes": 0}},
}
HOME_HELP = (
    "Home commands start with '/': /heat/start minutes=10, /heat/stop, "
    "/bath/fill temperature_c=39 epsom=true, /bath/stop, /announce text=hello, /status"
)


def parse_home_command(line: str) -> tuple[str, dict[str, Any]]:
    """Read '/heat/start minutes=10' as a verb and JSON-typed parameters."""
    verb, *pairs = line[1:].split()
    params: dict[str, Any] = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        try:
            params[key] = json.loads(value)
        except ValueError:
            params[key] = value
    return verb, params


def describe_status(state: HomeState) -> str:
    """Summarise the bridge's state in one line."""
    heat, bath = state.heat, state.bath
    parts = [
        f"heating pad on, {heat.remaining_min} min left" if heat.running else "heating pad off",
        f"bath {bath.status}"
        + (f", {bath.remaining_min} min left" if bath.status == "filling" else ""),
    ]
    offline = [name for name, device in state.devices.items() if device.online is False]
    if offline:
        parts.append("offline: " + ", ".join(offline))
    return "; ".join(parts)


class Home:
    """A private broker, simulated devices and the bridge, printing what happens."""

    def __init__(self, database: Path, scale: float, echo: Callable[[str], None]) -> None:
        self.broker = MosquittoBroker()
        self.clock = ScaledClock(scale)
        self.echo = echo
        document = {
            **DEMO_HOME,
            "broker": {"url": self.broker.url},
            "timer_database": str(database),
        }
        self.config: BridgeConfig = parse_config(document, env={})
        self.devices = SimulatedHome(
            self.config, self.broker.host, self.broker.port, scale=scale, on_event=self._event
        )
        self.bridge = Bridge(self.config, self.clock)
        self.client = BridgeClient(self.config.broker)

    def _event(self, line: str) -> None:
        moment = self.clock.now().astimezone().strftime("%H:%M")
        self.echo(f"  [home {moment}] {line}")

    def start(self) -> None:
        self.broker.start()
        self.devices.start()
        self.bridge.start()
        self.client.start()

    def stop(self) -> None:
        self.client.stop()
        self.bridge.stop()
        self.devices.stop()
        self.broker.close()

    def request(self, line: str) -> str:
        verb, params = parse_home_command(line)
        try:
            reply = parse_reply(
                verb, self.client.request(self.config.home, verb, params, timeout=8)
            )
        except BridgeError as exc:
            return f"(home: {exc})"
        if isinstance(reply, ErrorReply):
            return f"home: {reply.error} ({reply.code})"
        if isinstance(reply.data, HomeState):
            return "home: " + describe_status(reply.data)
        return "home: ok " + json.dumps(reply.data.wire())


def run_demo(locale: str, settings: Settings, scale: float) -> None:
    """Start the simulated home, then the skill wired to it, then chat until the user quits."""
    logging.getLogger("skill").setLevel(logging.WARNING)
    logging.getLogger("skill.web").setLevel(logging.ERROR)
    logging.getLogger("mqtt_bridge").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="recovery-demo-") as folder:
        home: Home | None = Home(Path(folder) / "bridge.sqlite3", scale, click.echo)
        access: HomeAccess | None = None
        try:
            assert home is not None
            home.start()
            access = HomeAccess(
                home.client,
                default_home=home.config.home,
                user_homes={},
                safety=home.config.safety,
                timeout_s=settings.home_timeout_s,
                timezone=home.config.timezone,
            )
            click.echo(
                f"Home bridge with simulated Tasmota heating pad, Shelly bath valve, Zigbee "
                f"sensors and a speaker on {home.broker.url}; time runs {scale:g}x faster."
            )
        except BridgeError as exc:
            click.echo(f"(no home part: {exc})")
            home = None
        port = free_port()
        app = create_app(settings, home=access)
        server = build_server(app, "127.0.0.1", port)
        url = f"http://127.0.0.1:{port}/alexa"
        threading.Thread(target=server.run, name="skill-server", daemon=True).start()
        click.echo(f"Skill server (verification off, local only) on {url}")
        if home is not None:
            click.echo(
                'Say "turn on the heating pad for ten minutes", "draw me an Epsom salt bath", '
                '"stretch with me", "start my recovery routine", "what\'s next", '
                '"what\'s running"; or send raw requests: ' + HOME_HELP[0].lower() + HOME_HELP[1:]
            )
        conversation = Conversation(Recognizer.load(locale), http_transport(url), locale)

        def home_command(line: str) -> str:
            return home.request(line) if home else "(the home part is not running)"

        try:
            click.echo()
            chat_loop(conversation, home_command)
        finally:
            if home is not None:
                home.stop()
            server.close()
