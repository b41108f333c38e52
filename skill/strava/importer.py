"""What one webhook event does to a runner's history: import, re-import, remove, forget."""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import StrEnum

from routines.load import HeartRateProfile
from skill.run_import import UserStore, import_activities, remove_activity
from skill.strava.activity_map import SOURCE, is_run, sport_of, to_activity
from skill.strava.api import FetchedActivity, StravaApi
from skill.strava.errors import ActivityNotFoundError, UnauthorizedError
from skill.strava.events import WebhookEvent
from skill.strava.store import ConnectionStore, StravaConnection
from skill.strava.tokens import TokenKeeper

log = logging.getLogger(__name__)

ProfileFor = Callable[[str], HeartRateProfile | None]


class Outcome(StrEnum):
    IMPORTED = "imported"
    ALREADY_STORED = "already stored"
    REMOVED = "removed"
    NOT_STORED = "not stored"
    NOT_A_RUN = "not a run"
    UNKNOWN_ATHLETE = "unknown athlete"
    FORGOTTEN = "forgotten"
    IGNORED = "ignored"


def no_profile(_: str) -> HeartRateProfile | None:
    """Use the default heart-rate profile for every runner."""
    return None


class EventHandler:
    """Apply Strava events to the linked Alexa users' histories, one event at a time."""

    def __init__(
        self,
        connections: ConnectionStore,
        api: StravaApi,
        users: UserStore,
        tokens: TokenKeeper,
        profile_for: ProfileFor = no_profile,
    ) -> None:
        self._connections = connections
        self._api = api
        self._users = users
        self._tokens = tokens
        self._profile_for = profile_for

    def handle(self, event: WebhookEvent) -> Outcome:
        """Apply one event; RateLimitedError and StravaApiError propagate to the caller."""
        connection = self._connections.get(event.owner_id)
        if connection is None:
            log.info("Strava event for athlete %d, who is not connected: ignored", event.owner_id)
            return Outcome.UNKNOWN_ATHLETE
        if event.object_type == "athlete":
            if event.deauthorized:
                self._connections.remove(event.owner_id)
                log.info("Strava athlete %d revoked access: connection forgotten", event.owner_id)
                return Outcome.FORGOTTEN
            return Outcome.IGNORED
        if event.aspect_type == "delete":
            return self._remove(connection, event.object_id)
        try:
            fetched = self._fetch(connection, event.object_id)
        except ActivityNotFoundError:
            log.info("Strava activity %d was deleted before it was fetched", event.object_id)
            return self._remove(connection, event.object_id)
        if not is_run(fetched.detail):
            log.info(
                "Strava activity %d is a %s, not a run", event.object_id, sport_of(fetched.detail)
            )
            # An update may have turned a run into a ride: then it is no longer a run stored.
            self._remove(connection, event.object_id)
            return Outcome.NOT_A_RUN
        user = connection.alexa_user_id
        merge = import_activities(
            self._users, user, [to_activity(fetched)], self._profile_for(user)
        )
        log.info("Strava activity %d: %d run(s) added", event.object_id, len(merge.added))
        return Outcome.IMPORTED if merge.added else Outcome.ALREADY_STORED

    def _fetch(self, connection: StravaConnection, activity_id: int) -> FetchedActivity:
        connection = self._tokens.fresh(connection)
        try:
            return self._api.fetch_activity(connection.access_token, activity_id)
        except UnauthorizedError:
            # Revoked or expired early: one refresh, and a second refusal is final.
            log.info("Strava refused athlete %d's token: refreshing once", connection.athlete_id)
            connection = self._tokens.refreshed(connection)
            return self._api.fetch_activity(connection.access_token, activity_id)

    def _remove(self, connection: StravaConnection, activity_id: int) -> Outcome:
        removed = remove_activity(self._users, connection.alexa_user_id, SOURCE, str(activity_id))
        return Outcome.REMOVED if removed else Outcome.NOT_STORED
