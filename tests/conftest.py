"""Shared fixtures: settings on a temporary database, a throwaway PKI, real Mosquitto brokers."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from pki import Authority

from mqtt_bridge.broker import MosquittoBroker
from skill.settings import Settings


@pytest.fixture(scope="session")
def authority() -> Authority:
    return Authority.create()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database=tmp_path / "skill.sqlite3", verify_requests=False)


@pytest.fixture(scope="session")
def mosquitto() -> Iterator[MosquittoBroker]:
    """A real Mosquitto on a free loopback port for the whole test session."""
    broker = MosquittoBroker()
    broker.start()
    yield broker
    broker.close()


@pytest.fixture
def private_broker() -> Iterator[MosquittoBroker]:
    """A Mosquitto of this test's own, for tests that restart the broker."""
    broker = MosquittoBroker()
    broker.start()
    yield broker
    broker.close()


@pytest.fixture
def homes(mosquitto: MosquittoBroker, tmp_path: Path) -> Iterator[Any]:
    """Make bridges with simulated devices on the shared broker, each stopped after the test."""
    from home_support import Home

    made: list[Home] = []

    def make(home: str, *, start: bool = True, **changes: Any) -> Home:
        made.append(Home(mosquitto, tmp_path / home, home, **changes))
        if start:
            made[-1].start()
        return made[-1]

    try:
        yield make
    finally:
        for home in made:
            home.stop()
