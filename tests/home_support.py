"""A home of its own (bridge, simulated devices, client, timer database) on a shared broker."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar

from mqtt_support import integration_document, wait_until

from mqtt_bridge.adapters import ShellySwitch
from mqtt_bridge.bridge import Bridge
from mqtt_bridge.broker import MosquittoBroker
from mqtt_bridge.client import BridgeClient
from mqtt_bridge.clock import ScaledClock
from mqtt_bridge.config import BridgeConfig, Role, parse_config
from mqtt_bridge.simulators import SimulatedHome

SCALE = 60.0


class Startable(Protocol):
    def start(self) -> Any: ...

    def stop(self) -> Any: ...


H = TypeVar("H", bound=Startable)


@contextmanager
def started_homes() -> Iterator[Callable[[H], H]]:
    """Start homes as a test asks for them, and stop every one of them when it ends.

    A home is listed before it starts: one that fails to start is still stopped, so its bridge
    and devices never answer for the next tests on a shared broker.
    """
    homes: list[Startable] = []

    def start(home: H) -> H:
        homes.append(home)
        home.start()
        return home

    try:
        yield start
    finally:
        for home in homes:
            home.stop()


def shelly_home(home: str, device_id: str, switch: int = 0) -> dict[str, Any]:
    return {
        "heating_pad": {
            "role": "heating_pad",
            "adapter": {"type": "shelly", "device_id": device_id, "switch": switch},
        },
        "speaker": {"role": "speaker", "adapter": {"type": "hermes", "site_id": f"{home}-room"}},
    }


class RunningHome:
    """A configured home's bridge, simulated devices and client on one broker."""

    def __init__(self, config: BridgeConfig, broker: MosquittoBroker) -> None:
        self.config = config
        self.devices = SimulatedHome(config, broker.host, broker.port, scale=SCALE)
        self.bridge = Bridge(config, ScaledClock(SCALE))
        self.client = BridgeClient(config.broker)

    def start(self) -> None:
        self.devices.start()
        self.bridge.start()
        assert self.bridge.connected.wait(5)
        self.client.start()
        assert wait_until(lambda: self.client.availability(self.config.home) == "online")

    def stop(self) -> None:
        self.client.stop()
        self.bridge.stop()
        self.devices.stop()

    def request(self, verb: str, timeout: float = 15, **params: Any) -> dict[str, Any]:
        return self.client.request(self.config.home, verb, params, timeout=timeout)

    def __getitem__(self, role: Role) -> Any:
        return self.devices[role]


class Home(RunningHome):
    """One home of the standard layout, with its own timer database."""

    def __init__(self, broker: MosquittoBroker, folder: Path, home: str, **changes: Any) -> None:
        folder.mkdir(exist_ok=True)
        document = integration_document(broker, folder, home=home, **changes)
        super().__init__(parse_config(document, env={}), broker)

    def bridge_subscriptions(self) -> list[str]:
        return [topic for device in self.config.devices for topic in device.adapter.subscriptions()]


def source_of(config: BridgeConfig, role: Role = Role.HEATING_PAD) -> str:
    adapter = config.switch(role)
    assert isinstance(adapter, ShellySwitch)
    return adapter.source
