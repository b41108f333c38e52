"""A cold start that answers "how should I recover" imports nothing that answer never needs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from envelopes import intent

ROOT = Path(__file__).resolve().parent.parent
# Certificates (request verification), MQTT (a home), the console's grammar, the strict config
# and reply models (pydantic: a config file, a home's answer), urllib (nothing is fetched) and,
# for Lambda, the web framework: none of them plays any part in answering GetRecoveryPlan.
NOT_FOR_ANY = ("cryptography", "paho", "hassil", "pydantic", "pydantic_core")
NOT_FOR_LAMBDA = (*NOT_FOR_ANY, "flask", "werkzeug", "jinja2", "waitress")
NOT_FOR_SERVE = NOT_FOR_ANY

LAMBDA = """
import json, sys
from skill.lambda_function import lambda_handler
reply = lambda_handler(json.loads(sys.argv[1]), None)
assert "outputSpeech" in reply["response"], reply
print(json.dumps(sorted(sys.modules)))
"""

SERVE = """
import json, sys
from pathlib import Path
from skill.settings import Settings
from skill.web import create_app
app = create_app(Settings(database=Path(sys.argv[2]), verify_requests=False))
reply = app.test_client().post("/alexa", json=json.loads(sys.argv[1]))
assert reply.status_code == 200 and "outputSpeech" in reply.json["response"], reply.data
print(json.dumps(sorted(sys.modules)))
"""


def imported_by(source: str, database: Path) -> set[str]:
    """Run `source` in a fresh interpreter answering GetRecoveryPlan; return its top packages."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("RECOVERY_COACH_")}
    environment["RECOVERY_COACH_DATABASE"] = str(database)
    event = json.dumps(intent("GetRecoveryPlanIntent", datetime.now(UTC)))
    output = subprocess.run(
        [sys.executable, "-c", source, event, str(database)],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {name.split(".")[0] for name in json.loads(output.splitlines()[-1])}


@pytest.mark.parametrize(
    ("source", "unwanted"),
    [(LAMBDA, NOT_FOR_LAMBDA), (SERVE, NOT_FOR_SERVE)],
    ids=["lambda", "serve"],
)
def test_a_recovery_plan_cold_start_imports_only_what_it_needs(
    tmp_path: Path, source: str, unwanted: tuple[str, ...]
) -> None:
    assert imported_by(source, tmp_path / "cold.sqlite3") & set(unwanted) == set()
