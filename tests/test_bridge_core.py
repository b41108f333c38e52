"""The bridge's pure core with a fake clock: timers, interlocks, confirmations, recovery."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from bridge_support import PAD_OFF, CoreHarness, pad_on, pad_switch

from mqtt_bridge.core import BridgeCore
from mqtt_bridge.store import Timer, TimerStore


@pytest.fixture
def home(tmp_path: Path) -> CoreHarness:
    return CoreHarness(tmp_path)


def commands(home: CoreHarness) -> list[tuple[str, str]]:
    return [(m.topic, m.payload) for m in home.to("cmnd/heatpad/")]


# --- heat ------------------------------------------------------------------------------------


def test_heat_start_sets_pulsetime_before_on_and_waits_for_the_plug(home: CoreHarness) -> None:
    home.clear()
    home.request("heat/start", transaction="t1")
    assert commands(home) == [pad_on(1300)]
    assert home.replies("heat/start") == [], "no OK before the device confirms"
    home.pad("ON")
    (reply,) = home.replies("heat/start")
    assert reply["status"] == "ok" and reply["transaction"] == "t1"
    assert reply["data"]["minutes"] == 20 and reply["data"]["limited"] is False
    assert reply["data"]["ends_at"] == "2026-11-23T18:20:00+00:00"
    assert [t.device for t in home.store.timers()] == ["heating_pad"]


def test_heat_over_the_limit_is_cut_to_the_limit(home: CoreHarness) -> None:
    home.request("heat/start", minutes=45, transaction="t")
    home.pad("ON")
    data = home.replies("heat/start")[0]["data"]
    assert data["minutes"] == 20 and data["limited"] is True and data["max_minutes"] == 20


def test_configured_limit_cannot_exceed_the_ceiling(tmp_path: Path) -> None:
    from mqtt_bridge.errors import ConfigError

    with pytest.raises(ConfigError, match=r"safety\.heat\.max_minutes"):
        CoreHarness(tmp_path, safety={"heat": {"max_minutes": 90}})


def test_heat_is_switched_off_at_its_deadline_and_retried_until_confirmed(
    home: CoreHarness,
) -> None:
    home.request("heat/start", minutes=10)
    home.pad("ON")
    home.clear()
    home.advance(9 * 60 + 59)
    assert commands(home) == []
    home.advance(1)
    assert PAD_OFF in commands(home)
    home.clear()
    home.advance(10)
    assert PAD_OFF in commands(home), "OFF is retried"
    home.pad("OFF")
    assert home.store.timers() == []
    assert "Your heating pad session is over." in home.said()
    home.clear()
    home.advance(60)
    assert commands(home) == []


def test_unconfirmed_heat_start_is_an_honest_error_and_the_plug_is_switched_off(
    home: CoreHarness,
) -> None:
    home.request("heat/start", transaction="t2")
    home.clear()
    home.advance(2.9)
    assert home.replies("heat/start") == []
    home.advance(0.2)
    (reply,) = home.replies("heat/start")
    assert reply == {
        "transaction": "t2",
        "status": "error",
        "error": "the heating pad did not answer",
        "code": "device_timeout",
    }
    assert PAD_OFF in commands(home)
    (retry,) = home.store.timers()
    assert retry.detail["expired"], "no session left; only the OFF retry until the pad confirms"
    home.pad("OFF")
    assert home.store.timers() == []


def test_offline_pad_is_reported_without_sending_anything(home: CoreHarness) -> None:
    home.raw("tele/heatpad/LWT", "Offline")
    home.clear()
    home.request("heat/start", transaction="t3")
    assert commands(home) == []
    reply = home.replies("heat/start")[0]
    assert reply["code"] == "device_offline" and reply["error"] == "the heating pad is offline"


def test_heat_stop_confirms_and_starts_the_rest_gap(home: CoreHarness) -> None:
    home.request("heat/start")
    home.pad("ON")
    home.request("heat/stop", transaction="s")
    assert home.replies("heat/stop") == []
    home.pad("OFF")
    assert home.replies("heat/stop")[0]["data"] == {"was_on": True}
    home.advance(60)
    home.request("heat/start", transaction="again")
    refused = home.replies("heat/start")[-1]
    assert refused["code"] == "refused" and "10 minute break" in refused["error"]
    assert "try again in 9 minutes" in refused["error"]
    home.advance(9 * 60)
    home.request("heat/start", transaction="later")
    home.pad("ON")
    assert home.replies("heat/start")[-1]["status"] == "ok"


def test_stopping_a_pad_that_is_off_says_so(home: CoreHarness) -> None:
    home.pad("OFF")
    home.request("heat/stop", transaction="x")
    assert home.replies("heat/stop")[0]["data"] == {"was_on": False}


def test_renewing_never_extends_a_session_past_its_limit(home: CoreHarness) -> None:
    home.request("heat/start", minutes=20)
    home.pad("ON")
    home.advance(15 * 60)
    home.request("heat/start", minutes=20, transaction="renew")
    home.pad("ON")
    data = home.replies("heat/start")[-1]["data"]
    assert data["ends_at"] == "2026-11-23T18:20:00+00:00"
    assert data["limited"] is True
    assert pad_on(400) in commands(home)  # 300 s + 100


@pytest.mark.parametrize("local", ["23:30", "02:00", "06:59"])
def test_quiet_hours_refuse_heat_unless_confirmed(tmp_path: Path, local: str) -> None:
    hour, minute = map(int, local.split(":"))
    start = datetime(2026, 11, 23, hour, minute, tzinfo=UTC)
    home = CoreHarness(tmp_path, start=start)
    home.request("heat/start", transaction="night")
    refused = home.replies("heat/start")[0]
    assert refused["code"] == "refused" and "quiet hours (22:00 to 07:00)" in refused["error"]
    assert refused["rule"] == "quiet_hours"
    home.request("heat/start", transaction="sure", confirm_quiet_hours=True)
    home.pad("ON")
    assert home.replies("heat/start")[-1]["status"] == "ok"


def test_quiet_hours_follow_the_home_time_zone(tmp_path: Path) -> None:
    # 21:30 UTC is 08:30 in Sydney: not quiet there.
    home = CoreHarness(
        tmp_path, start=datetime(2026, 11, 23, 21, 30, tzinfo=UTC), timezone="Australia/Sydney"
    )
    home.request("heat/start", transaction="t")
    home.pad("ON")
    assert home.replies("heat/start")[0]["status"] == "ok"


def test_pad_found_on_without_a_timer_is_switched_off(home: CoreHarness) -> None:
    home.clear()
    home.pad("ON")
    assert PAD_OFF in commands(home)


# --- restarts --------------------------------------------------------------------------------


def test_restart_after_the_deadline_switches_off_at_once(tmp_path: Path) -> None:
    home = CoreHarness(tmp_path)
    home.request("heat/start", minutes=5)
    home.pad("ON")
    # The bridge dies; a new one starts ten minutes later from the same database.
    later = home.now + timedelta(minutes=10)
    fresh = BridgeCore(home.config, TimerStore(home.config.database))
    out = fresh.start(later)
    assert PAD_OFF in [(m.topic, m.payload) for m in out]


def test_restart_before_the_deadline_keeps_the_timer(tmp_path: Path) -> None:
    home = CoreHarness(tmp_path)
    home.request("heat/start", minutes=20)
    home.pad("ON")
    later = home.now + timedelta(minutes=5)
    fresh = BridgeCore(home.config, TimerStore(home.config.database))
    assert [m for m in fresh.start(later) if m.topic.startswith("cmnd/")] == []
    fresh.connected(later)
    out = fresh.message("stat/heatpad/POWER", b"ON", later)
    assert not [m for m in out if m.payload == "OFF"], "a pad on under a live timer stays on"
    out = fresh.tick(home.now + timedelta(minutes=20))
    assert PAD_OFF in [(m.topic, m.payload) for m in out]


def test_shutdown_switches_everything_off_and_expires_the_timers(home: CoreHarness) -> None:
    home.request("heat/start")
    home.pad("ON")
    out = home.core.shutdown(home.now)
    assert PAD_OFF in [(m.topic, m.payload) for m in out]
    availability = [m for m in out if m.topic == "recovery/test_home/availability"]
    assert availability[0].payload == "offline" and availability[0].retain
    assert home.store.timers()[0].deadline == home.now


# --- the protocol ----------------------------------------------------------------------------


def test_duplicate_transactions_are_answered_without_acting_twice(home: CoreHarness) -> None:
    home.clear()
    home.request("heat/start", transaction="dup")
    home.request("heat/start", transaction="dup")  # still in flight: ignored
    home.pad("ON")
    home.request("heat/start", transaction="dup")  # answered: the same answer again
    on_commands = [m for m in home.to("cmnd/heatpad/") if pad_switch(m) == "ON"]
    assert len(on_commands) == 1
    replies = home.replies("heat/start")
    assert len(replies) == 2 and replies[0] == replies[1]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"{not json", "JSON object"),
        (b"[1,2]", "JSON object"),
        (b'{"minutes": "ten", "transaction": "m"}', "minutes must be a number"),
        (b'{"minutes": -5, "transaction": "m"}', "more than zero"),
        (b'{"minutes": 5, "colour": "red", "transaction": "m"}', "unknown parameter 'colour'"),
        (b'{"transaction": true}', "transaction must be a string"),
        (b'{"confirm_quiet_hours": "yes", "transaction": "m"}', "true or false"),
    ],
)
def test_malformed_requests_get_an_error_reply(
    home: CoreHarness, payload: bytes, message: str
) -> None:
    home.clear()
    home.raw("recovery/test_home/request/heat/start", payload)
    (reply,) = home.replies("heat/start")
    assert reply["status"] == "error" and reply["code"] == "invalid_request"
    assert message in reply["error"]
    assert commands(home) == []


def test_unknown_verbs_are_answered_on_the_error_topic(home: CoreHarness) -> None:
    home.raw("recovery/test_home/request/launch/rocket", b'{"transaction": "r"}')
    (reply,) = home.replies("error")
    assert reply["code"] == "unknown_verb" and reply["transaction"] == "r"


def test_status_reports_devices_and_timers(home: CoreHarness) -> None:
    home.request("heat/start", minutes=15)
    home.pad("ON")
    home.advance(60)
    home.request("status", transaction="st")
    data = home.replies("status")[0]["data"]
    assert data["heat"] == {
        "running": True,
        "stopping": False,
        "ends_at": "2026-11-23T18:15:00+00:00",
        "remaining_min": 14,
    }
    assert data["devices"]["heating_pad"]["on"] is True
    assert data["timers"][0]["device"] == "heating_pad"


def test_state_is_retained_and_refreshed_while_timers_run(home: CoreHarness) -> None:
    home.request("heat/start", minutes=15)
    home.pad("ON")
    home.clear()
    home.advance(31)
    states = [m for m in home.sent if m.topic == "recovery/test_home/state"]
    assert states and states[-1].retain
    assert json.loads(states[-1].payload)["heat"]["remaining_min"] == 15


# --- bath ------------------------------------------------------------------------------------


def valve_commands(home: CoreHarness) -> list[dict[str, object]]:
    requests = [json.loads(m.payload) for m in home.to("shellyplus1-bath/rpc")]
    return [r["params"] for r in requests if r["method"] == "Switch.Set"]


def test_bath_waits_for_the_leak_sensor(home: CoreHarness) -> None:
    home.request("bath/fill", transaction="b")
    reply = home.replies("bath/fill")[0]
    assert reply["code"] == "device_offline" and "hasn't reported" in reply["error"]
    home.leak(True)
    home.request("bath/fill", transaction="b2")
    assert "leak sensor is wet" in home.replies("bath/fill")[-1]["error"]
    assert valve_commands(home) == []


def test_bath_fills_for_volume_over_flow_and_is_announced_ready(home: CoreHarness) -> None:
    home.leak(False)
    home.clear()
    home.request("bath/fill", transaction="b", temperature_c=39, epsom=True)
    assert valve_commands(home) == [{"id": 0, "on": True, "toggle_after": 600}]
    home.valve(True)
    data = home.replies("bath/fill")[0]["data"]
    assert data["target_c"] == 39 and data["fill_minutes"] == 10.0
    assert data["epsom"] == {"grams": 500, "cups": 2}
    home.temperature(38.6)
    home.advance(600)
    assert valve_commands(home)[-1] == {"id": 0, "on": False}
    assert home.said() == [], "not ready until the valve confirms it closed"
    home.valve(False)
    assert (
        "Your bath is ready, at 38.6 degrees. Add about two cups of Epsom salt and stir."
        in home.said()
    )
    assert home.store.timers() == []


@pytest.mark.parametrize(
    ("temperature", "message"),
    [(45, "too hot: the limit is 40 degrees"), (30, "too cool"), ("hot", "must be a number")],
)
def test_bath_temperatures_outside_the_limits_are_refused(
    home: CoreHarness, temperature: object, message: str
) -> None:
    home.leak(False)
    home.request("bath/fill", transaction="b", temperature_c=temperature)
    reply = home.replies("bath/fill")[0]
    assert reply["status"] == "error" and message in reply["error"]


def test_over_temperature_closes_the_valve(home: CoreHarness) -> None:
    home.leak(False)
    home.request("bath/fill", transaction="b", temperature_c=38.5)
    home.valve(True)
    home.temperature(39.4)
    assert valve_commands(home)[-1]["on"] is True
    home.temperature(39.6)
    assert valve_commands(home)[-1] == {"id": 0, "on": False}
    assert "too hot" in home.said()[-1]
    home.request("status", transaction="s")
    assert home.replies("status")[0]["data"]["bath"]["status"] == "too_hot"


def test_leak_during_filling_closes_the_valve(home: CoreHarness) -> None:
    home.leak(False)
    home.request("bath/fill", transaction="b")
    home.valve(True)
    home.leak(True)
    assert valve_commands(home)[-1] == {"id": 0, "on": False}
    assert "leak sensor is wet" in home.said()[-1]


def test_a_second_fill_is_refused_while_filling(home: CoreHarness) -> None:
    home.leak(False)
    home.request("bath/fill", transaction="b")
    home.valve(True)
    home.request("bath/fill", transaction="b2")
    assert home.replies("bath/fill")[-1]["code"] == "busy"


def test_bath_stop_closes_and_confirms(home: CoreHarness) -> None:
    home.leak(False)
    home.request("bath/fill", transaction="b")
    home.valve(True)
    home.request("bath/stop", transaction="stop")
    assert valve_commands(home)[-1] == {"id": 0, "on": False}
    home.valve(False)
    assert home.replies("bath/stop")[0]["data"] == {"was_filling": True}


def test_bath_level_sensor_ends_the_fill(tmp_path: Path) -> None:
    from bridge_support import HOME

    devices = dict(HOME["devices"])
    devices["tub_level"] = {
        "role": "bath_level",
        "adapter": {"type": "zigbee2mqtt", "friendly_name": "tub_level"},
    }
    home = CoreHarness(tmp_path, devices=devices)
    home.leak(False)
    home.request("bath/fill", transaction="b")
    home.valve(True)
    home.raw("zigbee2mqtt/tub_level", json.dumps({"water_leak": True}))
    assert valve_commands(home)[-1] == {"id": 0, "on": False}
    home.valve(False)
    assert home.said()[-1].startswith("Your bath is ready")


# --- speaker ---------------------------------------------------------------------------------


def test_announcements_wait_for_say_finished(home: CoreHarness) -> None:
    home.request("announce", transaction="a", text="Time to stretch")
    (say,) = [json.loads(m.payload) for m in home.sent if m.topic == "hermes/tts/say"]
    assert say["text"] == "Time to stretch" and say["siteId"] == "bathroom"
    assert home.replies("announce") == []
    home.raw("hermes/tts/sayFinished", json.dumps({"id": "other", "siteId": "kitchen"}))
    assert home.replies("announce") == []
    home.raw("hermes/tts/sayFinished", json.dumps({"id": say["id"], "siteId": "bathroom"}))
    assert home.replies("announce")[0]["data"]["confirmed"] is True


def test_silent_speaker_is_an_error(home: CoreHarness) -> None:
    home.request("announce", transaction="a", text="Hello")
    home.advance(10)
    reply = home.replies("announce")[0]
    assert reply["code"] == "device_timeout" and reply["error"] == "the speaker did not answer"


def test_missing_device_is_not_configured(tmp_path: Path) -> None:
    home = CoreHarness(tmp_path, devices={})
    home.request("heat/start", transaction="h")
    home.request("announce", transaction="a", text="hi")
    assert home.replies("heat/start")[0]["code"] == "not_configured"
    assert home.replies("announce")[0]["error"] == "no speaker is set up"


# --- Home Assistant ------------------------------------------------------------------------


def test_home_assistant_switch_and_button_drive_the_bridge(home: CoreHarness) -> None:
    home.clear()
    home.raw("recovery/test_home/ha/heat/set", "ON")
    assert [m for m in home.to("cmnd/heatpad/") if pad_switch(m) == "ON"]
    home.pad("ON")
    home.raw("recovery/test_home/ha/stop_all/press", "PRESS")
    assert PAD_OFF in commands(home)


def test_timer_store_round_trip(tmp_path: Path) -> None:
    store = TimerStore(tmp_path / "t.sqlite3")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    store.put(Timer("pad", "heat", now, now + timedelta(minutes=20), {"a": 1}))
    store.put_time("last_heat_end", now)
    again = TimerStore(tmp_path / "t.sqlite3")
    assert again.timers() == [Timer("pad", "heat", now, now + timedelta(minutes=20), {"a": 1})]
    assert again.get_time("last_heat_end") == now
    again.delete("pad")
    assert again.timers() == []


def test_waits_for_devices_are_real_time_under_a_scaled_clock(tmp_path: Path) -> None:
    # At 60x, 3 real seconds for the plug to answer are 180 clock seconds.
    home = CoreHarness(tmp_path)
    home.core.time_scale = 60
    home.request("heat/start", transaction="t")
    home.advance(170)
    assert home.replies("heat/start") == []
    home.pad("ON")
    assert home.replies("heat/start")[0]["status"] == "ok"


# --- Tasmota: ON counts only with its PulseTime confirmed -------------------------------------


def pulse_reply(home: CoreHarness, value: int) -> None:
    reply = {"PulseTime1": {"Set": value, "Remaining": value}}
    home.raw("stat/heatpad/RESULT", json.dumps(reply))


def test_a_plug_on_without_its_pulsetime_reply_is_not_confirmed(home: CoreHarness) -> None:
    home.clear()
    home.request("heat/start", minutes=20, transaction="t")
    home.raw("stat/heatpad/POWER", "ON")  # ON, but no word that its auto-off is set
    assert home.replies("heat/start") == [], "not 'on' for the user yet"
    home.advance(home.config.safety.confirm_timeout_s)
    (reply,) = home.replies("heat/start")
    assert reply["status"] == "error" and reply["code"] == "device_timeout"
    assert reply["error"] == (
        "the heating pad switched on but did not confirm its own auto-off timer, "
        "so I've switched it off"
    )
    assert PAD_OFF in commands(home)


def test_the_pulsetime_reply_may_come_before_or_after_the_on(tmp_path: Path) -> None:
    home = CoreHarness(tmp_path, safety={"heat": {"min_gap_minutes": 0}})
    home.request("heat/start", minutes=20, transaction="before")
    pulse_reply(home, 1300)
    assert home.replies("heat/start") == []
    home.raw("stat/heatpad/RESULT", '{"POWER1":"ON"}')
    assert home.replies("heat/start")[0]["status"] == "ok"
    home.request("heat/stop", transaction="stop")
    home.pad("OFF")
    home.clear()
    home.request("heat/start", minutes=20, transaction="after")
    home.raw("stat/heatpad/POWER", "ON")
    pulse_reply(home, 0)  # the stop's own clearing, answered late: not this start's answer
    assert home.replies("heat/start") == []
    pulse_reply(home, 1300)
    assert home.replies("heat/start")[0]["status"] == "ok"


def test_a_plug_that_holds_another_pulsetime_is_switched_off_at_once(home: CoreHarness) -> None:
    home.clear()
    home.request("heat/start", minutes=20, transaction="t")
    pulse_reply(home, 3700)  # an hour: past the session's deadline
    home.raw("stat/heatpad/POWER", "ON")
    (reply,) = home.replies("heat/start")
    assert reply["status"] == "error"
    assert reply["error"] == (
        "the heating pad did not take its own auto-off timer, so I've switched it off"
    )
    assert PAD_OFF in commands(home)
    (timer,) = home.store.timers()
    assert timer.detail["expired"] is True, "OFF is retried until the plug confirms it"
