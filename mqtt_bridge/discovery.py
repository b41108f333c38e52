"""Home Assistant MQTT discovery: the bridge appears as one device with its entities.

Home Assistant 2024.11+ takes the whole device in one message (`<prefix>/device/<node>/config`,
its entities under `cmps`); older versions need one message per entity
(`<prefix>/<platform>/<node>/<object_id>/config`). Both are here; the config picks one. What the
last start published is kept, so an entity the config no longer has is removed from Home
Assistant (a per-entity config cleared; a device component sent once as only its platform).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from mqtt_bridge.config import BridgeConfig, Role
from mqtt_bridge.messages import Message
from mqtt_bridge.protocol import STATE_VALID_S, Topics

DEVICE_MODE = "device"
ENTITY_MODE = "entity"
DISCOVERY_MODES = (DEVICE_MODE, ENTITY_MODE)
# Where the bridge keeps what it last published, to clear what the config no longer has.
PUBLISHED_KEY = "ha_discovery"


def _software() -> str:
    try:
        return version("recovery-coach")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


ORIGIN = {"name": "recovery-coach", "sw": _software()}


@dataclass(frozen=True)
class Component:
    """One Home Assistant entity: its platform, its object id and its config."""

    platform: str
    object_id: str
    fields: Mapping[str, Any]
    # The device whose availability the entity shares with the bridge's, if any.
    role: Role | None = None


def node_id(config: BridgeConfig) -> str:
    """Return the Home Assistant node id of this home's bridge."""
    return f"recovery_coach_{config.home}"


def components(config: BridgeConfig, topics: Topics) -> list[Component]:
    """Return every entity this home has."""
    found: list[Component] = []
    if config.device(Role.HEATING_PAD):
        found += [
            Component(
                "switch",
                "heating_pad",
                {
                    "name": "Heating pad",
                    "icon": "mdi:heat-wave",
                    "command_topic": topics.ha_command("heat/set"),
                    "state_topic": topics.state,
                    "value_template": "{{ 'ON' if value_json.heat.running else 'OFF' }}",
                },
                Role.HEATING_PAD,
            ),
            Component(
                "sensor",
                "heat_remaining",
                {
                    "name": "Heating pad minutes left",
                    "state_topic": topics.state,
                    "value_template": "{{ value_json.heat.remaining_min }}",
                    "unit_of_measurement": "min",
                    "device_class": "duration",
                },
                Role.HEATING_PAD,
            ),
        ]
    if config.device(Role.BATH_VALVE):
        found += [
            Component(
                "valve",
                "bath_valve",
                {
                    "name": "Bath",
                    "icon": "mdi:bathtub",
                    "command_topic": topics.ha_command("bath/set"),
                    "payload_open": "OPEN",
                    "payload_close": "CLOSE",
                    "payload_stop": "STOP",
                    "reports_position": False,
                    "state_topic": topics.state,
                    # Opening and closing until the valve confirms: never "closed" on our word.
                    "value_template": (
                        "{{ {'starting': 'opening', 'filling': 'open', 'closing': 'closing', "
                        "'stopping': 'closing'}.get(value_json.bath.status, 'closed') }}"
                    ),
                },
                Role.BATH_VALVE,
            ),
            Component(
                "sensor",
                "bath_remaining",
                {
                    "name": "Bath minutes left",
                    "state_topic": topics.state,
                    "value_template": "{{ value_json.bath.remaining_min }}",
                    "unit_of_measurement": "min",
                    "device_class": "duration",
                },
                Role.BATH_VALVE,
            ),
            Component(
                "sensor",
                "bath_status",
                {
                    "name": "Bath status",
                    "state_topic": topics.state,
                    "value_template": "{{ value_json.bath.status }}",
                },
                Role.BATH_VALVE,
            ),
        ]
    active = "value_json.routine and value_json.routine.status in ['running', 'waiting', 'paused']"
    found += [
        Component(
            "select",
            "routine",
            {
                "name": "Recovery routine",
                "icon": "mdi:run",
                "command_topic": topics.ha_command("routine/set"),
                "options": ["none", *config.routines],
                "state_topic": topics.state,
                "value_template": f"{{{{ value_json.routine.name if {active} else 'none' }}}}",
            },
        ),
        Component(
            "sensor",
            "routine_step",
            {
                "name": "Routine step",
                "state_topic": topics.state,
                "value_template": (
                    f"{{{{ value_json.routine.step_title if {active} else 'idle' }}}}"
                ),
            },
        ),
        Component(
            "button",
            "stop_everything",
            {
                "name": "Stop everything",
                "icon": "mdi:stop-circle",
                "command_topic": topics.ha_command("stop_all/press"),
                "payload_press": "PRESS",
            },
        ),
    ]
    return found


def _entity_config(config: BridgeConfig, topics: Topics, component: Component) -> dict[str, Any]:
    document = {**component.fields, "unique_id": f"{node_id(config)}_{component.object_id}"}
    availability = [{"topic": topics.availability}]
    device = config.device(component.role) if component.role else None
    if device is not None:
        # The pad's switch is unavailable when the pad is, not only when the bridge is.
        availability.append(
            {
                "topic": topics.state,
                "value_template": (
                    f"{{{{ 'online' if value_json.devices['{device.name}'].online "
                    "!= false else 'offline' }}"
                ),
            }
        )
    document["availability"] = availability
    document["availability_mode"] = "all"
    if component.platform == "sensor":
        # A bridge that died leaves its last state retained: let it go unavailable.
        document["expire_after"] = STATE_VALID_S
    return document


def _device(config: BridgeConfig) -> dict[str, Any]:
    return {
        "identifiers": [node_id(config)],
        "name": "Recovery Coach",
        "manufacturer": "Recovery Coach",
        "model": "Home bridge",
        "sw_version": ORIGIN["sw"],
    }


@dataclass(frozen=True)
class Published:
    """What a bridge published to Home Assistant: the mode and each entity's platform."""

    mode: str
    platforms: Mapping[str, str]

    def to_json(self) -> dict[str, Any]:
        """Return the form kept in the bridge's store."""
        return {"mode": self.mode, "platforms": dict(self.platforms)}

    @classmethod
    def from_json(cls, raw: Any) -> Published | None:
        """Read the stored form; None when there is none or it does not parse."""
        if not isinstance(raw, Mapping) or raw.get("mode") not in DISCOVERY_MODES:
            return None
        platforms = raw.get("platforms")
        if not isinstance(platforms, Mapping):
            return None
        return cls(str(raw["mode"]), {str(k): str(v) for k, v in platforms.items()})


def discovery_messages(
    config: BridgeConfig, topics: Topics, previous: Published | None = None
) -> tuple[list[Message], Published]:
    """Return the retained discovery messages (removals first) and what they publish."""
    node = node_id(config)
    prefix = config.discovery_prefix
    current = components(config, topics)
    published = Published(config.discovery_mode, {c.object_id: c.platform for c in current})
    messages: list[Message] = []
    gone = dict(previous.platforms) if previous else {}
    if previous and previous.mode != published.mode:
        # Switching modes: the old form goes entirely, the new one brings every entity back.
        if previous.mode == ENTITY_MODE:
            messages += [
                Message(f"{prefix}/{platform}/{node}/{object_id}/config", "", retain=True)
                for object_id, platform in gone.items()
            ]
        else:
            messages.append(Message(f"{prefix}/device/{node}/config", "", retain=True))
        gone = {}
    for object_id in published.platforms:
        gone.pop(object_id, None)
    if config.discovery_mode == ENTITY_MODE:
        messages += [
            Message(f"{prefix}/{platform}/{node}/{object_id}/config", "", retain=True)
            for object_id, platform in gone.items()
        ]
        messages += [
            Message.json(
                f"{prefix}/{c.platform}/{node}/{c.object_id}/config",
                {**_entity_config(config, topics, c), "device": _device(config), "origin": ORIGIN},
                retain=True,
            )
            for c in current
        ]
        return messages, published
    cmps = {c.object_id: {"p": c.platform, **_entity_config(config, topics, c)} for c in current}
    document = {"dev": _device(config), "o": ORIGIN, "cmps": cmps}
    topic = f"{prefix}/device/{node}/config"
    if gone:
        # Home Assistant removes a device's component when it is sent once as only its platform.
        tombstones = {object_id: {"p": platform} for object_id, platform in gone.items()}
        messages.append(
            Message.json(topic, {**document, "cmps": {**cmps, **tombstones}}, retain=True)
        )
    messages.append(Message.json(topic, document, retain=True))
    return messages, published
