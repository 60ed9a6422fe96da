"""Units not in English (another script, or another language in Latin script): kept, and reported.

The codebook and the model are English; a unit in Arabic or Welsh is kept (a coder may still code it) and named in
a warning, so nothing leaves a report silently. The language of a Latin-script unit is asked of py3langid's
bundled model only when the unit holds none of the commonest English words, and flagged only when the model is
confident: short English notes ("Strong SENCo leadership") are not flagged.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_right
from collections.abc import Sequence
from functools import lru_cache

from .types import Unit

MIN_CONFIDENCE = 0.95
MIN_WORDS = 4
"""Shorter Latin-script units are not judged: too little text to tell a language by."""
_ENGLISH = frozenset("the and of to is are in for with on be by has have this that their they it was were not "
                     "all can should will from as at an".split())


def script(text: str) -> str | None:
    """The script most of the text's letters are in ("LATIN", "ARABIC", "CJK", ...); None without letters."""
    if text.isascii():
        return "LATIN" if any(c.isalpha() for c in text) else None
    counts: dict[str, int] = {}
    for char in text:
        if char.isalpha():
            name = unicodedata.name(char, "")
            key = name.split(" ")[0] if name else "UNKNOWN"
            counts[key] = counts.get(key, 0) + 1
    return max(counts, key=counts.get) if counts else None


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def not_english(text: str) -> str | None:
    """What the text is written in when it is not English ("Arabic script", "language 'cy'"), else None."""
    found = script(text)
    if found is None:
        return None
    if found != "LATIN":
        return f"{found if found == 'CJK' else found.title()} script"
    words = text.lower().split()
    if len(words) < MIN_WORDS or _ENGLISH.intersection(words):
        return None
    language, confidence = _identifier().classify(text)
    if language != "en" and confidence >= MIN_CONFIDENCE:
        return f"language {language!r}"
    return None


def language_warnings(source: str, text: str, units: Sequence[Unit]) -> list[str]:
    """One warning per unit not in English, naming the file and line: `source:line: ...`."""
    warnings, line_starts = [], None
    for unit in units:
        found = not_english(unit.text)
        if found:
            if line_starts is None:
                line_starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
            line = bisect_right(line_starts, unit.start)
            excerpt = unit.text if len(unit.text) <= 40 else unit.text[:40] + "…"
            warnings.append(f"{source}:{line}: unit in {found}, kept as it is, not in English: {excerpt!r}")
    return warnings
