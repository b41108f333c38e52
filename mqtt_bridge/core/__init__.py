"""The bridge's decisions, free of I/O: BridgeCore composes one small module per concept."""

from mqtt_bridge.core.coordinator import BridgeCore

__all__ = ["BridgeCore"]
