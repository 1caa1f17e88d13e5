"""Text normalisation shared by search and imports (names of communes, territories…)."""

from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
# "St"/"Ste" and "Saint"/"Sainte" are the same word for a search.
_SAINT = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}


def strip_accents(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize_name(value: str) -> str:
    """Lower-case, accent-free, punctuation as single spaces, Saint/St unified.

    >>> normalize_name("L'Isle-sur-la-Sorgue")
    'l isle sur la sorgue'
    >>> normalize_name("St-Étienne")
    'saint etienne'
    """
    text = strip_accents(value).lower().replace("œ", "oe").replace("æ", "ae")
    words = _NON_ALNUM.sub(" ", text).split()
    return " ".join(_SAINT.get(word, word) for word in words)
