"""MQTT security on a real Mosquitto: TLS, client certificates, passwords and per-home ACLs.

The broker is configured as docs/mosquitto/ says (its `acl` file is used as shipped, with this
test's device topics and an observer appended), so these tests check the shipped rules.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from mqtt_support import ROOT, Recorder, integration_document, wait_until
from pki import Authority, Leaf

from mqtt_bridge.bridge import Bridge
from mqtt_bridge.broker import MosquittoBroker, find_mosquitto
from mqtt_bridge.client import BridgeClient
from mqtt_bridge.config import BrokerConfig, parse_config

pytestmark = pytest.mark.faults

SHIPPED_ACL = ROOT / "docs" / "mosquitto" / "acl"
SKILL = "recovery-coach-skill"
PASSWORDS = {
    "home_a": "pw-A-7f3e9c1d2b8a4e6f",
    "home_b": "pw-B-0c4d8e2f6a1b3c5d",
    SKILL: "pw-skill-9a8b7c6d5e4f3a2b",
    "admin": "pw-admin-1a2b3c4d5e6f7a8b",
}
# Home A runs the standard test home's devices (tests/bridge_support.py HOME).
HOME_A_DEVICES = """
user home_a
topic write cmnd/heatpad/#
topic read stat/heatpad/#
topic read tele/heatpad/#
topic write shellyplus1-bath/rpc
topic read shellyplus1-bath/#
topic read recovery-coach-bridge-home_a/rpc
topic readwrite zigbee2mqtt/bath_temp/#
topic read zigbee2mqtt/bath_temp
topic read zigbee2mqtt/bath_leak
topic read zigbee2mqtt/bath_leak/#
topic write hermes/tts/say
topic read hermes/tts/sayFinished

user admin
topic readwrite #
"""


@dataclass(frozen=True)
class SecureBroker:
    """A Mosquitto that wants a client certificate and a password, with the shipped ACL."""

    broker: MosquittoBroker
    folder: Path

    @property
    def url(self) -> str:
        return f"mqtts://localhost:{self.broker.port}"

    def files(self, principal: str) -> dict[str, str]:
        return {
            "ca_file": str(self.folder / "ca.pem"),
            "cert_file": str(self.folder / f"{principal}.pem"),
            "key_file": str(self.folder / f"{principal}.key"),
        }

    def broker_config(self, principal: str, password: str | None = None) -> BrokerConfig:
        files = self.files(principal)
        return BrokerConfig(
            url=self.url,
            username=principal,
            password=PASSWORDS[principal] if password is None else password,
            ca_file=Path(files["ca_file"]),
            cert_file=Path(files["cert_file"]),
            key_file=Path(files["key_file"]),
        )


def _write_leaf(folder: Path, name: str, leaf: Leaf) -> None:
    (folder / f"{name}.pem").write_bytes(leaf.pem())
    key = leaf.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (folder / f"{name}.key").write_bytes(key)
    for suffix in ("pem", "key"):
        (folder / f"{name}.{suffix}").chmod(0o644)  # Mosquitto reads them as its own user


@pytest.fixture(scope="module")
def secure(
    authority: Authority, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SecureBroker]:
    now = datetime.now(UTC)
    valid = {"not_before": now - timedelta(days=1), "not_after": now + timedelta(days=30)}
    broker = MosquittoBroker(anonymous=False)
    folder = broker.directory
    (folder / "ca.pem").write_bytes(authority.pem())
    (folder / "ca.pem").chmod(0o644)
    _write_leaf(folder, "server", authority.issue(("localhost",), **valid))
    for principal in PASSWORDS:
        _write_leaf(folder, principal, authority.issue((principal,), **valid, client=True))
    stranger = Authority.create("Some other CA")
    _write_leaf(folder, "stranger", stranger.issue(("home_b",), **valid, client=True))
    passwd = folder / "passwd"
    tool = Path(find_mosquitto()).parent.parent / "bin" / "mosquitto_passwd"
    for principal, password in PASSWORDS.items():
        command = [str(tool), "-b", *(["-c"] if not passwd.exists() else []), str(passwd)]
        subprocess.run([*command, principal, password], check=True, capture_output=True)
    passwd.chmod(0o644)
    acl = folder / "acl"
    acl.write_text(SHIPPED_ACL.read_text() + HOME_A_DEVICES)
    acl.chmod(0o644)
    broker.extra = (
        f"cafile {folder / 'ca.pem'}\ncertfile {folder / 'server.pem'}\n"
        f"keyfile {folder / 'server.key'}\nrequire_certificate true\n"
        f"use_identity_as_username false\npassword_file {passwd}\nacl_file {acl}\n"
    )
    broker.start()
    yield SecureBroker(broker, folder)
    broker.close()


class Principal(Recorder):
    """A plain MQTT client over TLS with a certificate and a password; records what it hears."""

    def __init__(
        self,
        secure: SecureBroker,
        username: str | None,
        password: str | None = None,
        *,
        certificate: str | None = "own",
    ) -> None:
        super().__init__(username)
        self.refused: str | None = None
        client = self.client
        files = secure.files(username or "admin")
        if certificate is None:
            client.tls_set(files["ca_file"])
        else:
            shown = secure.files(username or "admin" if certificate == "own" else certificate)
            client.tls_set(files["ca_file"], shown["cert_file"], shown["key_file"])
        if username is not None:
            client.username_pw_set(
                username, PASSWORDS.get(username) if password is None else password
            )
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        try:
            client.connect("localhost", secure.broker.port)
        except OSError as exc:  # ssl.SSLError is an OSError: no certificate, or a stranger's
            self.refused = f"TLS: {type(exc).__name__}"
            return
        client.loop_start()
        wait_until(lambda: self._connected.is_set() or self.refused is not None, 5)

    @property
    def connected(self) -> bool:
        return self._connected.is_set() and self.refused is None

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        if reason.is_failure:
            self.refused = str(reason)
        else:
            self._connected.set()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        if not self._connected.is_set():  # TLS 1.3 reports a refused certificate this late
            self.refused = f"disconnected: {reason}"


@pytest.fixture
def home_a(secure: SecureBroker, tmp_path: Path) -> Iterator[Bridge]:
    """Home A's bridge, logged in as home_a with its certificate and password."""
    document = integration_document(secure.broker, tmp_path, home="home_a")
    document["broker"] = {"url": secure.url, "username": "home_a", **secure.files("home_a")}
    config = parse_config(document, env={"RECOVERY_COACH_MQTT_PASSWORD": PASSWORDS["home_a"]})
    bridge = Bridge(config)
    bridge.start()
    assert bridge.connected.wait(10), secure.broker.log()
    yield bridge
    bridge.stop()


def test_the_skill_reaches_a_bridge_over_tls_with_a_certificate_and_a_password(
    secure: SecureBroker, home_a: Bridge
) -> None:
    skill = BridgeClient(secure.broker_config(SKILL))
    try:
        skill.start()
        reply = skill.request("home_a", "status", timeout=5)
    finally:
        skill.stop()
    assert reply["status"] == "ok" and reply["data"]["home"] == "home_a"


def test_another_homes_credentials_can_neither_command_nor_read_a_home(
    secure: SecureBroker, home_a: Bridge
) -> None:
    observer = Principal(secure, "admin")
    observer.subscribe("#")
    intruder = Principal(secure, "home_b")
    skill = BridgeClient(secure.broker_config(SKILL))
    try:
        assert intruder.connected, intruder.refused
        # Mosquitto 2.0 accepts any subscription and checks each message as it is delivered.
        intruder.subscribe(
            "recovery/home_a/#", "recovery/+/state", "cmnd/heatpad/#", "#", "recovery/home_b/#"
        )
        intruder.publish("recovery/home_a/request/heat/start", '{"transaction": "evil"}')
        intruder.publish("recovery/home_a/ha/heat/set", "ON")
        intruder.publish("recovery/home_a/health/ann", "", retain=True)
        intruder.publish("cmnd/heatpad/POWER", "ON")
        intruder.publish("recovery/home_b/state", "mine")  # its own home: allowed
        skill.start()
        # Home A is busy meanwhile: a status request makes it publish a reply and its state.
        assert skill.request("home_a", "status", timeout=5)["status"] == "ok"
        assert wait_until(lambda: intruder.heard("recovery/home_b/state"))
        assert wait_until(lambda: observer.heard("recovery/home_b/state"))
    finally:
        skill.stop()
        intruder.stop()
        observer.stop()
    # The intruder heard only its own home; home A never saw its messages, nor acted on them.
    assert {topic for topic, _ in intruder.heard()} == {"recovery/home_b/state"}
    seen = {topic for topic, _ in observer.heard()}
    # The skill speaks MQTT 5: home A answered on the skill instance's own reply topic.
    assert "recovery/home_a/state" in seen and f"recovery/home_a/reply/{skill.instance}" in seen
    assert not [t for t in seen if t.startswith(("recovery/home_a/request/heat", "cmnd/"))]
    assert "recovery/home_a/ha/heat/set" not in seen and "recovery/home_a/health/ann" not in seen
    assert not [p for t, p in observer.heard("recovery/home_a/") if b"evil" in p]


@pytest.mark.parametrize(
    ("username", "password", "certificate", "why"),
    [
        (None, None, "own", "anonymous"),
        ("home_b", "not-the-password", "own", "a wrong password"),
        ("home_b", None, None, "no client certificate"),
        ("home_b", None, "stranger", "a certificate from another CA"),
        ("nobody", "whatever", "home_b", "an unknown user"),
    ],
)
def test_the_broker_refuses(
    secure: SecureBroker,
    username: str | None,
    password: str | None,
    certificate: str | None,
    why: str,
) -> None:
    client = Principal(secure, username, password, certificate=certificate)
    try:
        assert not client.connected, why
        assert client.refused is not None, why
    finally:
        client.stop()


def test_a_bridge_with_a_wrong_password_stays_out_and_says_so_without_the_password(
    secure: SecureBroker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    document = integration_document(secure.broker, tmp_path, home="home_a")
    document["broker"] = {"url": secure.url, "username": "home_a", **secure.files("home_a")}
    wrong = "wrong-" + PASSWORDS["home_a"]
    bridge = Bridge(parse_config(document, env={"RECOVERY_COACH_MQTT_PASSWORD": wrong}))
    caplog.set_level("INFO")
    bridge.start()
    try:
        assert wait_until(lambda: "refused the connection" in caplog.text, 5)
        assert not bridge.connected.is_set()
    finally:
        bridge.stop()
    assert wrong not in caplog.text and PASSWORDS["home_a"] not in caplog.text


# --- secrets never reach the logs or the terminal --------------------------------------------

URL_PASSWORD = "url-pw-5e1f0a9b"
JWT = (  # the shape of an Alexa apiAccessToken
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJhdWQiOiJodHRwczovL2FwaS5hbWF6b25hbGV4YS5jb20i.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
)
LWA = "Atza|IwEBIA" + "Q3xkz9" * 12
ACCOUNT = "amzn1.ask.account.AEXAMPLE" + "7HQ2" * 16
SECRETS = [*PASSWORDS.values(), URL_PASSWORD, "wrong-" + PASSWORDS["home_a"], JWT, LWA, ACCOUNT]


def _cli(*arguments: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "skill.cli", "-v", *arguments],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        check=False,
    )


def _bridge_process(config: Path, log: Path, password: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "skill.cli", "-v", "bridge", "--config", str(config)],
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "RECOVERY_COACH_MQTT_PASSWORD": password},
    )


def test_no_secret_reaches_the_logs_or_the_terminal(secure: SecureBroker, tmp_path: Path) -> None:
    outputs: list[str] = []
    # 1. A malformed broker URL holding a password, through every command that reads it.
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        yaml.safe_dump(
            {"home": "home_a", "broker": {"url": f"mqtts://home_a:{URL_PASSWORD}@localhost:x"}}
        )
    )
    for arguments in (
        ("bridge", "--config", str(bad)),
        ("request", "status", "--config", str(bad)),
        ("simulate", "--config", str(bad)),
        ("speaker", "--broker", f"mqtt://home_a:{URL_PASSWORD}@:nope"),
    ):
        result = _cli(*arguments)
        assert result.returncode != 0 and "broker.url" in result.stderr, result
        outputs += [result.stdout, result.stderr]

    # 2. The bridge, logged in properly, fed tokens in every kind of message it logs about.
    document = integration_document(secure.broker, tmp_path, home="home_a")
    document["broker"] = {"url": secure.url, "username": "home_a", **secure.files("home_a")}
    config = tmp_path / "bridge.yaml"
    config.write_text(yaml.safe_dump(document))
    log = tmp_path / "bridge.log"
    admin = Principal(secure, "admin")
    admin.subscribe("recovery/home_a/#")
    process = _bridge_process(config, log, PASSWORDS["home_a"])
    try:
        assert wait_until(
            lambda: b"online" in [p for _, p in admin.heard("recovery/home_a/availability")], 15
        ), log.read_text()
        request = "recovery/home_a/request/"
        hostile = [
            (request + "heat/start", json.dumps({"apiAccessToken": JWT, "transaction": "t1"})),
            (request + "announce", json.dumps({"text": 7, "userId": ACCOUNT, "token": LWA})),
            (request + JWT, json.dumps({"accessToken": LWA})),
            (request + "status", "[" * 5000 + JWT + "]" * 5000),
            ("recovery/home_a/ha/heat/set", LWA),
            ("recovery/home_a/health/ann", json.dumps({"flags": [{"sign": JWT}], "u": ACCOUNT})),
            ("stat/heatpad/RESULT", f"not json {LWA} {JWT}"),
            ("shellyplus1-bath/events/rpc", json.dumps({"method": "NotifyStatus", "params": JWT})),
            ("zigbee2mqtt/bath_leak", f"[{JWT!r}]"),
        ]
        for topic, payload in hostile:
            admin.publish(topic, payload)
        admin.publish(request + "status", json.dumps({"transaction": "last"}))
        assert wait_until(
            lambda: [p for _, p in admin.heard("recovery/home_a/response/status") if b'"last"' in p]
        )
    finally:
        process.terminate()
        process.wait(10)
        admin.stop()
    bridge_log = log.read_text()
    # It did log about the hostile input, naming what was wrong but not the secrets.
    assert "unknown parameter 'apiAccessToken'" in bridge_log, bridge_log
    assert "ignoring Home Assistant command heat/set='[redacted]'" in bridge_log
    outputs.append(bridge_log)

    # 3. The bridge with a wrong password: refused, and says so.
    log_wrong = tmp_path / "wrong.log"
    process = _bridge_process(config, log_wrong, "wrong-" + PASSWORDS["home_a"])
    try:
        assert wait_until(lambda: "refused the connection" in log_wrong.read_text(), 10)
    finally:
        process.terminate()
        process.wait(10)
    outputs.append(log_wrong.read_text())

    # 4. Loading and showing the configuration.
    loaded = parse_config(document, env={"RECOVERY_COACH_MQTT_PASSWORD": PASSWORDS["home_a"]})
    outputs += [repr(loaded), str(loaded.broker)]

    everything = "\n".join(outputs)
    assert [secret for secret in SECRETS if secret in everything] == []
