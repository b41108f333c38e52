"""Measure how well the skill understands the phrasing corpus, per intent (issue #11).

Two paths hear each corpus text:

- virtual-alexa: virtual-alexa 0.7.8 (npm, in node/), built from the real interaction model file of
  the locale, says the text to the real skill server (`recovery-coach serve --no-verify`) and we
  read the intent and slots of the REQUEST it sent (virtual_alexa.js).
- console: skill.nlu's Recognizer.resolve, the recogniser behind `recovery-coach ask`/`chat`.

Scoring. An utterance is right when the intent matches and every slot the corpus labels matches
(slots it does not label are ignored). Numbers compare numerically (8 == 8.0 == "eight"),
durations as ISO 8601 amounts (PT90M == PT1H30M), other values after `canonical()`: the resolved
value's id (else the words heard), lower-cased, spaces and hyphens as underscores, apostrophes
dropped ("can't" -> cant), then a fixed alias map from the product's ids to the corpus's. A distance
heard in a unit-named slot (`miles`, `kilometers`) counts as that distance in that unit.
Per intent (the corpus's label) with n utterances, intent_errors wrong intents and slot_errors
right intents with a wrong or missing slot:

    figure = max(0, 1 - (slot_errors + 2 * intent_errors) / n)

so a wrong intent costs twice what a wrong slot does (it answers a different question).

virtual-alexa 0.7.8 is a far simpler matcher than Alexa; VIRTUAL_ALEXA_LIMITS lists what it
cannot do, and the report repeats them under its tables.

Usage: python tests/phrasings/measure.py [CORPUS.yaml ...] [--write FILE] [--path console]
The locale is the corpus file's name (en-US.yaml); the default corpus is tests/phrasings/*.yaml.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import yaml

from skill.nlu import Recognizer
from skill.numbers import parse_duration, parse_number

# Run as a script (make corpus), the tests' own helpers are one folder up.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from server_support import start_server

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
MODEL_DIR = ROOT / "skill-package" / "interactionModels" / "custom"
NODE_SCRIPT = HERE / "virtual_alexa.js"
NODE_MODULES = HERE / "node" / "node_modules"
PATHS = ("virtual-alexa", "console")
LAUNCH = "LaunchRequest"

# The product's slot ids (routines/context.py, the grammar's list `out`s) that the corpus, written
# before them, spells differently. A fixed vocabulary table: meaning for meaning, never per text.
ALIASES: dict[str, dict[str, str]] = {
    "area": {"knees": "knee", "ankles": "ankle"},
    "sign": {
        "localised": "one_spot",
        "swelling": "swollen",
        "lasting_days": "for_days",
        "fainting": "fainted",
        "numbness": "numb",
        "cant_walk_stairs": "stairs",
    },
    "bathType": {"epsom": "epsom_salt", "plain": "warm"},
    "topic": {"light_activity": "active_recovery", "rest": "rest_days"},
    "unit": {"mi": "miles", "km": "kilometers"},
}
# The grammar carries a run's distance in a slot named after its unit ("{miles} miles"), because
# Alexa's simulator cannot split "{distance} {unit}"; the corpus labels distance and unit.
UNIT_SLOTS = {"miles": "miles", "kilometers": "kilometers"}
VIRTUAL_ALEXA_LIMITS = (
    "Two slots side by side (`{distance} {unit}`) never match: each slot is a `(.*)` wildcard"
    " that must begin or end with a space, and the first one swallows both.",
    "Matching is exact, case-insensitive and regex-based: no filler words, no fuzzy match, no"
    " AMAZON.FallbackIntent (a text no sample covers throws; we count it as the fallback).",
    "Punctuation is stripped before matching, the decimal point too: `13.1` is heard as `131`.",
    "AMAZON.NUMBER takes digits or the words one to twenty only, and sends the words (`eight`).",
    "AMAZON.DURATION is untyped: a wildcard that takes any words (`fifteen minutes for my calves`)"
    " and sends them as heard, not ISO 8601 (the scorer reads them with skill.numbers).",
    "Built-in intents without samples in our model know only virtual-alexa's few phrases"
    " (AMAZON.StopIntent: stop, off, shut up); `exit` sends a SessionEndedRequest.",
    "utter() sends a LaunchRequest for any text containing ask, open, launch, tell or talk to"
    " (`tell me about stretching`); such texts are matched as utter() otherwise would.",
)
_APOSTROPHES = re.compile(r"['\u2019]")
_SEPARATORS = re.compile(r"[\s\-_]+")
_ISO_DURATION = re.compile(
    r"^P(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)
_SECONDS = {"days": 86400, "hours": 3600, "minutes": 60, "seconds": 1}


class MeasureError(Exception):
    """The corpus, the server or the Node side could not be used."""


@dataclass(frozen=True)
class Expected:
    """One corpus entry: what the text should reach."""

    text: str
    intent: str
    slots: Mapping[str, Any] = field(default_factory=dict)
    trap: bool = False

    def __post_init__(self) -> None:
        if not self.text.strip() or not self.intent.strip():
            raise MeasureError(f"corpus entry needs text and intent: {self.text!r}")


@dataclass(frozen=True)
class HeardSlot:
    """A slot as the request carried it: the words, and the resolved value's id if any."""

    value: str
    id: str | None = None


@dataclass(frozen=True)
class Heard:
    """What one path made of a text; intent None when nothing reached the skill."""

    intent: str | None
    slots: Mapping[str, HeardSlot] = field(default_factory=dict)
    error: str | None = None


class Verdict(Enum):
    """How one utterance scored."""

    RIGHT = "right"
    WRONG_SLOTS = "wrong slots"
    WRONG_INTENT = "wrong intent"


@dataclass(frozen=True)
class Row:
    """One intent's (or the overall) counts."""

    intent: str
    n: int
    right: int
    wrong_intent: int
    wrong_slots: int

    def __post_init__(self) -> None:
        if self.right + self.wrong_intent + self.wrong_slots != self.n:
            raise MeasureError(f"{self.intent}: counts do not add up to {self.n}")

    @property
    def figure(self) -> float:
        """Return 1 - (slot_errors + 2 * intent_errors) / n, floored at 0."""
        if self.n == 0:
            return 0.0
        return max(0.0, 1 - (self.wrong_slots + 2 * self.wrong_intent) / self.n)

    @property
    def share_right(self) -> float:
        """Return the share of utterances fully right (tells apart intents the floor hides)."""
        return self.right / self.n if self.n else 0.0


def canonical(slot: str, value: str) -> str:
    """Spell a slot value as the corpus's snake_case ids do."""
    # "can't" is "cant" in the corpus's ids, not "can_t".
    key = _SEPARATORS.sub("_", _APOSTROPHES.sub("", value.strip().lower())).strip("_")
    return ALIASES.get(slot, {}).get(key, key)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    try:
        return float(text)
    except ValueError:
        # virtual-alexa sends the words heard ("eight"); Alexa would send "8".
        return parse_number(text.lower())


def _seconds(value: str) -> float | None:
    text = value.strip()
    if not text.upper().startswith("P"):
        # virtual-alexa sends the words heard ("an hour and a half"); Alexa would send ISO 8601.
        text = parse_duration(text.lower()) or ""
    match = _ISO_DURATION.match(text.upper())
    if match is None or text.upper() in ("P", "PT"):
        return None
    return sum(
        float(amount) * _SECONDS[unit] for unit, amount in match.groupdict().items() if amount
    )


def slot_matches(slot: str, expected: Any, heard: HeardSlot | None) -> bool:
    """Tell whether a heard slot carries the labelled value."""
    if heard is None:
        return False
    if isinstance(expected, int | float) and not isinstance(expected, bool):
        number = _number(heard.value)
        return number is not None and math.isclose(number, float(expected), abs_tol=1e-9)
    if isinstance(expected, str) and _ISO_DURATION.match(expected.upper()):
        want, got = _seconds(expected), _seconds(heard.value)
        return want is not None and got is not None and math.isclose(want, got)
    return canonical(slot, heard.id or heard.value) == canonical(slot, str(expected))


def labelled_slots(heard: Mapping[str, HeardSlot]) -> dict[str, HeardSlot]:
    """Spell heard slots as the corpus labels them: a unit-named distance is distance + unit."""
    slots = dict(heard)
    for name, unit in UNIT_SLOTS.items():
        if name in slots and "distance" not in slots:
            slots["distance"] = slots[name]
            slots["unit"] = HeardSlot(unit, unit)
    return slots


def judge(expected: Expected, heard: Heard) -> Verdict:
    """Score one utterance: the intent first, then every labelled slot."""
    if heard.intent != expected.intent:
        return Verdict.WRONG_INTENT
    slots = labelled_slots(heard.slots)
    for slot, value in expected.slots.items():
        if not slot_matches(slot, value, slots.get(slot)):
            return Verdict.WRONG_SLOTS
    return Verdict.RIGHT


def tally(results: Iterable[tuple[Expected, Verdict]]) -> list[Row]:
    """Count verdicts per labelled intent, worst figure first, then the overall row."""
    counts: dict[str, dict[Verdict, int]] = {}
    for expected, verdict in results:
        per = counts.setdefault(expected.intent, dict.fromkeys(Verdict, 0))
        per[verdict] += 1
    rows = [
        Row(
            intent,
            sum(per.values()),
            per[Verdict.RIGHT],
            per[Verdict.WRONG_INTENT],
            per[Verdict.WRONG_SLOTS],
        )
        for intent, per in counts.items()
    ]
    rows.sort(key=lambda row: (row.figure, row.share_right, row.intent))
    overall = Row(
        "**overall**",
        sum(r.n for r in rows),
        sum(r.right for r in rows),
        sum(r.wrong_intent for r in rows),
        sum(r.wrong_slots for r in rows),
    )
    return [*rows, overall]


def markdown_table(rows: Sequence[Row]) -> str:
    """Render rows as a Markdown table."""
    lines = [
        "| intent | n | right | wrong intent | wrong slots | figure | right % |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r.intent} | {r.n} | {r.right} | {r.wrong_intent} | {r.wrong_slots} "
        f"| {r.figure:.2f} | {100 * r.share_right:.0f} |"
        for r in rows
    ]
    return "\n".join(lines)


def load_corpus(path: Path) -> list[Expected]:
    """Read a corpus file: a YAML list of {text, intent, slots?, note?, trap?}."""
    try:
        entries = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise MeasureError(f"cannot read corpus {path}: {exc}") from exc
    if not isinstance(entries, list):
        raise MeasureError(f"{path}: expected a YAML list of utterances")
    try:
        return [
            Expected(
                text=str(entry["text"]),
                intent=str(entry["intent"]),
                slots=dict(entry.get("slots") or {}),
                trap=bool(entry.get("trap", False)),
            )
            for entry in entries
        ]
    except (KeyError, TypeError, AttributeError) as exc:
        raise MeasureError(f"{path}: malformed entry ({exc})") from exc


def console_heard(model: Recognizer, text: str) -> Heard:
    """Hear a text the way `recovery-coach ask` does."""
    resolution = model.resolve(text)
    if resolution.launch:
        return Heard(LAUNCH)
    return Heard(
        resolution.intent,
        {
            name: HeardSlot(slot.value, slot.resolved.id if slot.resolved else None)
            for name, slot in resolution.slots.items()
        },
    )


def console_path(corpus: Sequence[Expected], locale: str) -> list[Heard]:
    """Hear every corpus text with skill.nlu."""
    model = Recognizer.load(locale)
    return [console_heard(model, entry.text) for entry in corpus]


@contextmanager
def skill_server() -> Iterator[str]:
    """Run `recovery-coach serve --no-verify` on a free port with a throwaway database."""
    with tempfile.TemporaryDirectory(prefix="recovery-coach-measure-") as scratch:
        try:
            for base in start_server(Path(scratch), "--no-verify"):
                yield f"{base}/alexa"
        except RuntimeError as exc:
            raise MeasureError(f"skill server: {exc}") from exc


def _va_heard(record: Mapping[str, Any]) -> Heard:
    kind = record.get("type")
    if kind is None:
        return Heard(None, error=record.get("error"))
    intent = record.get("intent") if kind == "IntentRequest" else kind
    slots = {
        name: HeardSlot(
            str(slot["value"]),
            slot.get("id") if slot.get("status") == "ER_SUCCESS_MATCH" else None,
        )
        for name, slot in (record.get("slots") or {}).items()
    }
    return Heard(intent, slots, record.get("error"))


def virtual_alexa_records(
    corpus: Sequence[Expected], locale: str, url: str
) -> list[dict[str, Any]]:
    """Say every corpus text through virtual_alexa.js; return its JSON line per text."""
    node = shutil.which("node")
    if node is None:
        raise MeasureError("node is not installed")
    if not (NODE_MODULES / "virtual-alexa").is_dir():
        raise MeasureError(f"virtual-alexa is missing: run `npm ci --prefix {HERE / 'node'}`")
    lines = "".join(
        json.dumps({"id": i, "text": entry.text}) + "\n" for i, entry in enumerate(corpus)
    )
    model = MODEL_DIR / f"{locale}.json"
    done = subprocess.run(
        [node, str(NODE_SCRIPT), "--model", str(model), "--locale", locale, "--url", url],
        input=lines,
        capture_output=True,
        text=True,
        timeout=600,
        # The AWS SDK v2 inside virtual-alexa prints an end-of-support notice; it is not ours.
        env={**os.environ, "AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE": "1"},
    )
    if done.returncode != 0:
        raise MeasureError(f"virtual_alexa.js failed:\n{done.stderr}")
    records = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    if [r["id"] for r in records] != list(range(len(corpus))):
        raise MeasureError("virtual_alexa.js did not answer every utterance in order")
    return records


@dataclass(frozen=True)
class Measurement:
    """One path's verdicts on one locale's corpus."""

    path: str
    locale: str
    corpus: Sequence[Expected]
    heard: Sequence[Heard]
    notes: Sequence[str] = ()

    def verdicts(self) -> list[Verdict]:
        """Judge every utterance."""
        return [judge(e, h) for e, h in zip(self.corpus, self.heard, strict=True)]

    def rows(self) -> list[Row]:
        """Per-intent rows and the overall row."""
        return tally(zip(self.corpus, self.verdicts(), strict=True))


def measure_virtual_alexa(corpus: Sequence[Expected], locale: str) -> Measurement:
    """Run the virtual-alexa path against a real skill server."""
    with skill_server() as url:
        records = virtual_alexa_records(corpus, locale, url)
    launch_quirks = sum(1 for r in records if r.get("launch_quirk"))
    unmatched = sum(1 for r in records if r.get("unmatched"))
    errors = sum(1 for r in records if r.get("error"))
    decimals = sum(1 for e in corpus if re.search(r"\d\.\d", e.text))
    notes = [
        f"{unmatched} texts matched no sample (counted as AMAZON.FallbackIntent, as Alexa would).",
        f"{launch_quirks} texts contain ask/open/launch/tell: utter() would send a LaunchRequest"
        " for them, so they were matched as utter() otherwise does.",
        f"{decimals} texts have a decimal point, which virtual-alexa strips (13.1 -> 131).",
        f"{errors} requests were not answered with HTTP 200 by the skill (scored on the request).",
    ]
    return Measurement("virtual-alexa", locale, corpus, [_va_heard(r) for r in records], notes)


def misses(measurement: Measurement) -> list[str]:
    """List the utterances one path got wrong, for the grammar work."""
    out = []
    for entry, heard, verdict in zip(
        measurement.corpus, measurement.heard, measurement.verdicts(), strict=True
    ):
        if verdict is Verdict.RIGHT:
            continue
        got = ", ".join(f"{k}={s.id or s.value}" for k, s in heard.slots.items())
        want = ", ".join(f"{k}={v}" for k, v in entry.slots.items())
        trap = " (trap)" if entry.trap else ""
        out.append(
            f'- {verdict.value}{trap}: "{entry.text}" wants {entry.intent}'
            f"{' {' + want + '}' if want else ''}, heard {heard.intent}"
            f"{' {' + got + '}' if got else ''}"
        )
    return out


def report(measurements: Sequence[Measurement], with_misses: bool) -> str:
    """Render every measurement as Markdown."""
    parts = [
        "# How well the skill understands the phrasing corpus",
        "",
        "Generated by `make corpus` (tests/phrasings/measure.py); see its docstring for the"
        " scoring. figure = 1 - (wrong slots + 2 x wrong intent) / n, floored at 0.",
    ]
    for m in measurements:
        parts += ["", f"## {m.path}, {m.locale}", "", markdown_table(m.rows())]
        if m.notes:
            parts += ["", *(f"- {note}" for note in m.notes)]
        if m.path == "virtual-alexa":
            parts += ["", "Known limits of virtual-alexa 0.7.8:", ""]
            parts += [f"- {limit}" for limit in VIRTUAL_ALEXA_LIMITS]
        if with_misses:
            wrong = misses(m)
            parts += [
                "",
                f"<details><summary>{len(wrong)} misses</summary>",
                "",
                *wrong,
                "",
                "</details>",
            ]
    return "\n".join(parts) + "\n"


README_START = "<!-- understanding:start (make corpus writes this table) -->"
README_END = "<!-- understanding:end -->"


def summary_table(measurements: Sequence[Measurement]) -> str:
    """One row per intent, one column per path and locale: figure (share fully right)."""
    columns = [(m.path, m.locale, {r.intent: r for r in m.rows()}) for m in measurements]
    intents = sorted({name for _, _, rows in columns for name in rows}, key=_overall_last)
    head = "| intent | " + " | ".join(f"{path} {locale}" for path, locale, _ in columns) + " |"
    lines = [head, "|---|" + "---:|" * len(columns)]
    for intent in intents:
        cells = [
            f"{rows[intent].figure:.2f} ({100 * rows[intent].share_right:.0f}%)"
            if intent in rows
            else ""
            for _, _, rows in columns
        ]
        lines.append(f"| {intent} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _overall_last(intent: str) -> tuple[bool, str]:
    return intent.startswith("**"), intent


def update_readme(readme: Path, measurements: Sequence[Measurement]) -> None:
    """Replace the table between the README's markers with the latest figures."""
    text = readme.read_text("utf-8")
    if README_START not in text or README_END not in text:
        raise MeasureError(f"{readme} has no {README_START} ... {README_END} markers")
    before, rest = text.split(README_START, 1)
    after = rest.split(README_END, 1)[1]
    table = summary_table(measurements)
    readme.write_text(f"{before}{README_START}\n{table}\n{README_END}{after}", "utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """Measure the given corpora on the chosen paths and print (and write) the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="*", type=Path, help="default: tests/phrasings/*.yaml")
    parser.add_argument("--write", type=Path, help="also write the Markdown report here")
    parser.add_argument("--path", choices=PATHS, action="append", help="default: both")
    parser.add_argument("--misses", action="store_true", help="list every miss under its table")
    parser.add_argument("--readme", type=Path, help="also update this README's summary table")
    args = parser.parse_args(argv)
    files = args.corpus or sorted(HERE.glob("*.yaml"))
    if not files:
        parser.error(f"no corpus given and none in {HERE}")
    measurements = []
    try:
        for file in files:
            locale = file.stem
            if not (MODEL_DIR / f"{locale}.json").is_file():
                raise MeasureError(f"{file}: no interaction model for locale {locale!r}")
            corpus = load_corpus(file)
            for path in args.path or PATHS:
                if path == "console":
                    heard = console_path(corpus, locale)
                    measurements.append(Measurement(path, locale, corpus, heard))
                else:
                    measurements.append(measure_virtual_alexa(corpus, locale))
    except MeasureError as exc:
        print(f"measure: {exc}", file=sys.stderr)
        return 1
    text = report(measurements, args.misses)
    print(text, end="")
    if args.write:
        # The file keeps the tables; every miss is for the terminal (hundreds of lines).
        args.write.write_text(report(measurements, with_misses=False), "utf-8")
    if args.readme:
        try:
            update_readme(args.readme, measurements)
        except MeasureError as exc:
            print(f"measure: {exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
