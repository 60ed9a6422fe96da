"""The pipeline end to end: documents -> units -> suggestions, with a model loaded once."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from .classify import CodebookClassifier, with_context
from .codebook import Codebook, load_codebook
from .readers import read_document
from .segment import Segmenter
from .types import Document, Suggestion, Unit

DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "models" / "default"


class Pipeline:
    def __init__(self, model_dir: str | Path | None = None, codebook: Codebook | None = None,
                 segmenter: Segmenter | None = None):
        self.codebook = codebook or load_codebook()
        self.model = CodebookClassifier.load(model_dir or DEFAULT_MODEL, codebook=self.codebook)
        self.segmenter = segmenter or Segmenter()

    def code_documents(self, documents: Iterable[Document]) -> Iterator[tuple[Document, list[Unit], list[Suggestion]]]:
        documents = list(documents)
        for document, units in zip(documents, self.segmenter.segment_many(documents)):
            yield document, units, self.model.suggest(with_context(units)) if units else []

    def code_files(self, paths: Iterable[str | Path]) -> Iterator[tuple[Document, list[Unit], list[Suggestion]]]:
        return self.code_documents(read_document(p) for p in paths)
