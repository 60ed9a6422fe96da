"""The pipeline end to end: documents -> units -> suggestions, with a model loaded once.

The command line, batch scoring and the service all code through it; the service hands it a model it has
already loaded (and shares one segmenter between its pipelines).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from . import DEFAULT_MODEL
from .classify import CodebookClassifier, with_context
from .codebook import Codebook
from .embed import Encoder
from .readers import read_document
from .segment import UNITIZER_FILE, Segmenter
from .types import Document, Suggestion, Unit


class Pipeline:
    def __init__(self, model: CodebookClassifier | None = None, segmenter: Segmenter | None = None):
        """`model` None: a pipeline that only segments (a project with no model yet)."""
        self.model = model
        self.segmenter = segmenter or Segmenter.load()

    @classmethod
    def load(cls, model_dir: str | Path | None = None, codebook: Codebook | None = None,
             encoder: Encoder | None = None, segmenter: Segmenter | None = None) -> "Pipeline":
        """A pipeline with the model in `model_dir` (default: the bundled model) and its own codebook, unless
        `codebook` is given, and the unitizer saved with the model (the bundled one for a model saved without)."""
        model_dir = Path(model_dir or DEFAULT_MODEL)
        own = model_dir / UNITIZER_FILE
        return cls(CodebookClassifier.load(model_dir, codebook=codebook, encoder=encoder),
                   segmenter or Segmenter.load(own if own.is_file() else None))

    @property
    def codebook(self) -> Codebook:
        return self.model.codebook

    def segment(self, document: Document) -> list[Unit]:
        return self.segmenter.segment(document)

    def suggest(self, units: Sequence[Unit]) -> list[Suggestion]:
        """A suggestion per unit, in the order given; units of any documents, each read with its neighbours."""
        if not units:
            return []
        order = sorted(range(len(units)), key=lambda i: (units[i].doc, units[i].start, units[i].end))
        suggestions = self.model.suggest(with_context([units[i] for i in order]))
        by_position = dict(zip(order, suggestions))
        return [by_position[i] for i in range(len(units))]

    def code_documents(self, documents: Iterable[Document]) -> Iterator[tuple[Document, list[Unit], list[Suggestion]]]:
        documents = list(documents)
        for document, units in zip(documents, self.segmenter.segment_many(documents)):
            yield document, units, self.suggest(units)

    def code_files(self, paths: Iterable[str | Path]) -> Iterator[tuple[Document, list[Unit], list[Suggestion]]]:
        return self.code_documents(read_document(p) for p in paths)
