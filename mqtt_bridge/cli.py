"""Commands for the home side: run the bridge, simulate devices, send a request."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import click

from mqtt_bridge.adapters import HermesSpeaker
from mqtt_bridge.bridge import Bridge
from mqtt_bridge.broker import MosquittoBroker
from mqtt_bridge.client import BridgeClient
from mqtt_bridge.clock import ScaledClock
from mqtt_bridge.config import BridgeConfig, BrokerConfig, Role, load_config
from mqtt_bridge.errors import BridgeError
from mqtt_bridge.simulators import SimulatedHome
from mqtt_bridge.speaker import SpeakerDaemon
from routines.routine import Routine, RoutineError, builtin_routines, parse_routine

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


@click.command("speaker")
@click.option("--broker", "broker_url", default=None, help="mqtt://host:port [from --config]")
@config_option
@click.option("--site-id", default=None, help="Hermes site id [the config's speaker, or default]")
@click.option("--lang", default=None, help="Voice language, e.g. en-GB [from the request]")
@click.option(
    "--to-wav",
    type=click.Path(path_type=Path),
    default=None,
    help="Write each announcement to a WAV file in this folder instead of playing it.",
)
@click.option("--espeak", default=None, help="The espeak-ng binary [found on PATH]")
def speaker_command(
    broker_url: str | None,
    config: Path | None,
    site_id: str | None,
    lang: str | None,
    to_wav: Path | None,
    espeak: str | None,
) -> None:
    """Speak announcements (hermes/tts/say) with espeak-ng, e.g. on a Raspberry Pi."""
    if broker_url is not None:
        broker = BrokerConfig(url=broker_url)
        site = site_id or "default"
    else:
        settings = _config(config)
        broker = settings.broker
        device = settings.device(Role.SPEAKER)
        adapter = device.adapter if device else None
        site = site_id or (adapter.site_id if isinstance(adapter, HermesSpeaker) else "default")
        lang = lang or (adapter.lang if isinstance(adapter, HermesSpeaker) else None)
    daemon = SpeakerDaemon(broker, site, lang=lang, to_wav=to_wav, espeak=espeak)
    try:
        daemon.start()
    except BridgeError as exc:
        raise click.ClickException(str(exc)) from exc
    where = f"writing WAV files to {to_wav}" if to_wav else "speaking aloud"
    click.echo(f"Speaker for site '{site}' on {broker.url}, {where}")
    try:
        _wait_for_signal()
    finally:
        daemon.stop()


@click.group("routines")
def routines_group() -> None:
    """List, show and validate routines."""


@routines_group.command("list")
@config_option
def routines_list(config: Path | None) -> None:
    """List the routines (built-in and the config's routines_dir)."""
    for routine in _routines(config).values():
        click.echo(f"{routine.name:<20} {routine.title} ({len(routine.steps)} steps)")


@routines_group.command("show")
@click.argument("name")
@config_option
def routines_show(name: str, config: Path | None) -> None:
    """Show a routine's steps and how long it takes."""
    routines = _routines(config)
    if name not in routines:
        raise click.ClickException(f"unknown routine {name!r}; known: {', '.join(routines)}")
    routine = routines[name]
    click.echo(f"{routine.title} ({routine.source})")
    if routine.description:
        click.echo(routine.description)
    for index in range(len(routine.steps)):
        click.echo(f"  {index + 1:>2}. {routine.step_title(index)}")


@routines_group.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def routines_validate(files: tuple[Path, ...]) -> None:
    """Check routine files; print file:line: reason for each problem."""
    failed = False
    for path in files:
        try:
            routine = parse_routine(path.read_text("utf-8"), str(path))
        except OSError as exc:
            click.echo(f"{path}: cannot read: {exc.strerror}", err=True)
            failed = True
        except RoutineError as exc:
            click.echo(str(exc), err=True)
            failed = True
        else:
            click.echo(f"{path}: ok ({routine.name}, {len(routine.steps)} steps)")
    if failed:
        sys.exit(1)


def _routines(config: Path | None) -> dict[str, Routine]:
    if config is None and not os.environ.get("RECOVERY_COACH_CONFIG"):
        return builtin_routines()
    return dict(_config(config).routines)


COMMANDS = (bridge_command, simulate_command, request_command, speaker_command, routines_group)
