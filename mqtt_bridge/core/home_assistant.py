"""Keep Home Assistant's picture of the home: discovery now, and again when HA comes back."""

from __future__ import annotations

import logging

from mqtt_bridge.core.house import House
from mqtt_bridge.discovery import PUBLISHED_KEY, Published, discovery_messages
from mqtt_bridge.errors import StoreError

log = logging.getLogger(__name__)


class HomeAssistantLink:
    """Publish discovery, first removing what the config no longer has."""

    def __init__(self, house: House) -> None:
        self._house = house

    @property
    def enabled(self) -> bool:
        """Whether the config asks for Home Assistant discovery."""
        return bool(self._house.config.homeassistant)

    @property
    def status_topic(self) -> str:
        """Where Home Assistant's birth message comes: under its discovery prefix."""
        return f"{self._house.config.discovery_prefix}/status"

    def discover(self) -> None:
        """Queue discovery, remembering what was published so it can be cleared later."""
        house = self._house
        try:
            previous = Published.from_json(house.store.get_json(PUBLISHED_KEY))
        except StoreError as exc:
            log.error("%s; cannot tell which Home Assistant entities to clear", exc)
            previous = None
        messages, published = discovery_messages(house.config, house.topics, previous)
        house.out += messages
        if published != previous:
            house.record(house.store.put_json, PUBLISHED_KEY, published.to_json())
