"""The real server (`recovery-coach serve`) driven over HTTP by an independent simulator."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from alexa_simulator import Simulator, spoken
from server_support import start_server
from ssml import check_response

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "skill-package" / "interactionModels" / "custom"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from start_server(tmp_path_factory.mktemp("server"), "--no-verify")


@pytest.fixture
def alexa(server: str, request: pytest.FixtureRequest) -> Simulator:
    return Simulator(
        MODELS / "en-US.json", f"{server}/alexa", user_id=f"amzn1.ask.account.{request.node.name}"
    )


def say(alexa: Simulator, utterance: str) -> str:
    answer = alexa.say(utterance)
    check_response(answer)
    return spoken(answer)


@pytest.mark.parametrize(
    ("utterance", "expected"),
    [
        ("how should I recover", ["cool-down", "static stretches"]),
        ("what should I do after my run", ["Drink water"]),
        ("help me recover", ["Right now"]),
        ("should I use ice or heat", ["ice pack", "no more ice baths"]),
        ("is ice or heat better", ["Epsom salt bath"]),
        ("what should I eat after my run", ["banana with peanut butter", "30 minutes"]),
        ("do I need electrolytes", ["before, during and after"]),
        ("how much sleep do I need", ["a minute of sleep for every mile"]),
        ("should I take ibuprofen", ["follow the dose", "more than soreness", "pharmacist"]),
        ("can I take tylenol", ["acetaminophen", "before a run"]),
        ("how fast should I build mileage", ["10 percent", "80 percent"]),
        ("does foam rolling help", ["foam roller"]),
        ("tell me about epsom salts", ["lavender"]),
        ("why am I sore", ["tiny tears"]),
        ("how do I know if I'm injured", ["swelling"]),
        ("my hamstrings are tight", ["Sorry your hamstrings are hurting"]),
        (
            "I have a sharp pain in my knee",
            ["check your knee: sharp pain is not normal soreness", "physiotherapist"],
        ),
        ("my ankle is swollen", ["check your ankle: swelling is a sign of injury"]),
    ],
)
def test_natural_phrasings_get_seed_based_answers(
    alexa: Simulator, utterance: str, expected: list[str]
) -> None:
    name, _ = alexa.understand(utterance)
    assert name != "AMAZON.FallbackIntent", f"the model does not cover {utterance!r}"
    speech = say(alexa, utterance)
    for phrase in expected:
        assert phrase in speech, speech


def test_a_logged_run_carries_through_the_conversation(alexa: Simulator) -> None:
    assert "20 mile run" in say(alexa, "I just ran 20 miles")
    assert "your 20 mile run" in say(alexa, "yes")
    assert "electrolytes" in say(alexa, "yes")
    assert "Recover well" in say(alexa, "stop")
    # A new session: the run is remembered by user.
    assert "your 20 mile run" in say(alexa, "how should I recover")


def test_race_and_duration_logging(alexa: Simulator) -> None:
    assert "your half marathon" in say(alexa, "I just finished a half marathon")
    assert "90 minute" in say(alexa, "I ran for 90 minutes")


def test_en_gb_model_over_the_same_server(server: str) -> None:
    alexa = Simulator(
        MODELS / "en-GB.json", f"{server}/alexa", locale="en-GB", user_id="amzn1.ask.account.gb"
    )
    speech = say(alexa, "I ran 10 kilometres")
    assert "10 kilometre run" in speech


def test_concurrent_users_are_served(server: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def run(index: int) -> str:
        alexa = Simulator(
            MODELS / "en-US.json", f"{server}/alexa", user_id=f"amzn1.ask.account.user{index}"
        )
        alexa.say(f"I ran {index + 1} miles")
        return spoken(alexa.say("how should I recover"))

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(run, range(16)))
    for index, answer in enumerate(answers):
        assert f"your {index + 1} mile run" in answer


def post_raw(url: str, body: bytes) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_server_answers_bad_input_with_400(server: str) -> None:
    status, body = post_raw(f"{server}/alexa", b"{broken")
    assert status == 400 and body["status"] == "error"


def test_server_with_verification_on_refuses_unsigned_requests(
    tmp_path: Path, alexa: Simulator
) -> None:
    env = {"RECOVERY_COACH_SKILL_ID": alexa.skill_id}
    for base in start_server(tmp_path, env=env):
        unsigned = Simulator(MODELS / "en-US.json", f"{base}/alexa")
        with pytest.raises(urllib.error.HTTPError) as refused:
            unsigned.say("how should I recover")
        assert refused.value.code == 400
        assert "SignatureCertChainUrl" in json.loads(refused.value.read())["error"]


def test_stopping_a_serving_server_ends_its_thread_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import http.client
    import threading

    from flask import Flask

    from skill.server import RunningServer, build_server

    crashes: list[threading.ExceptHookArgs] = []
    monkeypatch.setattr(threading, "excepthook", crashes.append)
    app = Flask(__name__)
    app.post("/alexa")(lambda: "ok")
    running = RunningServer(build_server(app, "127.0.0.1", 0)).start()
    # A keep-alive client still connected at shutdown, as Alexa's or a benchmark's would be.
    connection = http.client.HTTPConnection("127.0.0.1", running.port, timeout=5)
    try:
        for _ in range(3):
            connection.request("POST", "/alexa", body=b"{}")
            assert connection.getresponse().read() == b"ok"
        with caplog.at_level(logging.WARNING):
            running.stop(timeout=5)
        assert not running.serving
        assert crashes == []
        assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    finally:
        connection.close()
