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

# The goal on each path and locale.
GOAL_OVERALL = 0.97
GOAL_PER_INTENT = 0.90
LOCALES = ("en-US", "en-GB")


def _show(capsys: pytest.CaptureFixture[str], measurement: Measurement) -> None:
    with capsys.disabled():
        print(f"\n\n{measurement.path}, {measurement.locale}\n{markdown_table(measurement.rows())}")


def _check(measurement: Measurement) -> None:
    *intents, overall = measurement.rows()
    below = [f"{r.intent} {r.figure:.2f}" for r in intents if r.figure < GOAL_PER_INTENT]
    assert overall.figure >= GOAL_OVERALL, f"overall {overall.figure:.3f}"
    assert not below, f"intents under {GOAL_PER_INTENT}: {', '.join(below)}"


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
