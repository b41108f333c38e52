"""HomeAccess and home speech at their seams: a recording requester, no broker."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from skill_support import home_state

from mqtt_bridge.errors import BridgeError, NoAnswer
from mqtt_bridge.reply_types import BAD_REPLY, HeatStarted
from mqtt_bridge.safety import SafetyLimits
from skill import home_speech
from skill.home import BRIDGE_OFFLINE, NO_ANSWER, HomeAccess, Outcome


@dataclass
class Requester:
    replies: list[dict[str, Any]] = field(default_factory=list)
    online: str | None = "online"
    calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    fail: bool = False

    def availability(self, home: str) -> str | None:
        return self.online

    def request(
        self, home: str, verb: str, params: dict[str, Any] | None = None, timeout: float = 5.0
    ) -> dict[str, Any]:
        self.calls.append((home, verb, params or {}))
        if self.fail:
            raise BridgeError("the home bridge did not answer")
        return self.replies.pop(0)

    def publish_health(self, home: str, runner: str, health: dict[str, Any]) -> None:
        if self.fail:
            raise BridgeError("not connected to the MQTT broker")
        self.calls.append((home, f"health/{runner}", health))


def access(requester: Requester, **kw: Any) -> HomeAccess:
    options: dict[str, Any] = {
        "default_home": "flat",
        "user_homes": {"amzn1.alice": "cottage"},
        "safety": SafetyLimits(),
        "timeout_s": 2.0,
    }
    options.update(kw)
    return HomeAccess(requester, **options)


def test_users_map_to_their_home_else_the_default() -> None:
    home = access(Requester())
    assert home.home_for("amzn1.alice") == "cottage"
    assert home.home_for("amzn1.bob") == "flat"
    assert access(Requester(), default_home=None).home_for("amzn1.bob") is None


def test_offline_bridge_is_not_asked() -> None:
    requester = Requester(online="offline")
    outcome = access(requester).request("flat", "heat/start", {"minutes": 5})
    assert outcome == Outcome(False, code=BRIDGE_OFFLINE, error="your home bridge is offline")
    assert requester.calls == []


def test_silent_bridge_is_reported_not_hidden() -> None:
    outcome = access(Requester(fail=True)).request("flat", "status")
    assert not outcome.ok and outcome.code == BRIDGE_OFFLINE
    assert home_speech.failure("check your home", outcome) == (
        "I couldn't check your home: I can't reach your home right now. Nothing was changed."
    )


def test_replies_become_outcomes() -> None:
    requester = Requester(
        replies=[
            {"status": "ok", "data": heat_started(minutes=20)},
            {
                "status": "error",
                "code": "refused",
                "rule": "quiet_hours",
                "error": "it's quiet hours",
            },
        ]
    )
    first = access(requester).request("flat", "heat/start")
    second = access(requester).request("flat", "heat/start")
    assert first.ok and isinstance(first.data, HeatStarted) and first.data.minutes == 20
    assert (second.code, second.rule, second.error) == (
        "refused",
        "quiet_hours",
        "it's quiet hours",
    )


def test_times_are_said_in_the_homes_zone_and_locale() -> None:
    london = ZoneInfo("Europe/London")
    moment = datetime(2026, 7, 1, 19, 35, tzinfo=UTC)
    assert home_speech.clock_time(moment, london, "en-GB") == "20:35"
    assert home_speech.clock_time(moment, london, "en-US") == "8:35 PM"


def test_status_sentences() -> None:
    state = home_state(
        heat={"running": True, "remaining_min": 1, "ends_at": "2026-07-01T19:35:00+00:00"},
        bath={"status": "filling", "target_c": 38.5, "remaining_min": 4},
        devices={
            "thermo": {"role": "bath_temperature", "temperature_c": 36.24, "online": True},
            "floor_leak": {"role": "leak_sensor", "online": False},
        },
    )
    zone = ZoneInfo("UTC")
    assert home_speech.describe_running(state, zone, "en-GB") == (
        "The heating pad is on, with 1 minute left. It switches off at 19:35. "
        "Your bath is filling to 38.5 degrees, ready in about 4 minutes. The water is at 36.2 "
        "degrees. Offline right now: floor leak."
    )


def test_health_is_shared_under_a_runner_id_that_hides_the_user_id() -> None:
    from routines import BodyArea, PainFlag
    from routines.health import HealthState
    from skill.home import runner_id

    requester = Requester()
    state = HealthState().report([PainFlag.SWELLING], BodyArea.ANKLES, datetime.now(UTC))
    runner = runner_id("amzn1.ask.account.SECRET")
    assert "SECRET" not in runner and runner == runner_id("amzn1.ask.account.SECRET")
    assert access(requester).share_health("flat", runner, state) is True
    assert requester.calls == [("flat", f"health/{runner}", state.to_dict())]
    assert access(Requester(fail=True)).share_health("flat", runner, state) is False


@dataclass
class SilentRequester(Requester):
    """A bridge that never answers: the client has sent `undo` to be sure."""

    undo: str | None = None

    def request(
        self, home: str, verb: str, params: dict[str, Any] | None = None, timeout: float = 5.0
    ) -> dict[str, Any]:
        self.calls.append((home, verb, params or {}))
        raise NoAnswer("the home bridge did not answer", self.undo)


def test_no_answer_to_a_start_says_it_was_stopped_never_nothing_changed() -> None:
    outcome = access(SilentRequester(undo="heat/stop")).request("flat", "heat/start", {})
    assert outcome.code == NO_ANSWER and outcome.undo == "heat/stop"
    speech = home_speech.failure("turn on the heating pad", outcome)
    assert speech == (
        "I couldn't turn on the heating pad: your home didn't answer in time. "
        "I've told it to stop, so nothing will start later."
    )
    assert "Nothing was changed" not in speech


def test_no_answer_to_a_stop_does_not_claim_anything() -> None:
    outcome = access(SilentRequester()).request("flat", "heat/stop", {})
    speech = home_speech.failure("switch off the heating pad", outcome)
    assert speech == "I couldn't switch off the heating pad: your home didn't answer in time."


def test_unconfirmed_bath_states_are_said_as_such() -> None:
    closing = home_state(bath={"status": "closing"})
    assert "hasn't confirmed" in home_speech.describe_bath(closing)
    assert "hasn't confirmed" in home_speech.describe_bath(home_state(bath={"status": "stopping"}))
    heat = home_state(heat={"running": True, "stopping": True, "ends_at": None})
    assert "switching it off" in home_speech.describe_heat(heat, ZoneInfo("UTC"), "en-US")


def test_a_reply_that_does_not_fit_its_verb_is_an_honest_failure_and_undone() -> None:
    # A bridge of another version (or a broken one) says ok with data the skill cannot read: the
    # pad may be on, so the skill must not guess, must not crash, and must stop what it asked.
    requester = Requester(
        replies=[{"status": "ok", "data": {"minutes": "twenty"}}, {"status": "ok", "data": {}}]
    )
    outcome = access(requester).request("flat", "heat/start", {"minutes": 20})
    assert not outcome.ok and outcome.code == BAD_REPLY
    assert outcome.undo == "heat/stop"
    assert [verb for _, verb, _ in requester.calls] == ["heat/start", "heat/stop"]
    speech = home_speech.failure("turn on the heating pad", outcome)
    assert speech.startswith("I couldn't turn on the heating pad: your home's answer")
    assert "I've told it to stop" in speech and "Nothing was changed" not in speech


def heat_started(**data: Any) -> dict[str, Any]:
    """Return a heat/start reply's data as the bridge sends it."""
    return {
        "device": "pad",
        "minutes": 20,
        "ends_at": "2026-07-01T19:35:00+00:00",
        "limited": False,
        "max_minutes": 20,
        "device_auto_off": True,
        **data,
    }


def test_replies_are_typed_once_at_the_edge() -> None:
    requester = Requester(
        replies=[
            {
                "transaction": "t",
                "status": "ok",
                "data": {**heat_started(minutes=20), "from_a_newer_bridge": 1},
            }
        ]
    )
    outcome = access(requester).request("flat", "heat/start", {"minutes": 20})
    assert isinstance(outcome.data, HeatStarted)
    assert outcome.data.ends_at == datetime(2026, 7, 1, 19, 35, tzinfo=UTC)
