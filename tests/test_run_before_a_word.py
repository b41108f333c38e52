"""Issue #14's promise end to end: drop a FIT file in the watch's sync folder, ask how to
recover, and hear a plan for that run without a word about it (real processes, real HTTP)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from activity_file_support import Run, fit_bytes, write
from envelopes import intent
from server_support import start_server

from skill.conversation import plain_text

USER = "amzn1.ask.account.WATCHER"


def test_a_fit_file_in_the_sync_folder_is_the_run_the_plan_is_for(tmp_path: Path) -> None:
    folder = tmp_path / "GarminSync"
    folder.mkdir()
    config = tmp_path / "recovery-coach.yaml"
    config.write_text(
        f"database: {tmp_path / 'skill.sqlite3'}\ntimezone: Europe/London\n"
        f"runners:\n  alex:\n    user_id: {USER}\n    rest_bpm: 50\n    max_bpm: 185\n"
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith("RECOVERY_")}
    env["RECOVERY_COACH_CONFIG"] = str(config)
    env["RECOVERY_COACH_DATABASE"] = str(tmp_path / "skill.sqlite3")
    watch = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "recovery-coach"),
            *("import", "--user", "alex", "--watch", str(folder), "--interval", "0.2"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    # 3.0 m/s for 50 minutes: a 9 km run, finished two hours ago.
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2, minutes=50)
    try:
        write(folder / "morning.fit", fit_bytes(Run(start=start, minutes=50)))
        assert watch.stdout is not None
        added = watch.stdout.readline()
        assert added.startswith("added ") and "from morning.fit" in added, added
    finally:
        watch.terminate()
        watch.communicate(timeout=60)
    with contextmanager(start_server)(tmp_path, "--no-verify", env=env) as base:
        payload = intent("GetRecoveryPlanIntent", datetime.now(UTC), user_id=USER, locale="en-GB")
        request = urllib.request.Request(
            f"{base}/alexa",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as reply:
            speech = plain_text(json.load(reply)["response"]["outputSpeech"]["ssml"])
    assert "after your 9 kilometre run" in speech and ", 50 minutes" in speech, speech
