"""Connect a runner's Strava account: the authorize URL, its state, and the code exchange.

The state sent to Strava is signed with the client secret over the Alexa user and the time,
so what comes back is checked against the user `strava connect` was run for, even when the
code is pasted into a second run of the command.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from skill.strava.api import StravaApi
from skill.strava.config import StravaSettings
from skill.strava.errors import ConnectError
from skill.strava.store import ConnectionStore, StravaConnection

# Long enough to log in to Strava and approve; short enough that an old link is refused.
STATE_MAX_AGE_S = 60 * 60
ACTIVITY_SCOPES = frozenset({"activity:read", "activity:read_all"})


@dataclass(frozen=True)
class Redirect:
    """What Strava's redirect back to us carries (or what the runner pasted)."""

    code: str | None
    state: str | None = None
    scope: str | None = None
    error: str | None = None


def make_state(secret: str, user: str, now: float) -> str:
    """Return a state bound to an Alexa user and the time it was made."""
    issued = int(now)
    return f"{issued}.{_signature(secret, user, issued)}"


def check_state(secret: str, user: str, state: str, now: float) -> None:
    """Raise ConnectError unless `state` was made for `user` within the last hour."""
    issued_text, _, signature = state.partition(".")
    try:
        issued = int(issued_text)
    except ValueError:
        raise ConnectError("the state Strava returned is not one this command made") from None
    if not hmac.compare_digest(signature, _signature(secret, user, issued)):
        raise ConnectError(f"the state Strava returned was not made for user {user}")
    if not 0 <= now - issued <= STATE_MAX_AGE_S:
        raise ConnectError("the authorization link has expired: run strava connect again")


def _signature(secret: str, user: str, issued: int) -> str:
    digest = hmac.new(secret.encode(), f"{user}\n{issued}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def authorize_url(api: StravaApi, settings: StravaSettings, user: str, now: float) -> str:
    """Return the Strava page where the runner grants access, its state bound to `user`."""
    return api.authorization_url(make_state(settings.client_secret, user, now))


def redirect_from(query: str) -> Redirect:
    """Read a redirect's query string (Strava's ?state=...&code=...&scope=...)."""
    params = parse_qs(query, keep_blank_values=True)

    def one(name: str) -> str | None:
        values = params.get(name)
        return values[0] if values else None

    return Redirect(one("code"), one("state"), one("scope"), one("error"))


def pasted(text: str) -> Redirect:
    """Read what the runner pasted: the whole redirect URL, or the code alone."""
    text = text.strip()
    if "code=" in text or "error=" in text:
        query = urlsplit(text).query if "://" in text or "?" in text else text
        return redirect_from(query)
    return Redirect(code=text)


def complete(
    api: StravaApi,
    store: ConnectionStore,
    settings: StravaSettings,
    user: str,
    redirect: Redirect,
    now: float,
) -> StravaConnection:
    """Check a redirect, trade its code for tokens, and store the athlete linked to `user`."""
    if redirect.error:
        raise ConnectError(f"Strava did not grant access: {redirect.error}")
    if not redirect.code:
        raise ConnectError("Strava's redirect has no code")
    if redirect.state is not None:
        check_state(settings.client_secret, user, redirect.state, now)
    if redirect.scope is not None and not ACTIVITY_SCOPES & set(redirect.scope.split(",")):
        raise ConnectError(
            "access to activities was not granted: connect again and leave "
            "'View data about your private activities' ticked"
        )
    grant = api.exchange_code(redirect.code)
    assert grant.athlete_id is not None  # exchange_code refuses an answer without one
    connection = StravaConnection(
        athlete_id=grant.athlete_id,
        alexa_user_id=user,
        access_token=grant.access_token,
        refresh_token=grant.refresh_token,
        expires_at=grant.expires_at,
        scope=redirect.scope or "",
        athlete_name=grant.athlete_name,
    )
    store.save(connection)
    return connection
