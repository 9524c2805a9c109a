"""Is the model's answer in the report's language?

Small models sometimes drift into another language (a German or Chinese answer to an
English prompt); such a narrative is useless in an English report even when its numbers
are right. ``py3langid`` (a maintained fork of langid.py, deterministic, no network)
classifies the prose with citations, numbers and identifiers removed; texts too short to
judge are accepted.
"""

from __future__ import annotations

import re
from functools import lru_cache

MIN_LETTERS = 40
MIN_PROBABILITY = 0.8
_NOISE = re.compile(r"\{F\d+\}|[\w.:/-]*\d[\w.:/-]*|`[^`]*`")


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def prose(sections: dict) -> str:
    """The answer's words, without citations, numbers, model names and code."""
    parts = []
    for value in sections.values():
        parts += value if isinstance(value, list) else [value]
    return _NOISE.sub(" ", " ".join(str(p) for p in parts))


def wrong_language(sections: dict, expected: str) -> str | None:
    """The language code the answer is written in when it is confidently not ``expected``."""
    text = prose(sections)
    weight = sum(3 if ord(c) >= 0x2E80 else 1 for c in text if c.isalpha())  # CJK: dense
    if weight < MIN_LETTERS:
        return None
    language, probability = _identifier().classify(text)
    return language if language != expected and probability >= MIN_PROBABILITY else None
