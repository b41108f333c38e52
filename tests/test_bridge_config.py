"""Bridge configuration: errors name the key; secrets can come from the environment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from bridge_support import home_document

from mqtt_bridge.config import Role, load_config, parse_config
from mqtt_bridge.errors import ConfigError


def test_standard_home_parses(tmp_path: Path) -> None:
    config = parse_config(home_document(), env={}, base=tmp_path)
    assert config.home == "test_home"
    assert {d.role for d in config.devices} == {
        Role.HEATING_PAD,
        Role.BATH_VALVE,
        Role.BATH_TEMPERATURE,
        Role.LEAK_SENSOR,
        Role.SPEAKER,
    }
    assert config.safety.heat_max_minutes == 20
    assert config.safety.fill_seconds == 600
    assert config.database.name == "bridge.sqlite3"


def test_password_comes_from_the_environment_and_is_never_shown(tmp_path: Path) -> None:
    document = home_document(broker={"url": "mqtt://broker:1883", "username": "coach"})
    config = parse_config(document, env={"RECOVERY_COACH_MQTT_PASSWORD": "s3cret"})
    assert config.broker.password == "s3cret"
    assert "s3cret" not in repr(config)


def test_load_config_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "bridge.yaml"
    path.write_text(yaml.safe_dump(home_document()))
    assert load_config(path, env={}).home == "test_home"
    assert load_config(env={"RECOVERY_COACH_CONFIG": str(path)}).home == "test_home"
    with pytest.raises(ConfigError, match="--config"):
        load_config(env={})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"home": "Flat 3B"}, "home: 'Flat 3B' must match"),
        ({"colour": "red"}, "colour: unknown key"),
        ({"broker": {"url": "http://x"}}, "broker.url"),
        ({"broker": {"url": "mqtt://x:notaport"}}, "broker.url: bad port"),
        ({"broker": {"keepalive": 1}}, "broker.keepalive"),
        ({"broker": {"ca_file": "missing.pem"}}, "broker.ca_file"),
        ({"devices": {"pad": {"role": "toaster", "adapter": {}}}}, "devices.pad.role"),
        (
            {"devices": {"pad": {"role": "heating_pad", "adapter": {"type": "x10"}}}},
            "devices.pad.adapter.type: must be one of",
        ),
        (
            {"devices": {"pad": {"role": "heating_pad", "adapter": {"type": "tasmota"}}}},
            "devices.pad.adapter.topic: is required",
        ),
        (
            {"devices": {"pad": {"role": "heating_pad", "adapter": {"type": "hermes"}}}},
            "a hermes adapter cannot be a heating_pad",
        ),
        (
            {
                "devices": {
                    "pad": {
                        "role": "heating_pad",
                        "adapter": {"type": "tasmota", "topic": "p", "relay": "one"},
                    }
                }
            },
            "adapter.relay: must be a whole number",
        ),
        (
            {
                "devices": {
                    "pad": {
                        "role": "heating_pad",
                        "adapter": {"type": "generic", "state_topic": "s"},
                    }
                }
            },
            "command_topic: a heating_pad needs one",
        ),
        (
            {
                "devices": {
                    "a": {"role": "speaker", "adapter": {"type": "topic", "topic": "t"}},
                    "b": {"role": "speaker", "adapter": {"type": "topic", "topic": "u"}},
                }
            },
            "only one device may have role speaker",
        ),
        ({"safety": {"heat": {"max_minutes": 61}}}, "safety.heat.max_minutes: must be between"),
        ({"safety": {"heat": {"default_minutes": 30}}}, "safety.heat.default_minutes"),
        ({"safety": {"bath": {"max_c": 45}}}, "safety.bath.max_c: must be between 30 and 42"),
        ({"safety": {"bath": {"fill_max_minutes": 60}}}, "safety.bath.fill_max_minutes"),
        ({"safety": {"heat": {"quiet_hours": {"start": "late"}}}}, "quiet_hours"),
        ({"safety": {"heat": {"warmth": 3}}}, "safety.heat.warmth: unknown key"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
    ],
)
def test_bad_settings_name_their_key(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(home_document(**changes), env={})
    assert message in str(raised.value)


def test_quiet_hours_can_be_turned_off() -> None:
    config = parse_config(home_document(safety={"heat": {"quiet_hours": None}}), env={})
    assert config.safety.quiet_hours is None


def test_the_example_config_is_valid(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parent.parent / "examples" / "bridge.yaml"
    config = load_config(example, env={"RECOVERY_COACH_MQTT_PASSWORD": "x"})
    assert config.home == "flat_3b"
    assert len(config.devices) == 5
    assert config.safety.fill_seconds == 600


def test_one_file_configures_both_the_skill_and_the_bridge(tmp_path: Path) -> None:
    from mqtt_bridge.config import SKILL_KEYS
    from skill.settings import load_settings
    from skill.settings_file import SKILL_FILE_KEYS

    assert SKILL_FILE_KEYS == SKILL_KEYS, "the bridge must know the skill's keys"
    document = home_document(skill_id="amzn1.ask.skill.x", database=str(tmp_path / "skill.db"))
    document["timer_database"] = str(tmp_path / "timers.db")
    path = tmp_path / "recovery-coach.yaml"
    path.write_text(yaml.safe_dump(document))
    bridge = load_config(path, env={})
    skill = load_settings(path, env={})
    assert bridge.database == tmp_path / "timers.db"
    assert skill.database == tmp_path / "skill.db" and skill.skill_ids == {"amzn1.ask.skill.x"}


def test_timer_database_defaults_to_the_state_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", "/var/lib/somewhere")
    config = parse_config(home_document(), env={})
    assert config.database == Path("/var/lib/somewhere/recovery-coach/bridge.sqlite3")


def test_routines_dir_adds_the_users_routines(tmp_path: Path) -> None:
    folder = tmp_path / "my-routines"
    folder.mkdir()
    (folder / "evening.yaml").write_text(
        "name: evening\ntitle: evening wind-down\nsteps:\n  - stretch: childs_pose\n"
    )
    config = parse_config(home_document(routines_dir="my-routines"), env={}, base=tmp_path)
    assert set(config.routines) == {"cool_down", "long_run_recovery", "sore_calves", "evening"}
    (folder / "broken.yaml").write_text("name: broken\ntitle: B\nsteps:\n  - heat: 99\n")
    with pytest.raises(ConfigError, match=r"routines_dir: .*broken.yaml:4: heat minutes"):
        parse_config(home_document(routines_dir="my-routines"), env={}, base=tmp_path)
    with pytest.raises(ConfigError, match="does not exist"):
        parse_config(home_document(routines_dir="nowhere"), env={}, base=tmp_path)


def test_an_error_names_the_file_the_line_and_the_key(tmp_path: Path) -> None:
    document = home_document()
    document["devices"]["heating_pad"]["adapter"]["relay"] = "one"
    path = tmp_path / "flat.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "relay:" in text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    assert str(caught.value).startswith(f"flat.yaml:{line}: devices.heating_pad.adapter.relay:")
