"""Load the skill service's settings from a YAML file and the environment."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from mqtt_bridge.protocol import HOME_ID
from mqtt_bridge.safety import SafetyLimits
from routines.errors import InvalidContextError
from routines.load import HeartRateProfile
from skill.errors import SettingsError

if TYPE_CHECKING:
    from mqtt_bridge.config import BrokerConfig
    from skill.strava.config import StravaSettings

ENV_CONFIG = "RECOVERY_COACH_CONFIG"
ENV_SKILL_ID = "RECOVERY_COACH_SKILL_ID"
ENV_DATABASE = "RECOVERY_COACH_DATABASE"
ENV_DYNAMODB_TABLE = "RECOVERY_COACH_DYNAMODB_TABLE"

# Alexa allows about 8 s per answer; waiting for the home must leave room for the rest.
MAX_HOME_TIMEOUT_S = 6.0


def default_database() -> Path:
    """Return the per-user state file, following the XDG base directory convention."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "recovery-coach" / "skill.sqlite3"


ALEXA_USER_PREFIX = "amzn1.ask.account."
RUNNER_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class Runner:
    """A runner the config file names: their Alexa user id and heart rate, for imports."""

    user_id: str
    rest_bpm: float | None = None
    max_bpm: float | None = None

    def __post_init__(self) -> None:
        if not self.user_id.strip():
            raise SettingsError("user_id: must not be empty")
        self.profile()

    def profile(self) -> HeartRateProfile:
        """Return the heart-rate profile loads are measured against (defaults where unset)."""
        defaults = HeartRateProfile()
        try:
            return HeartRateProfile(
                rest_bpm=defaults.rest_bpm if self.rest_bpm is None else self.rest_bpm,
                max_bpm=defaults.max_bpm if self.max_bpm is None else self.max_bpm,
            )
        except InvalidContextError as exc:
            raise SettingsError(str(exc)) from None


@dataclass(frozen=True)
class Settings:
    """Everything the skill service needs to run."""

    skill_ids: frozenset[str] = frozenset()
    database: Path = field(default_factory=default_database)
    dynamodb_table: str | None = None
    certificate_timeout_s: float = 5.0
    host: str = "127.0.0.1"
    port: int = 5000
    verify_requests: bool = True
    # The home side, read from the same file as the bridge's settings.
    home: str | None = None
    user_homes: Mapping[str, str] = field(default_factory=dict)
    broker: BrokerConfig | None = None
    safety: SafetyLimits = field(default_factory=SafetyLimits)
    timezone: ZoneInfo | None = None
    home_timeout_s: float = 5.0
    # Short names for the runners whose runs `recovery-coach import` stores.
    runners: Mapping[str, Runner] = field(default_factory=dict)
    # Strava import (the `strava:` section); None: no webhook, no `strava` commands.
    strava: StravaSettings | None = None

    def __post_init__(self) -> None:
        if not 0.5 <= self.home_timeout_s <= MAX_HOME_TIMEOUT_S:
            raise SettingsError(f"home_timeout_s: must be 0.5 to {MAX_HOME_TIMEOUT_S:g} seconds")
        for user, home in self.user_homes.items():
            if not HOME_ID.match(home):
                raise SettingsError(f"user_homes.{user}: {home!r} must match [a-z0-9_-]+")
        if not 0 < self.certificate_timeout_s <= 30:
            raise SettingsError("certificate_timeout_s: must be between 0 and 30 seconds")
        if not 0 <= self.port <= 65535:
            raise SettingsError(f"server.port: {self.port} is not a TCP port")
        for name in self.runners:
            if not RUNNER_NAME.match(name):
                raise SettingsError(f"runners.{name}: a name must match [A-Za-z0-9_.-]+")
        for skill_id in self.skill_ids:
            if not skill_id.startswith("amzn1.ask.skill."):
                raise SettingsError(f"skill_id: {skill_id!r} does not look like amzn1.ask.skill.…")

    def require_secure(self) -> None:
        """Refuse to serve verified requests without knowing which skill to accept."""
        if self.verify_requests and not self.skill_ids:
            raise SettingsError(
                f"skill_id: set it in the config file or {ENV_SKILL_ID} "
                "(Amazon requires checking the skill ID), or run with --no-verify for local tools"
            )

    def runner(self, user: str) -> Runner:
        """Return the runner `--user` names: a name under runners:, or an Alexa user id."""
        if user in self.runners:
            return self.runners[user]
        if user.startswith(ALEXA_USER_PREFIX):
            return Runner(user)
        names = ", ".join(sorted(self.runners)) or "none are configured"
        raise SettingsError(
            f"--user {user!r}: not a runner named under runners: ({names}) "
            f"nor an Alexa user id ({ALEXA_USER_PREFIX}…)"
        )

    def profile_for(self, user_id: str) -> HeartRateProfile | None:
        """Return the heart-rate profile configured for an Alexa user, if runners: names them."""
        return next(
            (runner.profile() for runner in self.runners.values() if runner.user_id == user_id),
            None,
        )

    def with_overrides(self, **changes: Any) -> Settings:
        """Return a copy with some fields replaced, skipping those given as None."""
        return replace(self, **{key: value for key, value in changes.items() if value is not None})


def load_settings(path: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read settings from `path` (or $RECOVERY_COACH_CONFIG), then let the environment override."""
    env = os.environ if env is None else env
    if path is None and env.get(ENV_CONFIG):
        path = Path(env[ENV_CONFIG])
    if path is not None:
        # Only a config file needs YAML and the strict models; a Lambda set up by env doesn't.
        from skill.settings_file import read_settings_file

        settings = read_settings_file(path, env)
    else:
        settings = Settings()
    overrides: dict[str, Any] = {}
    if env.get(ENV_SKILL_ID):
        overrides["skill_ids"] = skill_ids(env[ENV_SKILL_ID].split(","), ENV_SKILL_ID)
    if env.get(ENV_DATABASE):
        overrides["database"] = Path(env[ENV_DATABASE])
    if env.get(ENV_DYNAMODB_TABLE):
        overrides["dynamodb_table"] = env[ENV_DYNAMODB_TABLE]
    return settings.with_overrides(**overrides)


def skill_ids(values: Any, key: str) -> frozenset[str]:
    if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
        raise SettingsError(f"{key}: must be a skill ID or a list of them")
    return frozenset(value.strip() for value in values if value.strip())
