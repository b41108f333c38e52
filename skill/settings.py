"""Load the skill service's settings from a YAML file and the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mqtt_bridge.config import (
    BRIDGE_KEYS,
    HOME_ID,
    BrokerConfig,
    parse_broker,
    parse_safety,
    parse_timezone,
)
from mqtt_bridge.errors import ConfigError
from mqtt_bridge.safety import SafetyLimits
from mqtt_bridge.yaml_source import YamlSource, load_yaml
from skill.errors import SettingsError

ENV_CONFIG = "RECOVERY_COACH_CONFIG"
ENV_SKILL_ID = "RECOVERY_COACH_SKILL_ID"
ENV_DATABASE = "RECOVERY_COACH_DATABASE"
ENV_DYNAMODB_TABLE = "RECOVERY_COACH_DYNAMODB_TABLE"

# Alexa allows about 8 s per answer; waiting for the home must leave room for the rest.
MAX_HOME_TIMEOUT_S = 6.0
# The home bridge's settings may share the file (one RECOVERY_COACH_CONFIG for the product).
SHARED_KEYS = BRIDGE_KEYS


def default_database() -> Path:
    """Return the per-user state file, following the XDG base directory convention."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "recovery-coach" / "skill.sqlite3"


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

    def with_overrides(self, **changes: Any) -> Settings:
        """Return a copy with some fields replaced, skipping those given as None."""
        return replace(self, **{key: value for key, value in changes.items() if value is not None})


def load_settings(path: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read settings from `path` (or $RECOVERY_COACH_CONFIG), then let the environment override."""
    env = os.environ if env is None else env
    if path is None and env.get(ENV_CONFIG):
        path = Path(env[ENV_CONFIG])
    source = _read_yaml(path) if path is not None else YamlSource({})
    settings = _from_document(source, env)
    overrides: dict[str, Any] = {}
    if env.get(ENV_SKILL_ID):
        overrides["skill_ids"] = _skill_ids(env[ENV_SKILL_ID].split(","), ENV_SKILL_ID)
    if env.get(ENV_DATABASE):
        overrides["database"] = Path(env[ENV_DATABASE])
    if env.get(ENV_DYNAMODB_TABLE):
        overrides["dynamodb_table"] = env[ENV_DYNAMODB_TABLE]
    return settings.with_overrides(**overrides)


def _read_yaml(path: Path) -> YamlSource:
    try:
        source = load_yaml(path)
    except ConfigError as exc:
        raise SettingsError(str(exc)) from None
    if source.document is None:
        return YamlSource({}, path)
    if not isinstance(source.document, Mapping):
        raise SettingsError(f"{path}: the top level must be a mapping of keys")
    return source


class _Server(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    host: str = "127.0.0.1"
    port: int = 5000


class _SkillFile(BaseModel):
    """The skill's own keys, strictly typed: a quoted number or a boolean is an error."""

    model_config = ConfigDict(strict=True, extra="forbid")

    skill_id: str | list[str] | None = None
    database: str | None = None
    certificate_timeout_s: float | None = None
    server: _Server = Field(default_factory=_Server)
    user_homes: dict[str, str] = Field(default_factory=dict)
    home_timeout_s: float | None = None


SKILL_FILE_KEYS = frozenset(_SkillFile.model_fields)


def _home_fields(source: YamlSource, env: Mapping[str, str]) -> dict[str, Any]:
    # The bridge's sections share the file; the bridge's own models check them.
    document: Mapping[str, Any] = source.document
    fields: dict[str, Any] = {}
    try:
        if "home" in document:
            fields["home"] = str(document["home"])
        if document.get("broker") is not None:
            base = source.path.parent if source.path else Path()
            fields["broker"] = parse_broker(document["broker"], env, base, source)
        if document.get("safety") is not None:
            fields["safety"] = parse_safety(document["safety"], source)
        if "timezone" in document:
            fields["timezone"] = parse_timezone(document["timezone"], source)
    except ConfigError as exc:
        raise SettingsError(str(exc)) from None
    return fields


def _from_document(source: YamlSource, env: Mapping[str, str]) -> Settings:
    document: Mapping[str, Any] = source.document
    path = source.path
    where = f"{path}: " if path else ""
    own = {key: value for key, value in document.items() if key not in SHARED_KEYS}
    try:
        parsed = _SkillFile.model_validate(own)
    except ValidationError as exc:
        raise SettingsError(source.errors(exc)) from None
    fields: dict[str, Any] = {
        "host": parsed.server.host,
        "port": parsed.server.port,
        "user_homes": parsed.user_homes,
    }
    if parsed.skill_id is not None:
        raw = parsed.skill_id
        fields["skill_ids"] = _skill_ids([raw] if isinstance(raw, str) else raw, "skill_id")
    if parsed.database is not None:
        fields["database"] = Path(parsed.database).expanduser()
    if parsed.certificate_timeout_s is not None:
        fields["certificate_timeout_s"] = parsed.certificate_timeout_s
    if parsed.home_timeout_s is not None:
        fields["home_timeout_s"] = parsed.home_timeout_s
    fields.update(_home_fields(source, env))
    try:
        return Settings(**fields)
    except SettingsError as exc:
        raise SettingsError(f"{where}{exc}") from None


def _skill_ids(values: Any, key: str) -> frozenset[str]:
    if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
        raise SettingsError(f"{key}: must be a skill ID or a list of them")
    return frozenset(value.strip() for value in values if value.strip())
