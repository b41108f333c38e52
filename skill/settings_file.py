"""Read the skill's settings from a YAML file, strictly typed, with the line of every error."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mqtt_bridge.config import BRIDGE_KEYS, parse_broker, parse_safety, parse_timezone
from mqtt_bridge.errors import ConfigError
from mqtt_bridge.yaml_source import YamlSource, load_yaml
from skill.errors import SettingsError
from skill.settings import Runner, Settings, skill_ids

# The home bridge's settings may share the file (one RECOVERY_COACH_CONFIG for the product).
SHARED_KEYS = BRIDGE_KEYS


def read_settings_file(path: Path, env: Mapping[str, str]) -> Settings:
    """Return the settings a config file holds (before the environment's overrides)."""
    return _from_document(_read_yaml(path), env)


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


class _Runner(BaseModel):
    """A runner imports are stored for: `--user NAME` instead of the Alexa user id."""

    model_config = ConfigDict(strict=True, extra="forbid")

    user_id: str
    rest_bpm: float | None = None
    max_bpm: float | None = None

    @model_validator(mode="after")
    def _valid(self) -> _Runner:
        try:
            Runner(self.user_id, self.rest_bpm, self.max_bpm)
        except SettingsError as exc:
            raise ValueError(str(exc)) from None
        return self


class _SkillFile(BaseModel):
    """The skill's own keys, strictly typed: a quoted number or a boolean is an error."""

    model_config = ConfigDict(strict=True, extra="forbid")

    skill_id: str | list[str] | None = None
    database: str | None = None
    certificate_timeout_s: float | None = None
    server: _Server = Field(default_factory=_Server)
    user_homes: dict[str, str] = Field(default_factory=dict)
    home_timeout_s: float | None = None
    runners: dict[str, _Runner] = Field(default_factory=dict)


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
    strava = own.pop("strava", None)
    try:
        parsed = _SkillFile.model_validate(own)
    except ValidationError as exc:
        raise SettingsError(source.errors(exc)) from None
    fields: dict[str, Any] = {
        "host": parsed.server.host,
        "port": parsed.server.port,
        "user_homes": parsed.user_homes,
        "runners": {
            name: Runner(runner.user_id, runner.rest_bpm, runner.max_bpm)
            for name, runner in parsed.runners.items()
        },
    }
    if parsed.skill_id is not None:
        raw = parsed.skill_id
        fields["skill_ids"] = skill_ids([raw] if isinstance(raw, str) else raw, "skill_id")
    if parsed.database is not None:
        fields["database"] = Path(parsed.database).expanduser()
    if parsed.certificate_timeout_s is not None:
        fields["certificate_timeout_s"] = parsed.certificate_timeout_s
    if parsed.home_timeout_s is not None:
        fields["home_timeout_s"] = parsed.home_timeout_s
    fields.update(_home_fields(source, env))
    if strava is not None:
        from skill.strava.config_file import parse_strava

        fields["strava"] = parse_strava(strava, env, source)
    try:
        return Settings(**fields)
    except SettingsError as exc:
        raise SettingsError(f"{where}{exc}") from None
