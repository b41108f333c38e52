"""Red flags by actions, in the same session, the next day and after clearing.

Through the skill: the real `recovery-coach serve` process over HTTP, with a home (bridge and
simulated devices) on real Mosquitto. Through the bridge: its own routine runner and Home
Assistant commands on real Mosquitto. Every scenario asserts what is said and that no heating pad
or bath valve switched on.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from mqtt_support import Spy, integration_document, wait_until
from server_support import start_server
from ssml import check_response

from mqtt_bridge.bridge import Bridge
from mqtt_bridge.broker import MosquittoBroker
from mqtt_bridge.clock import ScaledClock
from mqtt_bridge.config import Role, load_config
from mqtt_bridge.simulators import SimulatedHome
from routines import BodyArea, PainFlag
from routines.health import HealthState
from routines.stretches import load_library
from skill.conversation import Conversation, http_transport, plain_text
from skill.nlu import Recognizer

SCALE = 60.0
T0 = datetime.now(UTC).replace(microsecond=0)
LIBRARY = load_library()


@dataclass(frozen=True)
class Flag:
    sign: PainFlag
    phrase: str
    area: BodyArea | None
    advice: str  # how the red-flag answer opens
    stretching: str  # "refused", or "trimmed" (stretches avoiding the area)


FLAGS = [
    Flag(
        PainFlag.SHARP, "I have a sharp pain in my knee", BodyArea.KNEES, "Have a doctor", "refused"
    ),
    Flag(
        PainFlag.LOCALISED, "I have a pain in my knee", BodyArea.KNEES, "Have a doctor", "trimmed"
    ),
    Flag(PainFlag.SWELLING, "my ankle is swollen", BodyArea.ANKLES, "Have a doctor", "refused"),
    Flag(
        PainFlag.LASTING_DAYS,
        "my knee has been hurting for days",
        BodyArea.KNEES,
        "Have a doctor",
        "trimmed",
    ),
    Flag(
        PainFlag.CANT_BEAR_WEIGHT,
        "I can't put weight on my ankle",
        BodyArea.ANKLES,
        "Have a doctor",
        "refused",
    ),
    Flag(
        PainFlag.DARK_URINE, "I have dark urine", None, "Please get medical help today", "refused"
    ),
    Flag(PainFlag.CHEST_PAIN, "I have chest pain", None, "Call emergency services now", "refused"),
    Flag(PainFlag.FAINTING, "I fainted", None, "Get medical help now", "refused"),
    Flag(PainFlag.NUMBNESS, "my foot is numb", BodyArea.FEET, "Have a doctor", "refused"),
]
ACTIONS = ["stretch", "routine", "heat", "bath", "run tomorrow", "plan"]
WHEN = ["same session", "next day", "after clearing"]


class DeviceWatch:
    """Record every time the heating pad or bath valve switches on."""

    def __init__(self, devices: SimulatedHome) -> None:
        self.switched_on: list[str] = []
        self._lock = threading.Lock()
        for role in (Role.HEATING_PAD, Role.BATH_VALVE):
            device = devices[role]

            def listener(on: bool, role: Role = role) -> None:
                if on:
                    with self._lock:
                        self.switched_on.append(role.value)

            device.on_changed.append(listener)

    def take(self) -> list[str]:
        with self._lock:
            seen, self.switched_on = self.switched_on, []
        return seen


class Home:
    """A bridge with simulated devices on real Mosquitto, and the real skill server beside it."""

    def __init__(self, broker: MosquittoBroker, tmp_path: Path) -> None:
        document = integration_document(broker, tmp_path)
        document["timezone"] = "UTC"
        self.file = tmp_path / "recovery-coach.yaml"
        self.file.write_text(yaml.safe_dump(document))
        self.config = load_config(self.file, env={})
        self.devices = SimulatedHome(self.config, broker.host, broker.port, scale=SCALE)
        self.bridge = Bridge(self.config, ScaledClock(SCALE))
        self.tmp_path = tmp_path

    def start(self) -> None:
        self.devices.start()
        self.bridge.start()
        self.watch = DeviceWatch(self.devices)

    def stop(self) -> None:
        self.bridge.stop()
        self.devices.stop()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Home]:
    broker = MosquittoBroker()
    broker.start()
    place = Home(broker, tmp_path_factory.mktemp("safety"))
    place.start()
    yield place
    place.stop()
    broker.close()


@pytest.fixture(scope="module")
def server(home: Home) -> Iterator[str]:
    yield from start_server(home.tmp_path, "--config", str(home.file), "--no-verify")


class Runner:
    """One runner talking to the real server, on a clock the test moves."""

    def __init__(self, url: str, user: str) -> None:
        self.now = T0
        self.url = url
        self.user = user
        self.model = Recognizer.load("en-US")
        self.new_session()

    def new_session(self, later: timedelta = timedelta(0)) -> None:
        self.now += later
        self.conversation = Conversation(
            self.model,
            http_transport(self.url),
            user_id=self.user,
            clock=lambda: self.now,
        )

    def say(self, phrase: str) -> str:
        body = self.conversation.say(phrase)
        check_response(body)
        self.last = body
        return plain_text(body["response"].get("outputSpeech", {}).get("ssml", ""))


def settle(home: Home) -> list[str]:
    """Let anything in flight reach the devices, then return what switched on."""
    time.sleep(0.15)
    return home.watch.take()


def stop_everything(runner: Runner, home: Home) -> None:
    runner.say("stop the routine")
    runner.say("turn off the heating pad")
    runner.say("stop the bath")
    home.watch.take()


# --- what each action must say while a flag is active, and after it is cleared ---------------


def refused(flag: Flag, action: str, runner: Runner, home: Home) -> None:
    """Ask for the action while the flag holds: the gate's words, and no device switches."""
    if action == "stretch":
        speech = runner.say("stretch with me")
        if flag.stretching == "refused":
            assert speech.startswith("I won't guide stretches while"), speech
        else:
            assert speech.startswith("I've left out the stretches that load your knee."), speech
            title = runner.last["response"]["card"]["title"]
            stretch = next(s for s in LIBRARY.stretches.values() if s.title == title)
            assert BodyArea.KNEES not in stretch.touches, f"{title} loads the knee"
            runner.say("stop")
    elif action == "routine":
        speech = runner.say("start my recovery routine")
        if flag.stretching == "refused":
            assert speech.startswith("I won't start the long-run recovery routine while"), speech
            runner.say("yes")
        else:
            assert speech.startswith("I've left out the heat, the bath"), speech
            assert speech.endswith("Start the long-run recovery routine? It uses stretches.")
            assert runner.say("yes").startswith("I've left out the heat, the bath")
            time.sleep(0.5)
            runner.say("stop the routine")
    elif action == "heat":
        speech = runner.say("turn on the heating pad")
        assert speech.startswith("I won't turn on the heating pad while"), speech
        runner.say("yes")
    elif action == "bath":
        speech = runner.say("draw me an epsom salt bath")
        assert speech.startswith("I won't run a hot bath while"), speech
        runner.say("yes")
    elif action == "run tomorrow":
        speech = runner.say("should I run tomorrow")
        assert speech.startswith("No running while"), speech
        assert "easy run" not in speech
    elif action == "plan":
        speech = runner.say("how should I recover")
        assert speech.startswith(flag.advice), speech
        assert len(speech.split()) < 40
        for padding in ("ibuprofen", "pain reliever", "stretches for your", "Epsom", "heating"):
            assert padding not in speech
        if not runner.last["response"].get("shouldEndSession"):
            for _ in range(12):  # "yes" walks through the tips: never a device offer
                more = runner.say("yes")
                assert "Want me to" not in more and "easy run is fine" not in more
                if "That's everything" in more:
                    break
    assert settle(home) == [], f"a device switched on after {flag.sign} -> {action}"


def allowed(action: str, runner: Runner, home: Home) -> None:
    """Ask for the action once the flag is cleared: it is offered again (and declined)."""
    expected = {
        "stretch": ("stretch with me", "Let's cool down"),
        "routine": ("start my recovery routine", "Start the long-run recovery routine?"),
        "heat": ("turn on the heating pad", "You didn't say how long"),
        "bath": ("draw me an epsom salt bath", "Run an Epsom salt bath at"),
        "run tomorrow": ("should I run tomorrow", ""),
        "plan": ("how should I recover", "Here's"),
    }
    phrase, opening = expected[action]
    speech = runner.say(phrase)
    assert speech.startswith(opening), speech
    assert "No running" not in speech and "I won't" not in speech
    if action in ("routine", "heat", "bath"):
        runner.say("no")
    if action == "stretch":
        runner.say("stop")


@pytest.mark.parametrize("when", WHEN)
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("flag", FLAGS, ids=[f.sign.value for f in FLAGS])
def test_skill_red_flag_scenarios(
    server: str, home: Home, flag: Flag, action: str, when: str
) -> None:
    runner = Runner(f"{server}/alexa", f"amzn1.ask.account.{flag.sign}-{action}-{when}")
    runner.say("I just ran ten miles")
    answer = runner.say(flag.phrase)
    assert answer.startswith(flag.advice), answer
    assert len(answer.split()) < 40, "red-flag replies are short, the action first"
    if when == "same session":
        refused(flag, action, runner, home)
    elif when == "next day":
        runner.new_session(timedelta(days=1))
        # Neither a new run nor a new soreness report clears a red flag.
        runner.say("I ran two miles")
        runner.say("my calves are sore")
        refused(flag, action, runner, home)
    else:
        runner.new_session(timedelta(days=1))
        question = runner.say("the doctor said I can run")
        assert question.startswith("You told me") and question.endswith("Say yes to clear it.")
        assert runner.say("yes").startswith("Glad to hear it. I've cleared")
        runner.new_session(timedelta(hours=1))
        allowed(action, runner, home)
        assert settle(home) == []


def test_a_flag_is_never_forgotten_by_time_and_is_asked_about(server: str, home: Home) -> None:
    runner = Runner(f"{server}/alexa", "amzn1.ask.account.weeks-later")
    runner.say("my ankle is swollen")
    runner.new_session(timedelta(days=10))
    question = runner.say("open recovery coach")
    assert question == (
        "Welcome back to Recovery Coach. 10 days ago you told me your ankle is swollen. "
        "Is that better now?"
    )
    assert runner.say("no").startswith("OK, I'll keep it on record. Have a doctor")
    runner.new_session(timedelta(days=20))
    assert runner.say("should I run tomorrow").startswith("No running while your ankle is swollen")
    assert runner.say("yes").startswith("Glad to hear it. I've cleared your ankle.")
    runner.new_session(timedelta(hours=1))
    assert not runner.say("should I run tomorrow").startswith("No running")


def test_a_flag_reported_after_the_question_stops_the_yes(server: str, home: Home) -> None:
    runner = Runner(f"{server}/alexa", "amzn1.ask.account.question-first")
    assert runner.say("turn on the heating pad for ten minutes").startswith("Turn on the heating")
    runner.say("my ankle is swollen")
    # The question is gone with the new answer; and a yes to it decides again at the gate.
    runner.say("yes")
    assert settle(home) == []


def test_with_nothing_reported_the_doctor_question_lists_the_signs(server: str) -> None:
    runner = Runner(f"{server}/alexa", "amzn1.ask.account.no-symptoms")
    speech = runner.say("when should I see a doctor")
    assert speech.startswith("Call emergency services for chest pain or fainting.")
    assert "Please get medical care today" not in speech
    rest = runner.say("what about rest days")
    assert "You're very sore" not in rest


# --- the bridge's own routine runner ------------------------------------------------------------


@pytest.fixture
def bridge_home(mosquitto: MosquittoBroker, tmp_path: Path) -> Iterator[tuple[Home, Spy]]:
    place = Home(mosquitto, tmp_path)
    place.start()
    spy = Spy(
        mosquitto,
        "hermes/tts/say",
        "recovery/test_home/state",
        "recovery/test_home/response/#",
        "recovery/test_home/health/+",
    )
    try:
        _wait_for_bridge(spy)
        yield place, spy
    finally:
        # Always: a bridge and plug left running would answer for the next tests' devices.
        # The broker outlives the test: clear every retained health state it left, so the next
        # bridge on it starts clean (a swollen ankle once refused the next module's heat).
        for topic in {t for t, _, _ in spy.messages if "/health/" in t}:
            spy.publish(topic, "", retain=True)
        spy.stop()
        place.stop()


def _wait_for_bridge(spy: Spy) -> None:
    """Ask for status until the bridge answers: then its subscriptions are live."""
    # A request published before the bridge subscribed is lost, so ask again until answered;
    # one SUBSCRIBE carries every topic, so an answer means health and HA commands arrive too.
    for _ in range(40):
        spy.publish("recovery/test_home/request/status", json.dumps({"transaction": "ready"}))
        if wait_until(lambda: spy.on("recovery/test_home/response/status"), 0.5):
            return
    raise AssertionError("the bridge never answered a status request")


def said(spy: Spy) -> list[str]:
    return [json.loads(payload)["text"] for payload in spy.on("hermes/tts/say")]


def publish_health(spy: Spy, runner: str, state: HealthState) -> None:
    spy.publish(f"recovery/test_home/health/{runner}", json.dumps(state.to_dict()), retain=True)


def routine_status(spy: Spy) -> Callable[[], Any]:
    def status() -> Any:
        states = spy.on("recovery/test_home/state")
        return json.loads(states[-1]).get("routine") if states else None

    return status


@pytest.mark.parametrize("flag", FLAGS, ids=[f.sign.value for f in FLAGS])
def test_bridge_gates_home_assistant_routines_and_heat(
    bridge_home: tuple[Home, Spy], flag: Flag
) -> None:
    place, spy = bridge_home
    state = HealthState().report([flag.sign], flag.area, T0)
    # Set retained (as the skill does); a runner's flags apply to anything started from HA.
    publish_health(spy, "runner-a", state)
    time.sleep(0.2)
    spy.publish("recovery/test_home/ha/routine/set", "long_run_recovery")
    spy.publish("recovery/test_home/ha/heat/set", "ON")
    spy.publish("recovery/test_home/ha/bath/set", "OPEN")
    expected = "I've left out the heat, the bath" if flag.stretching == "trimmed" else "I won't"
    assert wait_until(lambda: any(s.startswith(expected) for s in said(spy))), said(spy)
    assert wait_until(
        lambda: any(s.startswith("I won't turn on the heating pad while") for s in said(spy))
    )
    assert wait_until(lambda: any(s.startswith("I won't run a hot bath while") for s in said(spy)))
    time.sleep(1.5)  # 90 s of routine at 60x: stretches only, never heat or water
    assert settle(place) == []
    spy.publish("recovery/test_home/ha/routine/set", "NONE")
    # Cleared: the same Home Assistant switch works again.
    cleared, _ = state.clear(T0 + timedelta(days=1))
    publish_health(spy, "runner-a", cleared)
    time.sleep(0.2)
    spy.publish("recovery/test_home/ha/heat/set", "ON")
    assert wait_until(lambda: place.devices[Role.HEATING_PAD].on)
    spy.publish("recovery/test_home/ha/heat/set", "OFF")
    assert wait_until(lambda: not place.devices[Role.HEATING_PAD].on)


def test_a_flag_reported_mid_routine_stops_its_heat_and_skips_the_rest(
    bridge_home: tuple[Home, Spy],
) -> None:
    place, spy = bridge_home
    spy.publish("recovery/test_home/ha/routine/set", "sore_calves")
    # Two calf stretches (~3.5 min, 3.5 s at 60x), then 15 minutes of heat.
    # The simulator sets `on` before it tells its listeners: wait for the recorded ON itself.
    assert wait_until(lambda: "heating_pad" in place.watch.switched_on, timeout=15)
    assert place.watch.take() == ["heating_pad"]
    swollen = HealthState().report([PainFlag.SWELLING], BodyArea.ANKLES, T0)
    publish_health(spy, "runner-b", swollen)
    assert wait_until(lambda: not place.devices[Role.HEATING_PAD].on)
    assert wait_until(
        lambda: (
            "I've switched off the heating pad: heat can make fresh swelling worse. An ice "
            "pack suits a fresh, tender spot." in said(spy)
        )
    )
    assert wait_until(lambda: (routine_status(spy)() or {}).get("status") == "finished")
    assert "Heat's done." not in said(spy), "what needed the heat was skipped too"
    assert settle(place) == []
