"""Guess the intent of a phrase no template matched, from the grammar's own sentences.

A multinomial naive Bayes over words and word pairs, trained on every expansion of every
template (details replaced by their placeholders, each template weighted as one sentence, so a
template with many alternatives does not drown the others). This is how the console hears what
Alexa's statistical model would still place, such as "do ice baths actually help".
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence

# Laplace smoothing: small, since the grammar's vocabulary is the whole evidence we have.
ALPHA = 0.1
# A word used by at least this share of intents says nothing about which one is meant ("the").
COMMON_SHARE = 0.3


def features(tokens: Sequence[str]) -> list[str]:
    """Return a phrase's words and word pairs."""
    return [*tokens, *(f"{a} {b}" for a, b in itertools.pairwise(tokens))]


class IntentClassifier:
    """Word statistics per intent."""

    def __init__(self, sentences: Mapping[str, Iterable[Sequence[Sequence[str]]]]) -> None:
        self._counts: dict[str, defaultdict[str, float]] = {}
        for intent, templates in sentences.items():
            counts: defaultdict[str, float] = defaultdict(float)
            for template in templates:
                expansions = list(template)
                for tokens in expansions:
                    for feature in features(tokens):
                        counts[feature] += 1.0 / len(expansions)
            self._counts[intent] = counts
        self._vocabulary = {f for counts in self._counts.values() for f in counts}
        self._totals = {intent: sum(c.values()) for intent, c in self._counts.items()}
        spread = Counter(f for counts in self._counts.values() for f in counts)
        self._common = {f for f, n in spread.items() if n >= COMMON_SHARE * len(self._counts)}

    def knows(self, tokens: Sequence[str]) -> bool:
        """Tell whether a phrase is about what the grammar covers.

        More of its telling words must be the grammar's than not: "banana 17 purple" and "what
        is the weather like" are not, "do ice baths actually help" is.
        """
        telling = [t for t in tokens if t not in self._common]
        known = sum(1 for t in telling if t in self._vocabulary)
        return known >= 1 and known > len(telling) - known

    def scores(self, tokens: Sequence[str]) -> dict[str, float]:
        """Return each intent's log likelihood of a phrase's known words and pairs."""
        known = [f for f in features(tokens) if f in self._vocabulary]
        size = len(self._vocabulary)
        return {
            intent: sum(
                math.log((counts[f] + ALPHA) / (self._totals[intent] + ALPHA * size)) for f in known
            )
            for intent, counts in self._counts.items()
        }
