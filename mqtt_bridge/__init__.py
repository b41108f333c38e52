"""Recovery Coach's home bridge over MQTT.

The bridge (`Bridge`, `recovery-coach bridge`) turns the skill's requests into each device's own
MQTT conventions (`adapters/`: Tasmota, Shelly Gen2, Zigbee2MQTT, generic topics, speakers),
enforces the safety limits and timers (`safety`, `store`), runs routines, and publishes its state
and Home Assistant discovery. `core` decides, free of I/O; `bridge` and `connection` do the MQTT;
`client` is the skill's side of the request/response protocol: requests (`protocol`) are parsed
once into typed verbs (`core/verbs`), and replies and the published state are typed models
(`reply_types`) that the skill parses once too.
"""
