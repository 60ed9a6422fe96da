"""What a reader is told about a document's units, so nothing passes silently: units not in English, and units too
long to be one idea (a paragraph the segmenter found no place to split)."""

from __future__ import annotations

from collections.abc import Sequence

from .languages import language_warnings
from .types import Unit

LONG_UNIT_CHARS = 2_000
"""A unit longer than this (a dozen long sentences' worth) is reported: the guideline's units are a sentence or
less, so such a unit is text the segmenter could not split (one paragraph without sentence punctuation, a pasted
table). The segmenter's hard cap is `SegmenterConfig.max_chars` (100,000 characters): a block longer than that is
cut at the best boundary it finds."""


def long_unit_warnings(source: str, units: Sequence[Unit], limit: int = LONG_UNIT_CHARS) -> list[str]:
    return [f"{source}: characters {u.start}-{u.end}: a unit of {u.end - u.start:,} characters (over {limit:,}), "
            "kept whole: the text there has no sentence or clause boundary the segmenter recognises"
            for u in units if u.end - u.start > limit]


def document_warnings(source: str, text: str, units: Sequence[Unit]) -> list[str]:
    """Every warning about a document's units, naming the document and where in it."""
    return [*language_warnings(source, text, units), *long_unit_warnings(source, units)]
