"""Store recorded runs (files, Strava) in a runner's history: atomically, each run once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from routines.activity import Activity
from routines.load import HeartRateProfile
from routines.run_merge import Merge
from skill.history import HISTORY_KEYS, History

Attributes = dict[str, Any]


class UserStore(Protocol):
    """The persistence adapters' per-user access outside a request."""

    def read_user(self, user_id: str) -> Attributes:
        """Return what is stored for a user."""

    def update_user(self, user_id: str, change: Any) -> Attributes:
        """Apply a change to a user's attributes in one atomic write."""


def import_activities(
    store: UserStore,
    user_id: str,
    activities: Sequence[Activity],
    profile: HeartRateProfile | None = None,
) -> Merge:
    """Add recorded runs to a user's history in one write; a run already stored is skipped."""
    runs = [activity.to_run(profile or HeartRateProfile()) for activity in activities]
    result: list[Merge] = []

    def change(attributes: Attributes) -> Attributes:
        history, merge = History.from_attributes(attributes).with_imported(runs)
        # The change may run again on newer attributes: keep only the last outcome.
        result[:] = [merge]
        return _with_history(attributes, history)

    store.update_user(user_id, change)
    return result[0]


def remove_activity(store: UserStore, user_id: str, source: str, source_id: str) -> bool:
    """Forget a recorded run its source deleted; tell whether it was stored."""
    removed: list[bool] = []

    def change(attributes: Attributes) -> Attributes:
        history = History.from_attributes(attributes)
        kept = history.without_run(source, source_id)
        removed[:] = [len(kept.runs) != len(history.runs)]
        return _with_history(attributes, kept)

    store.update_user(user_id, change)
    return removed[0]


def _with_history(attributes: Attributes, history: History) -> Attributes:
    """Replace the history's own keys, keeping what belongs to others (a stretch in progress)."""
    kept = {key: value for key, value in attributes.items() if key not in HISTORY_KEYS}
    return kept | history.to_attributes()
