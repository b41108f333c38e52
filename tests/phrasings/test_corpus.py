"""How well runners are understood: the blind phrasing corpus on both paths (issue #11).

Every corpus text goes through virtual-alexa (Alexa's skill simulator, npm) with the generated
model against the real skill server, and through the console's recogniser. The per-intent tables
are printed; a wrong intent counts double against the figure (see measure.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from measure import (
    HERE,
    NODE_MODULES,
    Expected,
    Measurement,
    console_path,
    load_corpus,
    markdown_table,
    measure_virtual_alexa,
)

# The goal on each path and locale; the tables say how far each intent is from it.
GOAL_OVERALL = 0.97
GOAL_PER_INTENT = 0.90
# Where we stand while issue #11 is open: the share of the corpus understood fully right on each
# path may not fall below what was last measured (rounded down), so no change loses ground.
# Re-measured when the corpus grew by blind lines for the training intents (#14): on the
# original 806/636 lines the console stayed at 0.78/0.75; the new lines are harder (0.64-0.67).
FLOORS = {
    ("console", "en-US"): 0.76,
    ("console", "en-GB"): 0.73,
    ("virtual-alexa", "en-US"): 0.42,
    ("virtual-alexa", "en-GB"): 0.40,
}
LOCALES = ("en-US", "en-GB")


def _show(capsys: pytest.CaptureFixture[str], measurement: Measurement) -> None:
    *intents, overall = measurement.rows()
    short = sum(1 for r in intents if r.figure < GOAL_PER_INTENT)
    met = overall.figure >= GOAL_OVERALL and not short
    verdict = "meets the goal" if met else f"goal not met: {short} intents under {GOAL_PER_INTENT}"
    with capsys.disabled():
        print(f"\n\n{measurement.path}, {measurement.locale} ({verdict})")
        print(markdown_table(measurement.rows()))


def _check(measurement: Measurement) -> None:
    overall = measurement.rows()[-1]
    floor = FLOORS[(measurement.path, measurement.locale)]
    assert overall.share_right >= floor, f"fully right {overall.share_right:.3f} < {floor}"


@pytest.fixture(scope="module", params=LOCALES)
def corpus(request: pytest.FixtureRequest) -> Iterator[tuple[str, list[Expected]]]:
    locale = str(request.param)
    yield locale, load_corpus(HERE / f"{locale}.yaml")


def test_the_console_understands_the_corpus(
    corpus: tuple[str, list[Expected]], capsys: pytest.CaptureFixture[str]
) -> None:
    locale, entries = corpus
    measurement = Measurement("console", locale, entries, console_path(entries, locale))
    _show(capsys, measurement)
    _check(measurement)


def test_virtual_alexa_understands_the_corpus(
    corpus: tuple[str, list[Expected]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert (NODE_MODULES / "virtual-alexa").is_dir(), "virtual-alexa missing: run `make test`"
    locale, entries = corpus
    measurement = measure_virtual_alexa(entries, locale)
    _show(capsys, measurement)
    _check(measurement)
