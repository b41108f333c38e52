"""`recovery-coach strava`: connect a runner's Strava account, see connections, disconnect."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import click

from skill.errors import SkillError
from skill.settings import Settings, load_settings
from skill.strava.config import StravaSettings

CONFIG = click.option("--config", type=click.Path(path_type=Path), help="Settings file (YAML).")


def _settings(config: Path | None) -> tuple[Settings, StravaSettings]:
    try:
        settings = load_settings(config)
    except SkillError as exc:
        raise click.ClickException(str(exc)) from exc
    if settings.strava is None:
        raise click.ClickException(
            "Strava is not configured: add a strava: section to the settings file "
            "(see docs/strava.md)"
        )
    return settings, settings.strava


@click.group()
def strava() -> None:
    """Import runs from Strava: connect accounts to Alexa users."""


@strava.command()
@click.option("--user", required=True, help="The Alexa user ID whose runs these are.")
@click.option("--code", help="The code (or the whole redirect URL) Strava sent, pasted.")
@click.option(
    "--timeout",
    type=float,
    default=300.0,
    show_default=True,
    help="Seconds to wait for Strava's redirect.",
)
@CONFIG
def connect(user: str, code: str | None, timeout: float, config: Path | None) -> None:
    """Link a Strava athlete to an Alexa user: approve in the browser, then store the tokens."""
    # Imported here: stravalib is a second of start-up no other command needs.
    from skill.strava.api import StravaApi
    from skill.strava.oauth import authorize_url, complete, pasted
    from skill.strava.redirect_server import receive_redirect
    from skill.strava.store import ConnectionStore

    settings, strava_settings = _settings(config)
    api = StravaApi(strava_settings)
    try:
        if code is None:
            click.echo("Open this page, log in to Strava and approve:")
            click.echo(authorize_url(api, strava_settings, user, time.time()))
            click.echo(f"Waiting for Strava's redirect to {strava_settings.redirect_uri} ...")
            redirect = receive_redirect(strava_settings.redirect_uri, timeout)
        else:
            redirect = pasted(code)
        connection = complete(
            api, ConnectionStore(settings.database), strava_settings, user, redirect, time.time()
        )
    except SkillError as exc:
        raise click.ClickException(str(exc)) from exc
    who = connection.athlete_name or "athlete"
    click.echo(f"Connected Strava {who} ({connection.athlete_id}) to Alexa user {user}.")


@strava.command()
@click.option("--user", required=True, help="The Alexa user ID to disconnect.")
@CONFIG
def disconnect(user: str, config: Path | None) -> None:
    """Revoke this application's access to the user's Strava athletes and forget them."""
    from skill.strava.api import StravaApi
    from skill.strava.errors import UnauthorizedError
    from skill.strava.store import ConnectionStore
    from skill.strava.tokens import TokenKeeper

    settings, strava_settings = _settings(config)
    store = ConnectionStore(settings.database)
    api = StravaApi(strava_settings)
    try:
        connections = store.for_user(user)
        if not connections:
            raise click.ClickException(f"no Strava athlete is connected to Alexa user {user}")
        for connection in connections:
            try:
                fresh = TokenKeeper(store, api).fresh(connection)
                api.deauthorize(fresh.access_token)
            except UnauthorizedError:
                # Already revoked on Strava's side: forgetting is all that is left.
                pass
            store.remove(connection.athlete_id)
            click.echo(f"Disconnected Strava athlete {connection.athlete_id} from {user}.")
    except SkillError as exc:
        raise click.ClickException(str(exc)) from exc


@strava.command()
@click.option("--user", help="Only this Alexa user's connections.")
@CONFIG
def status(user: str | None, config: Path | None) -> None:
    """Show the Strava settings (without secrets) and the connected athletes."""
    from skill.strava.store import ConnectionStore

    settings, strava_settings = _settings(config)
    click.echo(f"Strava application {strava_settings.client_id} at {strava_settings.base}")
    click.echo(f"Redirect URI: {strava_settings.redirect_uri}")
    subscription = strava_settings.subscription_id
    click.echo(f"Webhook subscription: {subscription if subscription else 'any'}")
    store = ConnectionStore(settings.database)
    try:
        connections = store.for_user(user) if user else store.all()
    except SkillError as exc:
        raise click.ClickException(str(exc)) from exc
    if not connections:
        click.echo("No Strava athlete is connected.")
    for connection in connections:
        expires = datetime.fromtimestamp(connection.expires_at, UTC).isoformat(timespec="minutes")
        name = f" {connection.athlete_name}" if connection.athlete_name else ""
        click.echo(
            f"athlete {connection.athlete_id}{name} -> {connection.alexa_user_id} "
            f"(scope {connection.scope or 'not reported'}; token until {expires})"
        )
