"""Device adapters: each vendor's MQTT conventions behind one small interface."""

from mqtt_bridge.adapters.base import Adapter, Observation, Switch
from mqtt_bridge.adapters.generic import GenericDevice
from mqtt_bridge.adapters.shelly import ShellySwitch
from mqtt_bridge.adapters.speakers import HermesSpeaker, Speaker, TopicSpeaker
from mqtt_bridge.adapters.tasmota import TasmotaSwitch, pulse_seconds, pulse_time
from mqtt_bridge.adapters.zigbee2mqtt import Zigbee2MqttDevice

__all__ = [
    "Adapter",
    "GenericDevice",
    "HermesSpeaker",
    "Observation",
    "ShellySwitch",
    "Speaker",
    "Switch",
    "TasmotaSwitch",
    "TopicSpeaker",
    "Zigbee2MqttDevice",
    "pulse_seconds",
    "pulse_time",
]
