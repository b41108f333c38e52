"""The `recovery-coach` command: serve the skill, or talk to it from a terminal."""

from __future__ import annotations

import hashlib
import json
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from mqtt_bridge.cli import COMMANDS as BRIDGE_COMMANDS
from skill.console import chat_loop, show
from skill.conversation import Conversation, Transport, TransportError, http_transport
from skill.demo import run_demo
from skill.errors import SettingsError, SkillError
from skill.file_import import FileOutcome, import_files
from skill.home import HomeAccess
from skill.import_watch import FolderWatch
from skill.lambda_function import persistence_for
from skill.model_build import ModelBuildError, build_all
from skill.nlu import Recognizer
from skill.persistence import SQLitePersistenceAdapter
from skill.phrase_grammar import GrammarError
from skill.report.write import write_report
from skill.server import build_server
from skill.service import SkillService, build_skill
from skill.settings import Runner, Settings, load_settings
from skill.strava.cli import strava
from skill.web import create_app, stop_background

LOCALES = click.Choice(["en-US", "en-GB"])


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log debug details.")
def main(verbose: bool) -> None:
    """Recovery Coach: recovery guidance for runners, by voice and at home."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _settings(config: Path | None, **overrides: Any) -> Settings:
    try:
        return load_settings(config).with_overrides(**overrides)
    except SkillError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command()
@click.option("--host", default=None, help="Address to listen on [default: 127.0.0.1].")
@click.option("--port", type=int, default=None, help="Port to listen on [default: 5000].")
@click.option("--config", type=click.Path(path_type=Path), help="Settings file (YAML).")
@click.option("--no-verify", is_flag=True, help="Skip Alexa request verification (local only!).")
def serve(host: str | None, port: int | None, config: Path | None, no_verify: bool) -> None:
    """Serve the skill: POST /alexa, GET /healthz."""
    settings = _settings(config, host=host, port=port, verify_requests=False if no_verify else None)
    try:
        app = create_app(settings)
    except SkillError as exc:
        raise click.ClickException(str(exc)) from exc
    server = build_server(app, settings.host, settings.port)
    port = getattr(server, "effective_port", settings.port)
    click.echo(f"Recovery Coach skill on http://{settings.host}:{port}/alexa")
    try:
        server.run()
    finally:
        stop_background(app)


def _transport(url: str | None, config: Path | None) -> Transport:
    if url:
        return http_transport(url)
    settings = _settings(config)
    persistence = SQLitePersistenceAdapter(settings.database)
    access = HomeAccess.from_settings(settings)
    service = SkillService(build_skill(persistence, access, settings.timezone))
    return service.dispatch


@main.command()
@click.argument("phrase")
@click.option("--locale", type=LOCALES, default="en-US", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the whole response envelope.")
@click.option("--url", help="Send to a running skill server instead of in-process dispatch.")
@click.option("--user", default="amzn1.ask.account.local-user", show_default=True)
@click.option("--config", type=click.Path(path_type=Path), help="Settings file (YAML).")
def ask(
    phrase: str, locale: str, as_json: bool, url: str | None, user: str, config: Path | None
) -> None:
    """Say one PHRASE to the skill and print what Alexa would say."""
    conversation = Conversation(
        Recognizer.load(locale), _transport(url, config), locale=locale, user_id=user
    )
    try:
        response = conversation.say(phrase)
    except TransportError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(response, indent=2))
    else:
        show(response, card=True)


@main.command()
@click.option("--locale", type=LOCALES, default="en-US", show_default=True)
@click.option("--url", help="Send to a running skill server instead of in-process dispatch.")
@click.option("--user", default="amzn1.ask.account.local-user", show_default=True)
@click.option("--config", type=click.Path(path_type=Path), help="Settings file (YAML).")
def chat(locale: str, url: str | None, user: str, config: Path | None) -> None:
    """Talk to the skill turn by turn, keeping the session, until you type quit."""
    chat_loop(Conversation(Recognizer.load(locale), _transport(url, config), locale, user))


@main.command()
@click.option("--locale", type=LOCALES, default="en-US", show_default=True)
@click.option("--config", type=click.Path(path_type=Path), help="Skill settings file (YAML).")
@click.option(
    "--time-scale",
    type=float,
    default=60.0,
    show_default=True,
    help="How much faster time runs in the simulated home.",
)
def demo(locale: str, config: Path | None, time_scale: float) -> None:
    """Run the skill, a private broker, simulated devices and the bridge; chat with it."""
    run_demo(locale, _settings(config, verify_requests=False), time_scale)


@main.command("import")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--user",
    required=True,
    help="The runner: an Alexa user id, or a name from the config file's runners: section.",
)
@click.option("--config", type=click.Path(path_type=Path), help="Settings file (YAML).")
@click.option("--rest-hr", type=float, help="Resting heart rate, for the runs' load.")
@click.option("--max-hr", type=float, help="Maximum heart rate, for the runs' load.")
@click.option(
    "--watch",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep importing new files from this folder (a watch's sync folder) until stopped.",
)
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    help="Seconds between looks at the watched folder.",
)
def import_(
    files: tuple[Path, ...],
    user: str,
    config: Path | None,
    rest_hr: float | None,
    max_hr: float | None,
    watch: Path | None,
    interval: float,
) -> None:
    """Import runs from GPX, TCX and FIT FILES (also .gz) into a runner's history."""
    if not files and watch is None:
        raise click.UsageError("name FILES to import, or a folder to --watch")
    settings = _settings(config)
    try:
        runner = settings.runner(user)
        runner = Runner(
            runner.user_id,
            runner.rest_bpm if rest_hr is None else rest_hr,
            runner.max_bpm if max_hr is None else max_hr,
        )
        profile = runner.profile()
        store = persistence_for(settings)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    now = datetime.now(UTC)

    def report(outcome: FileOutcome) -> None:
        click.echo(outcome.describe(settings.timezone, now), err=outcome.failed)

    def importer(paths: Sequence[Path]) -> list[FileOutcome]:
        return import_files(store, runner.user_id, paths, profile)

    failed = False
    if files:
        try:
            outcomes = importer(files)
        except SkillError as exc:
            raise click.ClickException(f"nothing was stored: {exc}") from exc
        for outcome in outcomes:
            report(outcome)
        failed = any(outcome.failed for outcome in outcomes)
    if watch is not None:
        _watch(
            FolderWatch(watch, importer, _watch_state(settings, runner, watch), report), interval
        )
    if failed:
        sys.exit(1)


def _watch_state(settings: Settings, runner: Runner, folder: Path) -> Path:
    """Return where a watch remembers the files it handled: beside the database, per folder."""
    key = hashlib.sha256(f"{runner.user_id}\0{folder.resolve()}".encode()).hexdigest()[:16]
    return settings.database.parent / f"import-watch-{key}.json"


def _watch(folder_watch: FolderWatch, interval: float) -> None:
    """Poll until Ctrl-C or SIGTERM, finishing the poll under way."""
    stop = threading.Event()
    previous = {
        number: signal.signal(number, lambda *_: stop.set())
        for number in (signal.SIGINT, signal.SIGTERM)
    }
    click.echo(f"watching {folder_watch.folder} every {interval:g} s (Ctrl-C to stop)", err=True)
    try:
        folder_watch.run(interval, stop)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    click.echo("stopped watching", err=True)


@main.group()
def model() -> None:
    """Build the Alexa interaction models from the phrase grammar."""


@model.command("build")
@click.option("--check", is_flag=True, help="Only check that the committed models are current.")
def model_build(check: bool) -> None:
    """Write skill-package/interactionModels/custom/<locale>.json from skill/grammar/."""
    try:
        changed = build_all(check=check)
    except (ModelBuildError, GrammarError) as exc:
        raise click.ClickException(str(exc)) from exc
    if check and changed:
        raise click.ClickException(
            "stale models (run `recovery-coach model build`): " + ", ".join(changed)
        )
    click.echo(
        ("current: " if check or not changed else "wrote: ")
        + (", ".join(changed) if changed else "every locale")
    )


@main.command()
@click.option(
    "--user", required=True, help="The runner: a name under runners:, or an Alexa user id."
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("report.html"),
    show_default=True,
    help="Where to write the HTML page.",
)
@click.option("--name", help="The runner's name on the page [default: the user id].")
@click.option("--config", type=click.Path(path_type=Path), help="Settings file (YAML).")
def report(user: str, out: Path, name: str | None, config: Path | None) -> None:
    """Write a runner's report: 12 weeks of mileage, training load and recovery log."""
    settings = _settings(config)
    try:
        runner = settings.runner(user)
        label = name or (user if user in settings.runners else None)
        written = write_report(
            settings.database,
            runner.user_id,
            out,
            datetime.now(UTC),
            settings.timezone or UTC,
            label,
        )
    except SkillError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Wrote the report to {written.resolve()}")


main.add_command(strava)
for command in BRIDGE_COMMANDS:
    main.add_command(command)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
