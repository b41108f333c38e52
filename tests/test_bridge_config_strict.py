"""Bridge config is strictly typed: a wrong type is refused with its file, line and key path."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mqtt_bridge.config import load_config, parse_config
from mqtt_bridge.errors import ConfigError
from skill.errors import SettingsError
from skill.settings import load_settings

SECRET = "Tr0ub4dor-3"

HOME = """\
home: test_home
timezone: UTC
broker:
  url: mqtt://127.0.0.1:1883
  keepalive: 30
devices:
  heating_pad:
    role: heating_pad
    adapter:
      type: tasmota
      topic: heatpad
  bath_thermometer:
    role: bath_temperature
    adapter:
      type: zigbee2mqtt
      friendly_name: bath_temp
  speaker:
    role: speaker
    adapter:
      type: hermes
      site_id: bathroom
safety:
  heat:
    max_minutes: 20
    quiet_hours: {start: "22:00", end: "07:00"}
  bath:
    fill_max_minutes: 20
homeassistant:
  enabled: true
  discovery_prefix: homeassistant
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bridge.yaml"
    path.write_text(text)
    return path


def line_of(text: str, fragment: str) -> int:
    """Return the 1-based line of the only line holding `fragment`."""
    found = [n for n, line in enumerate(text.splitlines(), 1) if fragment in line]
    assert len(found) == 1, f"{fragment!r} is on lines {found}"
    return found[0]


def refusal(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text), env={})
    return str(caught.value)


def test_the_standard_text_is_valid(tmp_path: Path) -> None:
    # The cases below each change one line of it: this proves that line is the only problem.
    config = load_config(write(tmp_path, HOME), env={})
    assert config.home == "test_home" and len(config.devices) == 3


QUIET = '    quiet_hours: {start: "22:00", end: "07:00"}\n'
PAD = "heating_pad:\n    role: heating_pad\n"


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        # Each was once read with str(): a number or a YAML boolean became its spelling.
        ("home: test_home", "home: 123", "home"),
        ("topic: heatpad", "topic: 1234", "devices.heating_pad.adapter.topic"),
        (
            "friendly_name: bath_temp",
            "friendly_name: 0x1A2B",
            "devices.bath_thermometer.adapter.friendly_name",
        ),
        ("site_id: bathroom", "site_id: 7", "devices.speaker.adapter.site_id"),
        ("keepalive: 30", "keepalive: 30\n  client_id: 42", "broker.client_id"),
        ("keepalive: 30", "keepalive: 30\n  username: 1234", "broker.username"),
        (
            "discovery_prefix: homeassistant",
            "discovery_prefix: 42",
            "homeassistant.discovery_prefix",
        ),
        ("timezone: UTC", "timezone: UTC\ntimer_database: true", "timer_database"),
        ("timezone: UTC", "timezone: UTC\nroutines_dir: 5", "routines_dir"),
        (PAD, "99:\n    role: heating_pad\n", "devices.99"),
        # Refused before too (by hand-written checks); now by the models, still keyed and lined.
        ("keepalive: 30", 'keepalive: "30"', "broker.keepalive"),
        ("enabled: true", 'enabled: "false"', "homeassistant.enabled"),
        ("topic: heatpad", "topic: heatpad\n      relay: 1.5", "devices.heating_pad.adapter.relay"),
        ("fill_max_minutes: 20", "fill_max_minutes: true", "safety.bath.fill_max_minutes"),
        ("max_minutes: 20", "max_minutes: [20]", "safety.heat.max_minutes"),
        ("  bath:\n    fill_max_minutes: 20\n", "  bath: [fill_max_minutes]\n", "safety.bath"),
    ],
)
def test_a_wrong_type_is_refused_with_its_line_and_key(
    tmp_path: Path, old: str, new: str, key: str
) -> None:
    assert old in HOME
    text = HOME.replace(old, new, 1)
    changed = next(line for line in new.splitlines() if line not in old.splitlines())
    shown = refusal(tmp_path, text)
    assert f"bridge.yaml:{line_of(text, changed)}: {key}: " in shown, shown


def test_an_unquoted_on_is_not_read_as_the_payload_true(tmp_path: Path) -> None:
    # YAML 1.1 reads ON as a boolean: once sent to the device as the payload "True".
    generic = (
        "    adapter:\n      type: generic\n      command_topic: pad/set\n"
        "      state_topic: pad/state\n      payload_on: ON\n"
    )
    text = HOME.replace("    adapter:\n      type: tasmota\n      topic: heatpad\n", generic, 1)
    shown = refusal(tmp_path, text)
    line = line_of(text, "payload_on: ON")
    assert f"bridge.yaml:{line}: devices.heating_pad.adapter.payload_on: " in shown, shown


def test_every_problem_is_named_at_once(tmp_path: Path) -> None:
    text = HOME.replace("topic: heatpad", "topic: heatpad\n      relay: one", 1).replace(
        "max_minutes: 20", "max_minutes: twenty", 1
    )
    shown = refusal(tmp_path, text)
    assert f"bridge.yaml:{line_of(text, 'relay: one')}: devices.heating_pad.adapter.relay:" in shown
    assert f"bridge.yaml:{line_of(text, 'max_minutes: twenty')}: safety.heat.max_minutes:" in shown


def test_an_unknown_adapter_field_is_named_with_its_line(tmp_path: Path) -> None:
    text = HOME.replace("topic: heatpad", "topic: heatpad\n      colour: red", 1)
    shown = refusal(tmp_path, text)
    line = line_of(text, "colour: red")
    assert shown.startswith(f"bridge.yaml:{line}: devices.heating_pad.adapter.colour: unknown key")


def test_a_missing_adapter_type_is_named_with_its_line(tmp_path: Path) -> None:
    text = HOME.replace("      type: tasmota\n", "", 1)
    shown = refusal(tmp_path, text)
    assert "devices.heating_pad.adapter.type: is required" in shown, shown


def test_a_second_device_with_a_role_is_named_at_its_own_line(tmp_path: Path) -> None:
    text = HOME.replace("role: bath_temperature", "role: heating_pad", 1)
    shown = refusal(tmp_path, text)
    line = line_of(text, "bath_thermometer:") + 1
    assert shown.startswith(f"bridge.yaml:{line}: devices.bath_thermometer.role: "), shown
    assert "only one device may have role heating_pad" in shown


def test_a_bad_quiet_hours_time_is_named_at_its_own_line(tmp_path: Path) -> None:
    text = HOME.replace(QUIET, '    quiet_hours:\n      start: "late"\n      end: "07:00"\n', 1)
    shown = refusal(tmp_path, text)
    line = line_of(text, 'start: "late"')
    assert shown.startswith(f"bridge.yaml:{line}: safety.heat.quiet_hours.start: "), shown
    assert "HH:MM" in shown


@pytest.mark.parametrize(
    "broker",
    [
        f"broker:\n  password: [{SECRET}]\n",
        "broker:\n  password: 31415926\n",
        f"broker:\n  url: [mqtt://coach:{SECRET}@lan]\n",
        f"broker:\n  url: {{host: 'mqtt://coach:{SECRET}@lan'}}\n",
        f"broker: mqtt://coach:{SECRET}@lan:1883\n",
        f"broker:\n  - mqtt://coach:{SECRET}@lan:1883\n",
    ],
)
def test_a_secret_of_the_wrong_type_is_never_quoted(tmp_path: Path, broker: str) -> None:
    text = HOME.replace("broker:\n  url: mqtt://127.0.0.1:1883\n  keepalive: 30\n", broker, 1)
    shown = refusal(tmp_path, text)
    assert SECRET not in shown and "31415926" not in shown, shown
    assert re.search(r"^bridge\.yaml:\d+: broker", shown), shown


def test_a_home_assistant_url_of_the_wrong_type_is_never_quoted(tmp_path: Path) -> None:
    speaker = (
        "    adapter:\n      type: homeassistant\n"
        f"      url: [http://coach:{SECRET}@ha.local:8123]\n"
        "      token_env: HA_TOKEN\n      media_player: media_player.bathroom\n"
        "      tts_entity: tts.piper\n"
    )
    text = HOME.replace("    adapter:\n      type: hermes\n      site_id: bathroom\n", speaker, 1)
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text), env={"HA_TOKEN": "t"})
    shown = str(caught.value)
    assert SECRET not in shown and "devices.speaker.adapter.url: " in shown, shown


def test_without_a_file_an_error_starts_with_its_key_path() -> None:
    with pytest.raises(ConfigError, match=r"^broker\.keepalive: must be a whole number"):
        parse_config({"home": "h", "broker": {"keepalive": "30"}}, env={})


def test_the_skill_names_the_line_of_a_bad_shared_section(tmp_path: Path) -> None:
    text = "skill_id: amzn1.ask.skill.x\nsafety:\n  bath:\n    max_c: 45\n    min_c: nine\n"
    path = tmp_path / "config.yaml"
    path.write_text(text)
    with pytest.raises(SettingsError) as caught:
        load_settings(path, env={})
    shown = str(caught.value)
    assert "config.yaml:5: safety.bath.min_c: " in shown, shown
    text = "skill_id: amzn1.ask.skill.x\nbroker:\n  keepalive: 2\n"
    path.write_text(text)
    with pytest.raises(SettingsError) as caught:
        load_settings(path, env={})
    assert str(caught.value).startswith("config.yaml:3: broker.keepalive: "), str(caught.value)


def test_a_section_given_as_a_string_is_never_quoted(tmp_path: Path) -> None:
    # A string where a mapping belongs may be a URL with its password: say only what is wrong.
    text = HOME.replace(
        "    adapter:\n      type: hermes\n      site_id: bathroom\n",
        f"    adapter: http://coach:{SECRET}@ha.local:8123\n",
        1,
    )
    shown = refusal(tmp_path, text)
    line = line_of(text, SECRET)
    assert shown == f"bridge.yaml:{line}: devices.speaker.adapter: must be a mapping of keys"
