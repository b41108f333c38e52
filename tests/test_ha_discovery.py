"""Home Assistant discovery: device-based (2024.11+) or per entity, stale entities cleared."""

from __future__ import annotations

import copy
import json
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from bridge_support import HOME, CoreHarness

from mqtt_bridge.config import ConfigError, parse_config

NODE = "recovery_coach_test_home"
DEVICE_TOPIC = f"homeassistant/device/{NODE}/config"
ENTITY_TOPICS = {
    f"homeassistant/switch/{NODE}/heating_pad/config",
    f"homeassistant/sensor/{NODE}/heat_remaining/config",
    f"homeassistant/valve/{NODE}/bath_valve/config",
    f"homeassistant/sensor/{NODE}/bath_remaining/config",
    f"homeassistant/sensor/{NODE}/bath_status/config",
    f"homeassistant/button/{NODE}/stop_everything/config",
    f"homeassistant/select/{NODE}/routine/config",
    f"homeassistant/sensor/{NODE}/routine_step/config",
}


def _without_pad() -> dict[str, Any]:
    devices = copy.deepcopy(HOME["devices"])
    del devices["heating_pad"]
    return devices


def _entity_mode(**more: Any) -> dict[str, Any]:
    return {"homeassistant": {"discovery": "entity", **more}}


def test_one_device_message_carries_every_entity(tmp_path: Path) -> None:
    home = CoreHarness(tmp_path)
    [message] = home.to("homeassistant/")
    assert message.topic == DEVICE_TOPIC and message.retain
    document = json.loads(message.payload)
    assert document["dev"]["identifiers"] == [NODE]
    # The origin's version is the installed package's, not a constant that goes stale.
    assert document["o"] == {"name": "recovery-coach", "sw": version("recovery-coach")}
    platforms = {key: c["p"] for key, c in document["cmps"].items()}
    assert platforms == {
        "heating_pad": "switch",
        "heat_remaining": "sensor",
        "bath_valve": "valve",
        "bath_remaining": "sensor",
        "bath_status": "sensor",
        "stop_everything": "button",
        "routine": "select",
        "routine_step": "sensor",
    }
    assert document["cmps"]["routine"]["options"] == [
        "none",
        "cool_down",
        "long_run_recovery",
        "sore_calves",
    ]
    assert document["cmps"]["heat_remaining"]["expire_after"] == 75


def test_a_devices_entities_are_unavailable_when_the_device_is(tmp_path: Path) -> None:
    home = CoreHarness(tmp_path)
    cmps = json.loads(home.to("homeassistant/")[0].payload)["cmps"]
    switch = cmps["heating_pad"]
    assert switch["availability_mode"] == "all"
    bridge, device = switch["availability"]
    assert bridge == {"topic": "recovery/test_home/availability"}
    assert device["topic"] == "recovery/test_home/state"
    assert "value_json.devices['heating_pad'].online" in device["value_template"]
    # The routine select is the bridge's own: only the bridge's availability.
    assert cmps["routine"]["availability"] == [{"topic": "recovery/test_home/availability"}]


def test_older_home_assistant_gets_one_message_per_entity(tmp_path: Path) -> None:
    home = CoreHarness(tmp_path, **_entity_mode())
    configs = {m.topic: json.loads(m.payload) for m in home.to("homeassistant/")}
    assert set(configs) == ENTITY_TOPICS
    for config in configs.values():
        assert config["device"]["identifiers"] == [NODE]
        assert config["unique_id"].startswith(NODE)


def test_an_entity_the_config_no_longer_has_is_removed_from_the_device(tmp_path: Path) -> None:
    CoreHarness(tmp_path)
    home = CoreHarness(tmp_path, devices=_without_pad())
    tombstone, clean = home.to("homeassistant/")
    assert tombstone.topic == clean.topic == DEVICE_TOPIC
    removed = json.loads(tombstone.payload)["cmps"]
    assert removed["heating_pad"] == {"p": "switch"}
    assert removed["heat_remaining"] == {"p": "sensor"}
    assert "heating_pad" not in json.loads(clean.payload)["cmps"]
    # Removed once: the next start has nothing to clear.
    again = CoreHarness(tmp_path, devices=_without_pad())
    assert len(again.to("homeassistant/")) == 1


def test_an_entity_the_config_no_longer_has_is_cleared_per_entity(tmp_path: Path) -> None:
    CoreHarness(tmp_path, **_entity_mode())
    home = CoreHarness(tmp_path, devices=_without_pad(), **_entity_mode())
    cleared = {m.topic for m in home.to("homeassistant/") if m.payload in ("", b"")}
    assert cleared == {
        f"homeassistant/switch/{NODE}/heating_pad/config",
        f"homeassistant/sensor/{NODE}/heat_remaining/config",
    }


def test_switching_to_device_discovery_clears_the_per_entity_configs(tmp_path: Path) -> None:
    CoreHarness(tmp_path, **_entity_mode())
    home = CoreHarness(tmp_path)
    cleared = {m.topic for m in home.to("homeassistant/") if m.payload in ("", b"")}
    assert cleared == ENTITY_TOPICS
    assert home.to("homeassistant/")[-1].topic == DEVICE_TOPIC


def test_the_birth_message_follows_the_discovery_prefix(tmp_path: Path) -> None:
    home = CoreHarness(tmp_path, homeassistant={"discovery_prefix": "ha"})
    assert [m.topic for m in home.to("ha/")] == [f"ha/device/{NODE}/config"]
    home.clear()
    home.raw("homeassistant/status", "online")
    assert home.to("ha/") == []
    home.raw("ha/status", "online")
    assert [m.topic for m in home.to("ha/")] == [f"ha/device/{NODE}/config"]
    home.clear()
    home.raw("ha/status", "offline")
    assert home.to("ha/") == []


@pytest.mark.parametrize(
    ("section", "error"),
    [
        ({"discovery_prefix": "home/+/assistant"}, "cannot be published to"),
        ({"discovery_prefix": "#"}, "cannot be published to"),
        ({"discovery_prefix": "/homeassistant"}, "cannot be published to"),
        ({"discovery_prefix": ""}, "cannot be published to"),
        ({"discovery": "both"}, "homeassistant.discovery: 'both' must be"),
        ({"enabled": "false"}, "homeassistant.enabled: must be true or false"),
    ],
)
def test_bad_home_assistant_settings_are_refused_at_start(
    section: dict[str, Any], error: str
) -> None:
    document = {**copy.deepcopy(HOME), "homeassistant": section}
    with pytest.raises(ConfigError, match=error.replace("+", r"\+")):
        parse_config(document, env={})
