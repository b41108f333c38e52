"""Shared fixtures: settings on a temporary database, a throwaway PKI, real Mosquitto brokers."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

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
