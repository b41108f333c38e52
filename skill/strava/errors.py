"""The Strava package's exceptions; the CLI and the webhook turn them into messages."""

from __future__ import annotations

from skill.errors import BadRequestError, SkillError


class StravaError(SkillError):
    """Base of every Strava error."""


class StravaApiError(StravaError):
    """Strava answered with an error, or could not be reached."""


class UnauthorizedError(StravaApiError):
    """Strava refused the access token (401): refreshed once, then given up."""


class ActivityNotFoundError(StravaApiError):
    """The activity does not exist (404): deleted before it was fetched."""


class RateLimitedError(StravaApiError):
    """Strava answered 429: the application used up its 15-minute or daily requests."""

    def __init__(self, message: str, *, daily_exhausted: bool = False) -> None:
        super().__init__(message)
        self.daily_exhausted = daily_exhausted


class ConnectError(StravaError):
    """Connecting an account failed: a bad state, a refused code, a redirect that never came."""


class BadEventError(BadRequestError, StravaError):
    """A webhook body is not an event of the shape Strava documents."""
