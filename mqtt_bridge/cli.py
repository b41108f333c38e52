"""Commands for the home side: run the bridge, simulate devices, send a request."""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import click

from mqtt_bridge.bridge import Bridge
from mqtt_bridge.broker import MosquittoBroker
from mqtt_bridge.client import BridgeClient
from mqtt_bridge.clock import ScaledClock
from mqtt_bridge.config import BridgeConfig, load_config
from mqtt_bridge.errors import BridgeError
from mqtt_bridge.simulators import SimulatedHome

config_option = click.option(
    "--config", type=click.Path(path_type=Path), help="Bridge config (or $RECOVERY_COACH_CONFIG)."
)
scale_option = click.option(
    "--time-scale",
    type=float,
    default=1.0,
    show_default=True,
    help="Run time faster (demos and tests with simulated devices only).",
)
origin_option = click.option(
    "--time-origin", type=float, default=None, help="Unix time the scaled clock counts from."
)


def _config(path: Path | None) -> BridgeConfig:
    try:
        return load_config(path)
    except BridgeError as exc:
        raise click.ClickException(str(exc)) from exc


def _wait_for_signal() -> None:
    stop = threading.Event()
    for name in ("SIGTERM", "SIGINT"):
        signal.signal(getattr(signal, name), lambda *_: stop.set())
    while not stop.wait(0.5):
        pass


def _endpoint(config: BridgeConfig) -> tuple[str, int, MosquittoBroker | None]:
    if not config.broker.embedded:
        return config.broker.host, config.broker.port, None
    broker = MosquittoBroker(port=config.broker.port, host=config.broker.host)
    try:
        broker.start()
    except BridgeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Embedded Mosquitto on {broker.url}")
    return broker.host, broker.port, broker


@click.command("bridge")
@config_option
@scale_option
@origin_option
def bridge_command(config: Path | None, time_scale: float, time_origin: float | None) -> None:
    """Run the home bridge until SIGTERM/SIGINT (which switch heat and water off)."""
    settings = _config(config)
    host, port, broker = _endpoint(settings)
    bridge = Bridge(settings, ScaledClock(time_scale, time_origin), host=host, port=port)
    try:
        bridge.start()
    except BridgeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Recovery Coach bridge for home '{settings.home}' on {host}:{port}")
    try:
        _wait_for_signal()
    finally:
        bridge.stop()
        if broker is not None:
            broker.close()


@click.command("simulate")
@config_option
@scale_option
@origin_option
@click.option("--tap-c", type=float, default=39.0, show_default=True, help="Hot tap temperature.")
def simulate_command(
    config: Path | None, time_scale: float, time_origin: float | None, tap_c: float
) -> None:
    """Simulate every device in the config (Tasmota, Shelly, Zigbee2MQTT, Hermes) until Ctrl-C."""
    settings = _config(config)
    home = SimulatedHome(
        settings,
        settings.broker.host,
        settings.broker.port,
        scale=time_scale,
        on_event=click.echo,
        tap_c=tap_c,
    )
    try:
        home.start()
    except TimeoutError as exc:
        message = f"{exc} (is the broker at {settings.broker.url} running?)"
        raise click.ClickException(message) from exc
    click.echo(f"Simulating {len(home.devices)} devices on {settings.broker.url}")
    try:
        _wait_for_signal()
    finally:
        home.stop()


@click.command("request")
@click.argument("verb")
@click.argument("params", required=False, default="{}")
@config_option
@click.option("--timeout", type=float, default=5.0, show_default=True)
def request_command(verb: str, params: str, config: Path | None, timeout: float) -> None:
    """Send a request (e.g. heat/start '{"minutes": 10}') to the bridge and print the reply."""
    settings = _config(config)
    try:
        arguments: Any = json.loads(params)
    except ValueError as exc:
        raise click.ClickException(f"PARAMS must be JSON: {exc}") from exc
    if not isinstance(arguments, dict):
        raise click.ClickException("PARAMS must be a JSON object")
    client = BridgeClient(settings.broker)
    try:
        client.start()
        reply = client.request(settings.home, verb, arguments, timeout=timeout)
    except BridgeError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        client.stop()
    click.echo(json.dumps(reply, indent=2))
    sys.exit(0 if reply.get("status") == "ok" else 1)


COMMANDS = (bridge_command, simulate_command, request_command)
