"""mqtts: the bridge verifies the broker's certificate against the configured CA."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from mqtt_support import wait_until
from pki import Authority

from mqtt_bridge.bridge import Bridge
from mqtt_bridge.broker import MosquittoBroker
from mqtt_bridge.client import BridgeClient
from mqtt_bridge.config import load_config, parse_config
from mqtt_bridge.errors import ConfigError


@pytest.fixture
def tls_broker(tmp_path: Path, authority: Authority) -> Iterator[MosquittoBroker]:
    server = authority.issue(dns_names=("localhost",))
    broker = MosquittoBroker()
    files = {
        "ca.pem": authority.pem(),
        "server.pem": server.pem(),
        "server.key": server.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    }
    for name, content in files.items():
        (broker.directory / name).write_bytes(content)
        (broker.directory / name).chmod(0o644)
    (tmp_path / "ca.pem").write_bytes(authority.pem())
    broker.extra = "".join(
        f"{key} {broker.directory / name}\n"
        for key, name in (
            ("cafile", "ca.pem"),
            ("certfile", "server.pem"),
            ("keyfile", "server.key"),
        )
    )
    broker.start()
    yield broker
    broker.close()


def _document(broker: MosquittoBroker, tmp_path: Path, ca: Path) -> dict[str, object]:
    return {
        "home": "tls_home",
        "timer_database": str(tmp_path / "tls.sqlite3"),
        "broker": {"url": f"mqtts://localhost:{broker.port}", "ca_file": str(ca)},
        "devices": {},
    }


def test_bridge_connects_over_tls_with_the_configured_ca(
    tls_broker: MosquittoBroker, tmp_path: Path
) -> None:
    config = parse_config(_document(tls_broker, tmp_path, tmp_path / "ca.pem"), env={})
    bridge = Bridge(config)
    bridge.start()
    client = BridgeClient(config.broker)
    try:
        assert bridge.connected.wait(5)
        client.start()
        assert client.request("tls_home", "status")["status"] == "ok"
    finally:
        client.stop()
        bridge.stop()


def test_bridge_refuses_a_broker_it_cannot_verify(
    tls_broker: MosquittoBroker, tmp_path: Path
) -> None:
    stranger = tmp_path / "other-ca.pem"
    stranger.write_bytes(Authority.create("Some other CA").pem())
    config = parse_config(_document(tls_broker, tmp_path, stranger), env={})
    bridge = Bridge(config)
    bridge.start()
    try:
        assert not wait_until(bridge.connected.is_set, timeout=2)
    finally:
        bridge.stop()


def test_embedded_url_names_a_private_broker() -> None:
    config = parse_config({"home": "h", "broker": {"url": "embedded"}}, env={})
    assert config.broker.embedded and (config.broker.host, config.broker.port) == (
        "127.0.0.1",
        1883,
    )
    config = parse_config({"home": "h", "broker": {"url": "embedded://127.0.0.1:18999"}}, env={})
    assert config.broker.embedded and config.broker.port == 18999


# --- credentials never shown -----------------------------------------------------------------

SECRET = "s3cr3t-Pa55"


@pytest.mark.parametrize(
    "url",
    [
        f"mqtt://bridge:{SECRET}@broker.lan:notaport",
        f"mqtt://bridge:{SECRET}@broker.lan:99999",
        f"ftp://bridge:{SECRET}@broker.lan:1883",
        f"mqtt://bridge:{SECRET}@[::1:1883",
        f"mqtt://bridge:{SECRET}@",
        f"bridge:{SECRET}@broker.lan:1883",
        f"mqtt://bridge:{SECRET}/x@broker.lan:1883",
        f"mqtts://{SECRET}@broker.lan:x",
    ],
)
def test_a_malformed_broker_url_never_shows_its_password(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"home": "h", "broker": {"url": url}}, env={})
    shown = str(caught.value)
    assert SECRET not in shown and "broker.url" in shown and "***" in shown


def test_credentials_in_a_broker_url_are_used_and_kept_out_of_it() -> None:
    config = parse_config(
        {"home": "h", "broker": {"url": f"mqtt://bridge:{SECRET.replace('5', '%35')}@lan:1884"}},
        env={},
    )
    broker = config.broker
    assert (broker.username, broker.password) == ("bridge", SECRET)
    assert broker.url == "mqtt://lan:1884" and (broker.host, broker.port) == ("lan", 1884)
    assert SECRET not in repr(config)
    explicit = parse_config(
        {"home": "h", "broker": {"url": f"mqtt://u:{SECRET}@lan", "username": "other"}}, env={}
    )
    assert explicit.broker.username == "other" and explicit.broker.url == "mqtt://lan"


def test_a_password_in_broken_yaml_is_not_quoted_back(tmp_path: Path) -> None:
    config = tmp_path / "bridge.yaml"
    config.write_text(f'home: h\nbroker:\n  password: "{SECRET}\n  url: mqtt://lan\n')
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert SECRET not in str(caught.value) and "line" in str(caught.value)
