"""Shared fixtures: settings on a temporary database, a throwaway PKI."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from pki import Authority

from skill.settings import Settings


@pytest.fixture(scope="session")
def authority() -> Authority:
    return Authority.create()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database=tmp_path / "skill.sqlite3", verify_requests=False)
