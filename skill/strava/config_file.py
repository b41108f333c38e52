"""Read the `strava:` section of the settings file strictly, never quoting a secret back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from mqtt_bridge.yaml_source import YamlSource, message
from skill.errors import SettingsError
from skill.strava.config import (
    DEFAULT_REDIRECT_URI,
    ENV_CLIENT_SECRET,
    ENV_VERIFY_TOKEN,
    STRAVA_BASE,
    StravaSettings,
)

SECTION = "strava"
SECRET_FIELDS = frozenset({"client_secret", "verify_token"})


class _StravaFile(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    client_id: int
    client_secret: str | None = None
    verify_token: str | None = None
    redirect_uri: str = DEFAULT_REDIRECT_URI
    api_base: str = STRAVA_BASE
    subscription_id: int | None = None


def parse_strava(section: Any, env: Mapping[str, str], source: YamlSource) -> StravaSettings:
    """Return the Strava settings a `strava:` section and the environment give."""
    if not isinstance(section, Mapping):
        raise SettingsError(f"{source.where((SECTION,))}: must be a mapping of keys")
    try:
        parsed = _StravaFile.model_validate(section)
    except ValidationError as exc:
        raise SettingsError(source.problems(_problems(exc))) from None
    # The environment first: a secret kept out of a file that may be committed or shared.
    secret = env.get(ENV_CLIENT_SECRET) or parsed.client_secret or ""
    verify_token = env.get(ENV_VERIFY_TOKEN) or parsed.verify_token or ""
    try:
        return StravaSettings(
            client_id=parsed.client_id,
            client_secret=secret,
            verify_token=verify_token,
            redirect_uri=parsed.redirect_uri,
            api_base=parsed.api_base,
            subscription_id=parsed.subscription_id,
        )
    except SettingsError as exc:
        key, _, rest = str(exc).partition(": ")
        raise SettingsError(f"{source.where(key.split('.'))}: {rest}") from None


def _problems(exc: ValidationError) -> list[tuple[tuple[str | int, ...], str]]:
    found: list[tuple[tuple[str | int, ...], str]] = []
    for error in exc.errors():
        loc = (SECTION, *error["loc"])
        shown: Mapping[str, Any] = error
        if SECRET_FIELDS.intersection(str(part) for part in error["loc"]):
            # Without its input the message says what is wrong and never what was written.
            shown = {key: value for key, value in error.items() if key != "input"}
        found.append((loc, message(shown)))
    return found
