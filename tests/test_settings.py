"""Settings: errors name the key and say what is wrong; the environment overrides the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from skill.errors import SettingsError
from skill.settings import Settings, load_settings

SKILL = "amzn1.ask.skill.abc"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_file_values_are_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"skill_id: {SKILL}\ndatabase: {tmp_path}/x.db\ncertificate_timeout_s: 2\n"
        "server: {host: 0.0.0.0, port: 8080}\n",
    )
    settings = load_settings(path, env={})
    assert settings.skill_ids == {SKILL}
    assert settings.database == tmp_path / "x.db"
    assert (settings.host, settings.port, settings.certificate_timeout_s) == ("0.0.0.0", 8080, 2.0)


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, f"skill_id: {SKILL}\n")
    env = {
        "RECOVERY_COACH_SKILL_ID": "amzn1.ask.skill.one, amzn1.ask.skill.two",
        "RECOVERY_COACH_DATABASE": str(tmp_path / "env.db"),
    }
    settings = load_settings(path, env=env)
    assert settings.skill_ids == {"amzn1.ask.skill.one", "amzn1.ask.skill.two"}
    assert settings.database == tmp_path / "env.db"


def test_config_path_can_come_from_the_environment(tmp_path: Path) -> None:
    path = write(tmp_path, "server: {port: 6000}\n")
    assert load_settings(env={"RECOVERY_COACH_CONFIG": str(path)}).port == 6000


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("skil_id: x\n", "config.yaml:1: skil_id: unknown key"),
        ("skill_id: 42\n", "config.yaml:1: skill_id"),
        ("skill_id: not-a-skill\n", "skill_id: 'not-a-skill' does not look like"),
        ("server: {port: http}\n", "server.port: must be a whole number, got 'http'"),
        ("server: {port: 70000}\n", "server.port: 70000 is not a TCP port"),
        ("server: {hots: x}\n", "server.hots: unknown key"),
        ("certificate_timeout_s: 100\n", "certificate_timeout_s"),
        ("- a list\n", "top level must be a mapping"),
        ("key: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_files_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_settings(write(tmp_path, text), env={})


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="cannot read"):
        load_settings(tmp_path / "nope.yaml", env={})


def test_verification_without_a_skill_id_is_refused() -> None:
    with pytest.raises(SettingsError, match="skill_id"):
        Settings().require_secure()
    Settings(verify_requests=False).require_secure()
    Settings(skill_ids=frozenset({SKILL})).require_secure()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # Once read as 1.0 seconds: a boolean is not a number of seconds.
        ("certificate_timeout_s: true\n", "config.yaml:1: certificate_timeout_s: "),
        ("home_timeout_s: 'slow'\n", "config.yaml:1: home_timeout_s: "),
        (
            f"skill_id: {SKILL}\nserver:\n  host: 0.0.0.0\n  port: '80'\n",
            "config.yaml:4: server.port: ",
        ),
        (
            "user_homes:\n  amzn1.ask.account.A: 7\n",
            "config.yaml:2: user_homes.amzn1.ask.account.A: ",
        ),
        ("database: [a, b]\n", "config.yaml:1: database: "),
    ],
)
def test_strict_errors_give_the_line_and_the_key_path(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(write(tmp_path, text), env={})
    assert message in str(caught.value)
