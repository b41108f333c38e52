"""Put the Strava parts together for the web app: store, API, token keeper, handler, worker."""

from __future__ import annotations

from skill.persistence import SQLitePersistenceAdapter
from skill.settings import Settings
from skill.strava.api import StravaApi
from skill.strava.config import StravaSettings
from skill.strava.importer import EventHandler, ProfileFor
from skill.strava.store import ConnectionStore
from skill.strava.tokens import TokenKeeper
from skill.strava.worker import EventWorker, RetryDelay, until_next_window


def build_worker(
    settings: Settings,
    strava: StravaSettings,
    *,
    profile_for: ProfileFor | None = None,
    retry_delay: RetryDelay = until_next_window,
) -> EventWorker:
    """Return an unstarted worker importing into the skill's database (no I/O yet).

    Loads are weighed by the heart rate configured for the runner under runners:, unless
    `profile_for` says otherwise.
    """
    connections = ConnectionStore(settings.database)
    api = StravaApi(strava)
    handler = EventHandler(
        connections,
        api,
        SQLitePersistenceAdapter(settings.database),
        TokenKeeper(connections, api),
        profile_for or settings.profile_for,
    )
    return EventWorker(handler, retry_delay=retry_delay)
