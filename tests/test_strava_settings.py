"""The `strava:` settings section: strict, secrets from the environment, never echoed."""

from __future__ import annotations

from pathlib import Path

import pytest

from skill.errors import SettingsError
from skill.settings import load_settings
from skill.strava.config import DEFAULT_REDIRECT_URI, STRAVA_BASE

SECRET = "s3cr3t-client-value"
TOKEN = "v3rify-token-value"
ENV = {"RECOVERY_COACH_STRAVA_CLIENT_SECRET": SECRET, "RECOVERY_COACH_STRAVA_VERIFY_TOKEN": TOKEN}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_the_section_and_the_environment_make_the_settings(tmp_path: Path) -> None:
    path = write(tmp_path, "server: {port: 6000}\nstrava:\n  client_id: 4242\n")
    strava = load_settings(path, env=ENV).strava
    assert strava is not None
    assert (strava.client_id, strava.client_secret, strava.verify_token) == (4242, SECRET, TOKEN)
    assert (strava.api_base, strava.redirect_uri, strava.subscription_id) == (
        STRAVA_BASE,
        DEFAULT_REDIRECT_URI,
        None,
    )
    assert SECRET not in repr(strava) and TOKEN not in repr(strava)


def test_the_environment_wins_over_the_file(tmp_path: Path) -> None:
    path = write(
        tmp_path, "strava:\n  client_id: 1\n  client_secret: from-file\n  verify_token: file-tok\n"
    )
    strava = load_settings(path, env=ENV).strava
    assert strava is not None and (strava.client_secret, strava.verify_token) == (SECRET, TOKEN)
    strava = load_settings(path, env={}).strava
    assert strava is not None and (strava.client_secret, strava.verify_token) == (
        "from-file",
        "file-tok",
    )


def test_no_section_means_no_strava(tmp_path: Path) -> None:
    assert load_settings(write(tmp_path, "server: {port: 6000}\n"), env=ENV).strava is None


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        ("strava: 5\n", ENV, "config.yaml:1: strava: must be a mapping"),
        ("strava:\n  client_di: 4\n", ENV, "config.yaml:2: strava.client_di: unknown key"),
        ("strava:\n  api_base: x\n", ENV, "strava.client_id: is required"),
        ("strava:\n  client_id: '42'\n", ENV, "config.yaml:2: strava.client_id: must be a whole"),
        ("strava:\n  client_id: 42\n", {}, "strava.client_secret: set RECOVERY_COACH_STRAVA_"),
        (
            "strava:\n  client_id: 42\n  client_secret: x\n",
            {},
            "strava.verify_token: set RECOVERY_COACH_STRAVA_VERIFY_TOKEN",
        ),
        ("strava:\n  client_id: 0\n", ENV, "strava.client_id: 0 is not"),
        (
            "strava:\n  client_id: 4\n  api_base: ftp://x\n",
            ENV,
            "config.yaml:3: strava.api_base: 'ftp://x' must be an http(s) URL",
        ),
        (
            "strava:\n  client_id: 4\n  api_base: https://h/api\n",
            ENV,
            "strava.api_base: 'https://h/api' must be scheme and host only",
        ),
        (
            "strava:\n  client_id: 4\n  redirect_uri: http://h:99999/cb\n",
            ENV,
            "strava.redirect_uri: 'http://h:99999/cb' has a bad port",
        ),
        ("strava:\n  client_id: 4\n  subscription_id: true\n", ENV, "strava.subscription_id"),
    ],
)
def test_bad_sections_name_the_line_and_key(
    tmp_path: Path, text: str, env: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(write(tmp_path, text), env=env)
    assert message in str(caught.value)


@pytest.mark.parametrize("key", ["client_secret", "verify_token"])
def test_a_secret_of_the_wrong_type_is_not_quoted(tmp_path: Path, key: str) -> None:
    path = write(tmp_path, f"strava:\n  client_id: 4\n  {key}: 123456789\n")
    with pytest.raises(SettingsError) as caught:
        load_settings(path, env={})
    assert f"config.yaml:3: strava.{key}: must be a string" in str(caught.value)
    assert "123456789" not in str(caught.value)
