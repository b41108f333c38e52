"""Recovery Coach's home bridge over MQTT (issue #3: not built yet; nothing here runs)."""
