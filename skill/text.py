"""Spell a phrase the one way names are compared: lower case, words and digits only."""

from __future__ import annotations

import re


def normalize(text: str) -> str:
    """Lower-case a phrase and keep only words, digits and dots inside words ("can't" = "cant")."""
    text = re.sub(r"['\u2019]", "", text.lower())
    text = re.sub(r"[^\w\s.-]", " ", text)
    text = re.sub(r"(?<!\w)[.-]|[.-](?!\w)", " ", text)
    return " ".join(text.split())
