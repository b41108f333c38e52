"""Strava's API as this skill uses it, through stravalib: OAuth grants and one activity.

Every stravalib and requests error becomes one of this package's errors here, and no message
carries a token or the client secret (stravalib sends the token in a header and the secret in
a form body, and logs parameter names only).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

import requests
from pydantic import ValidationError
from stravalib import exc
from stravalib.client import Client

from skill.strava.config import StravaSettings
from skill.strava.errors import (
    ActivityNotFoundError,
    RateLimitedError,
    StravaApiError,
    UnauthorizedError,
)
from skill.strava.session import STRAVALIB_BASE, RebasedSession, rebase

if TYPE_CHECKING:
    from stravalib.model import DetailedActivity, Stream, SummaryAthlete
    from stravalib.protocol import AccessInfo

log = logging.getLogger(__name__)

STREAM_TYPES = ["time", "heartrate", "distance", "cadence"]


@dataclass(frozen=True)
class Grant:
    """Tokens Strava granted: for a code (with the athlete) or for a refresh token."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: int
    athlete_id: int | None = None
    athlete_name: str = ""


@dataclass(frozen=True)
class FetchedActivity:
    """An activity and its streams (by type) as stravalib read them."""

    detail: DetailedActivity
    streams: Mapping[str, Stream]


class StravaApi:
    """The few Strava calls the skill makes, against the configured base URL."""

    def __init__(self, settings: StravaSettings, session: requests.Session | None = None) -> None:
        self._settings = settings
        self._session = session or RebasedSession(settings.base)
        self._client: Client | None = None

    def _strava(self, access_token: str | None = None) -> Client:
        if self._client is None:
            with _quiet_credential_warnings():
                # Rate limits are handled by the worker from the 429 answers, not by sleeping.
                self._client = Client(rate_limit_requests=False, requests_session=self._session)
        self._client.access_token = access_token
        return self._client

    def authorization_url(self, state: str) -> str:
        """Return the page where a runner grants this application access to their activities."""
        url = self._strava().authorization_url(
            client_id=self._settings.client_id,
            redirect_uri=self._settings.redirect_uri,
            scope=self._settings.scope,  # type: ignore[arg-type]
            state=state,
        )
        return rebase(url, self._settings.base)

    def exchange_code(self, code: str) -> Grant:
        """Trade an authorization code for tokens and the athlete who granted them."""
        with _translated():
            answer = self._strava().exchange_code_for_token(
                client_id=self._settings.client_id,
                client_secret=self._settings.client_secret,
                code=code,
                return_athlete=True,
            )
        # With return_athlete=True stravalib returns (tokens, athlete or None).
        access, athlete = cast("tuple[AccessInfo, SummaryAthlete | None]", answer)
        if athlete is None or not athlete.id:
            raise StravaApiError("Strava's token answer named no athlete")
        name = " ".join(part for part in (athlete.firstname, athlete.lastname) if part)
        return Grant(
            access["access_token"],
            access["refresh_token"],
            int(access["expires_at"]),
            athlete_id=int(athlete.id),
            athlete_name=name,
        )

    def refresh(self, refresh_token: str) -> Grant:
        """Trade a refresh token for a new access token (and maybe a new refresh token)."""
        with _translated():
            access = self._strava().refresh_access_token(
                client_id=self._settings.client_id,
                client_secret=self._settings.client_secret,
                refresh_token=refresh_token,
            )
        return Grant(access["access_token"], access["refresh_token"], int(access["expires_at"]))

    def deauthorize(self, access_token: str) -> None:
        """Revoke this application's access to the athlete (POST /oauth/deauthorize)."""
        # Not Client.deauthorize: it posts to /api/v3/oauth/deauthorize, and Strava documents
        # https://www.strava.com/oauth/deauthorize (with the token in the form body).
        with _translated():
            self._strava(access_token).protocol.post(
                f"{STRAVALIB_BASE}/oauth/deauthorize", data={"access_token": access_token}
            )

    def fetch_activity(self, access_token: str, activity_id: int) -> FetchedActivity:
        """Return an activity and its time, heart-rate, distance and cadence streams."""
        client = self._strava(access_token)
        with _translated():
            detail = client.get_activity(activity_id)
        try:
            with _translated():
                streams = client.get_activity_streams(activity_id, types=STREAM_TYPES)
        except ActivityNotFoundError:
            # A manual activity has no streams: its summary alone is the run.
            streams = {}
        return FetchedActivity(detail, dict(streams))


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except exc.ObjectNotFound as error:
        raise ActivityNotFoundError("Strava has no such activity (404)") from error
    except exc.AccessUnauthorized as error:
        raise UnauthorizedError("Strava refused the access token (401)") from error
    except exc.Fault as error:
        response = error.response
        status = getattr(response, "status_code", None)
        if status == 429:
            raise _rate_limited(response.headers if response is not None else {}) from error
        raise StravaApiError(f"Strava answered {status or 'an error'}") from error
    except requests.RequestException as error:
        raise StravaApiError(f"cannot reach Strava: {type(error).__name__}") from error
    except (ValidationError, KeyError, TypeError, ValueError) as error:
        raise StravaApiError(f"Strava's answer is not what its API documents: {error}") from error


def _rate_limited(headers: Mapping[str, str]) -> RateLimitedError:
    limits = _pair(headers.get("X-RateLimit-Limit"))
    usage = _pair(headers.get("X-RateLimit-Usage"))
    daily = bool(limits and usage and usage[1] >= limits[1])
    shown = f" (usage {usage[0]},{usage[1]} of {limits[0]},{limits[1]})" if limits and usage else ""
    return RateLimitedError(f"Strava's rate limit is used up{shown}", daily_exhausted=daily)


def _pair(value: str | None) -> tuple[int, int] | None:
    try:
        first, second = (int(part) for part in (value or "").split(","))
    except ValueError:
        return None
    return first, second


class _DropStravalibCredentialWarnings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # stravalib warns on the root logger that STRAVA_CLIENT_ID is not in the environment:
        # true, and harmless, since tokens are refreshed here, not by stravalib.
        return "stravalib" not in record.pathname


@contextmanager
def _quiet_credential_warnings() -> Iterator[None]:
    root = logging.getLogger()
    quiet = _DropStravalibCredentialWarnings()
    root.addFilter(quiet)
    try:
        yield
    finally:
        root.removeFilter(quiet)
