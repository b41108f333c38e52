"""Home Assistant MQTT discovery: the bridge appears as one device with its entities."""

from __future__ import annotations

from typing import Any

from mqtt_bridge.config import BridgeConfig, Role
from mqtt_bridge.messages import Message
from mqtt_bridge.protocol import STATE_VALID_S, Topics

ORIGIN = {"name": "recovery-coach", "sw": "0.1.0"}


def discovery_messages(config: BridgeConfig, topics: Topics) -> list[Message]:
    """Return the retained discovery configs for every entity this home has."""
    node = f"recovery_coach_{config.home}"
    device = {
        "identifiers": [node],
        "name": "Recovery Coach",
        "manufacturer": "Recovery Coach",
        "model": "Home bridge",
    }
    common: dict[str, Any] = {
        "availability_topic": topics.availability,
        "device": device,
        "origin": ORIGIN,
    }
    entities: list[tuple[str, str, dict[str, Any]]] = []
    if config.device(Role.HEATING_PAD):
        entities += [
            (
                "switch",
                "heating_pad",
                {
                    "name": "Heating pad",
                    "icon": "mdi:heat-wave",
                    "command_topic": topics.ha_command("heat/set"),
                    "state_topic": topics.state,
                    "value_template": "{{ 'ON' if value_json.heat.running else 'OFF' }}",
                },
            ),
            (
                "sensor",
                "heat_remaining",
                {
                    "name": "Heating pad minutes left",
                    "state_topic": topics.state,
                    "value_template": "{{ value_json.heat.remaining_min }}",
                    "unit_of_measurement": "min",
                    "device_class": "duration",
                },
            ),
        ]
    if config.device(Role.BATH_VALVE):
        entities += [
            (
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
            ),
            (
                "sensor",
                "bath_remaining",
                {
                    "name": "Bath minutes left",
                    "state_topic": topics.state,
                    "value_template": "{{ value_json.bath.remaining_min }}",
                    "unit_of_measurement": "min",
                    "device_class": "duration",
                },
            ),
            (
                "sensor",
                "bath_status",
                {
                    "name": "Bath status",
                    "state_topic": topics.state,
                    "value_template": "{{ value_json.bath.status }}",
                },
            ),
        ]
    active = "value_json.routine and value_json.routine.status in ['running', 'waiting', 'paused']"
    entities += [
        (
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
        (
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
    ]
    entities.append(
        (
            "button",
            "stop_everything",
            {
                "name": "Stop everything",
                "icon": "mdi:stop-circle",
                "command_topic": topics.ha_command("stop_all/press"),
                "payload_press": "PRESS",
            },
        )
    )
    messages = []
    for component, object_id, fields in entities:
        document = {**fields, **common, "unique_id": f"{node}_{object_id}"}
        if component == "sensor":
            # A bridge that died leaves its last state retained: let it go unavailable.
            document["expire_after"] = STATE_VALID_S
        topic = f"{config.discovery_prefix}/{component}/{node}/{object_id}/config"
        messages.append(Message.json(topic, document, retain=True))
    return messages
