"""Every claim credited to an article is in that article, with its words quoted as evidence."""

from __future__ import annotations

from pathlib import Path

import pytest

from routines import RunContext, build_plan, load_knowledge
from routines.knowledge import Disagreement, Tip

# The articles sit beside the clone (shared/seeds/), in CI as on the development machine.
SEEDS = Path(__file__).parents[2] / "shared" / "seeds"
# Each article is told by its content, never by its file name.
ARTICLE_MARKERS: dict[str, str] = {
    "runtothefinish": "9 Ways to Help Sore Muscles from Running",
    "soreness_blog": "Why Soreness Happens",
}
SAFETY = "safety"
# Words from our own safety notes that neither article says; a tip that uses one must be
# credited to the safety notes, not to an article.
SAFETY_ONLY_PHRASES = (
    "dark urine",
    "tea or cola",
    "swelling",
    "sharp",
    "lasts for days",
    "doctor",
    "physiotherapist",
    "medical care",
    "the law",
)
TIPS = load_knowledge().tips
ARTICLE_TIPS = [tip for tip in TIPS if tip.source != SAFETY]


def normalise(text: str) -> str:
    """Straighten curly quotes and apostrophes and collapse whitespace."""
    straight = text.translate(
        {0x2018: "'", 0x2019: "'", 0x201A: "'", 0x201C: '"', 0x201D: '"', 0x201E: '"'}
    )
    return " ".join(straight.split())


@pytest.fixture(scope="module")
def articles() -> dict[str, str]:
    """Read both articles from the seeds folder, keyed by source id."""
    if not SEEDS.is_dir():
        pytest.skip(f"the source articles are not at {SEEDS}")
    found: dict[str, str] = {}
    for path in sorted(SEEDS.glob("*.txt")):
        text = normalise(path.read_text("utf-8"))
        sources = [source for source, marker in ARTICLE_MARKERS.items() if marker in text]
        assert len(sources) <= 1, f"{path.name} looks like {sources}"
        if sources:
            assert sources[0] not in found, f"two files look like {sources[0]}"
            found[sources[0]] = text
    assert set(found) == set(ARTICLE_MARKERS), f"found only {sorted(found)} in {SEEDS}"
    return found


def test_both_articles_are_sources() -> None:
    assert set(load_knowledge().sources) == {*ARTICLE_MARKERS, SAFETY}


@pytest.mark.parametrize("tip", ARTICLE_TIPS, ids=lambda tip: tip.id)
def test_every_article_tip_quotes_its_article(tip: Tip) -> None:
    assert tip.quotes, f"{tip.id} is credited to {tip.source} but quotes nothing from it"


@pytest.mark.parametrize(
    ("tip", "quote"),
    [
        pytest.param(tip, quote, id=f"{tip.id}-{n}")
        for tip in TIPS
        for n, quote in enumerate(tip.quotes)
    ],
)
def test_every_quote_is_in_the_article_it_credits(
    articles: dict[str, str], tip: Tip, quote: str
) -> None:
    assert tip.source in articles, f"{tip.id} quotes an article but is credited to {tip.source}"
    assert normalise(quote) in articles[tip.source]


@pytest.mark.parametrize("tip", ARTICLE_TIPS, ids=[tip.id for tip in ARTICLE_TIPS])
def test_safety_notes_are_not_credited_to_an_article(articles: dict[str, str], tip: Tip) -> None:
    article = articles[tip.source].lower()
    borrowed = [p for p in SAFETY_ONLY_PHRASES if p in tip.say.lower() and p not in article]
    assert not borrowed, f"{tip.id} credits {tip.source} with {borrowed}"


def test_safety_only_phrases_are_in_neither_article(articles: dict[str, str]) -> None:
    for phrase in SAFETY_ONLY_PHRASES:
        assert not any(phrase in text.lower() for text in articles.values()), phrase


# Claims tips once credited to their article that the article does not make.
UNSUPPORTED_CLAIMS = [
    ("fuel_carbs_protein_fats", "not just a drink"),
    ("massage", "does much the same"),
    ("cbd", "the law"),
]


@pytest.mark.parametrize(("tip_id", "claim"), UNSUPPORTED_CLAIMS)
def test_claims_an_article_does_not_make_are_not_credited_to_it(
    articles: dict[str, str], tip_id: str, claim: str
) -> None:
    tip = load_knowledge().tip(tip_id)
    assert claim not in articles[tip.source].lower()
    assert claim not in tip.say.lower()


def test_the_cbd_caution_is_ours_and_comes_with_the_cbd_tip() -> None:
    knowledge = load_knowledge()
    caution = [tip for tip in knowledge.about("cbd") if "the law" in tip.say]
    assert [tip.source for tip in caution] == [SAFETY]
    steps = [step.tip.id for step in build_plan(RunContext(soreness=5)).steps]
    assert steps[steps.index("cbd") + 1] == caution[0].id


DISAGREEMENTS = load_knowledge().disagreements


@pytest.mark.parametrize("disagreement", DISAGREEMENTS, ids=lambda d: d.id)
def test_a_disagreement_quotes_both_articles_on_its_own_topic(
    articles: dict[str, str], disagreement: Disagreement
) -> None:
    # Each side is quoted from its own article, and no two disagreements share a quote (the ice
    # and inflammation entries once carried the pain-reliever quotes).
    sources = {
        s for q in disagreement.quotes for s, text in articles.items() if normalise(q) in text
    }
    assert sources == set(ARTICLE_MARKERS), disagreement.quotes
    others = {q for d in DISAGREEMENTS if d is not disagreement for q in d.quotes}
    assert not others & set(disagreement.quotes)
