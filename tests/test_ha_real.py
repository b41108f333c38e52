"""The Home Assistant speaker against a real Home Assistant 2024.1 (make test-ha)."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mqtt_support import integration_document
from server_support import free_port
from test_ha_speaker import with_ha_speaker

from mqtt_bridge.bridge import Bridge
from mqtt_bridge.broker import MosquittoBroker
from mqtt_bridge.client import BridgeClient
from mqtt_bridge.config import parse_config
from mqtt_bridge.ha_speech import SPEAKER_FAILED

pytestmark = [pytest.mark.ha, pytest.mark.slow]

HA_PYTHON = os.environ.get("HA_PYTHON")
START_TIMEOUT_S = 240
CLIENT_ID = "http://127.0.0.1/"
PLAYER = "media_player.living_room"  # one of the demo integration's players
CONFIGURATION = """\
homeassistant:
  name: Recovery Coach test
  latitude: 51.5
  longitude: 0
  elevation: 0
  unit_system: metric
  time_zone: UTC
  country: GB
http:
  server_host: 127.0.0.1
  server_port: {port}
api:
config:
onboarding:
demo:
"""


@dataclass(frozen=True)
class RealHomeAssistant:
    url: str
    token: str
    tts_entity: str
    started_in_s: float

    def call(self, method: str, path: str, body: Any = None, form: bool = False) -> Any:
        data = None
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if body is not None:
            data = urllib.parse.urlencode(body).encode() if form else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data, headers, method=method)
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())

    def state(self, entity: str) -> dict[str, Any]:
        state: dict[str, Any] = self.call("GET", f"/api/states/{entity}")
        return state


def _start(config_dir: Path) -> tuple[subprocess.Popen[bytes], str, float]:
    assert HA_PYTHON is not None
    port = free_port()
    (config_dir / "configuration.yaml").write_text(CONFIGURATION.format(port=port))
    started = time.monotonic()
    process = subprocess.Popen(
        [HA_PYTHON, "-m", "homeassistant", "-c", str(config_dir), "--skip-pip"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    while True:
        if process.poll() is not None:
            log = (config_dir / "home-assistant.log").read_text(errors="replace")
            raise RuntimeError(f"Home Assistant exited ({process.returncode}): {log[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/api/onboarding", timeout=2):
                return process, url, time.monotonic() - started
        except (OSError, urllib.error.URLError):
            if time.monotonic() - started > START_TIMEOUT_S:
                process.terminate()
                raise RuntimeError("Home Assistant did not start") from None
            time.sleep(0.5)


def _onboard(url: str) -> str:
    """Create the owner through onboarding and trade its auth code for an access token."""
    anonymous = RealHomeAssistant(url, "", "", 0)
    owner = {
        "client_id": CLIENT_ID,
        "name": "Recovery Coach",
        "username": "coach",
        "password": "a-test-only-password",
        "language": "en",
    }
    code = anonymous.call("POST", "/api/onboarding/users", owner)["auth_code"]
    grant = {"grant_type": "authorization_code", "code": code, "client_id": CLIENT_ID}
    token: str = anonymous.call("POST", "/auth/token", grant, form=True)["access_token"]
    return token


def _add_tts_entity(ha: RealHomeAssistant) -> str:
    """Add Google Translate TTS (a tts.* entity; nothing is fetched until audio is played)."""
    flow = ha.call("POST", "/api/config/config_entries/flow", {"handler": "google_translate"})
    ha.call("POST", f"/api/config/config_entries/flow/{flow['flow_id']}", {"language": "en"})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            ha.state("tts.google_en_com")
            ha.state(PLAYER)
            return "tts.google_en_com"
        except urllib.error.HTTPError:
            time.sleep(0.5)
    raise RuntimeError("the tts entity or the demo media player never appeared")


@pytest.fixture(scope="module")
def home_assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealHomeAssistant]:
    if HA_PYTHON is None:
        pytest.skip("needs Home Assistant 2024.1 in its own venv: run make test-ha")
    config_dir = tmp_path_factory.mktemp("homeassistant")
    process, url, started_in = _start(config_dir)
    try:
        ha = RealHomeAssistant(url, _onboard(url), "", started_in)
        ha = RealHomeAssistant(url, ha.token, _add_tts_entity(ha), started_in)
        print(f"\nHome Assistant 2024.1 answered after {started_in:.1f} s")
        yield ha
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def _bridge(
    broker: MosquittoBroker,
    tmp_path: Path,
    ha: RealHomeAssistant,
    token: str,
    player: str = PLAYER,
) -> Iterator[BridgeClient]:
    """Run a bridge whose speaker is the real Home Assistant; yield a client to ask it."""
    document = with_ha_speaker(
        integration_document(broker, tmp_path),
        url=ha.url,
        tts_entity=ha.tts_entity,
        media_player=player,
    )
    config = parse_config(document, env={"HA_TOKEN": token})
    bridge = Bridge(config)
    client = BridgeClient(config.broker)
    bridge.start()
    try:
        assert bridge.connected.wait(5)
        client.start()
        yield client
    finally:
        client.stop()
        bridge.stop()


def test_an_announcement_plays_on_a_real_home_assistant_media_player(
    home_assistant: RealHomeAssistant, mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    before = home_assistant.state(PLAYER)["attributes"].get("media_content_id")
    with _bridge(mosquitto, tmp_path, home_assistant, home_assistant.token) as client:
        started = time.monotonic()
        reply = client.request("test_home", "announce", {"text": "Time for your calf stretch"})
        print(f"announce answered in {time.monotonic() - started:.2f} s")
    assert reply["status"] == "ok" and reply["data"]["confirmed"] is True
    playing = home_assistant.state(PLAYER)["attributes"]["media_content_id"]
    assert playing != before
    assert playing.startswith(f"media-source://tts/{home_assistant.tts_entity}?")
    assert "message=Time+for+your+calf+stretch" in playing


def test_a_token_home_assistant_refuses_is_an_error(
    home_assistant: RealHomeAssistant, mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    with _bridge(mosquitto, tmp_path, home_assistant, "not-a-real-token") as client:
        reply = client.request("test_home", "announce", {"text": "Hello"})
    assert reply["status"] == "error" and reply["code"] == SPEAKER_FAILED
    assert "401" in reply["error"]


def test_a_media_player_home_assistant_lacks_is_an_error(
    home_assistant: RealHomeAssistant, mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    missing = "media_player.no_such_player"
    with _bridge(mosquitto, tmp_path, home_assistant, home_assistant.token, missing) as client:
        reply = client.request("test_home", "announce", {"text": "Hello"})
    assert reply["status"] == "error" and "no entity media_player.no_such_player" in reply["error"]
