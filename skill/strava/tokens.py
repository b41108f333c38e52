"""Keep a connection's access token usable: refresh it near expiry, store what Strava grants."""

from __future__ import annotations

import time
from collections.abc import Callable

from skill.strava.api import StravaApi
from skill.strava.store import ConnectionStore, StravaConnection

# Strava's access tokens last six hours; one that expires within five minutes is refreshed
# first, so a fetch never starts with a token about to die.
REFRESH_MARGIN_S = 5 * 60


class TokenKeeper:
    """Hand out fresh access tokens for connections, refreshing and storing them as needed."""

    def __init__(
        self,
        store: ConnectionStore,
        api: StravaApi,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._api = api
        self._clock = clock

    def fresh(self, connection: StravaConnection) -> StravaConnection:
        """Return the connection with an access token that is good for at least five minutes."""
        if connection.expires_within(REFRESH_MARGIN_S, self._clock()):
            return self.refreshed(connection)
        return connection

    def refreshed(self, connection: StravaConnection) -> StravaConnection:
        """Refresh the access token now and store the grant (the refresh token may change)."""
        grant = self._api.refresh(connection.refresh_token)
        # Strava may return a new refresh token; the old one stops working once it does.
        updated = connection.with_tokens(grant.access_token, grant.refresh_token, grant.expires_at)
        self._store.save(updated)
        return updated
