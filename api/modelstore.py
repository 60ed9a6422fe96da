"""Models loaded once per process: the encoder and spaCy pipeline are shared, the pipelines of the most recently
used model versions kept."""

from __future__ import annotations

import threading
from functools import cached_property, lru_cache
from pathlib import Path

from cachetools import LRUCache

from autocoder.classify import CodebookClassifier
from autocoder.codebook import Codebook
from autocoder.embed import Encoder
from autocoder.pipeline import Pipeline
from autocoder.segment import Segmenter


@lru_cache(maxsize=1)
def shared_encoder() -> Encoder:
    """The sentence encoder takes seconds to load: every app in the process uses this one."""
    from .settings import Settings

    return Encoder(cache_texts=Settings.from_env().encoder_cache_texts)


@lru_cache(maxsize=1)
def shared_segmenter() -> Segmenter:
    return Segmenter.load()


class ModelStore:
    def __init__(self, max_pipelines: int):
        self._pipelines: LRUCache[tuple[str, str], Pipeline] = LRUCache(maxsize=max_pipelines)
        self._loading = threading.Lock()
        self.compute = threading.Lock()
        """Held while segmenting, embedding or fitting: request threads share one spaCy pipeline and one encoder."""

    def pipeline(self, version: str, path: str | Path, codebook: Codebook) -> Pipeline:
        """The model version, loaded once, in a pipeline with the shared segmenter and encoder."""
        key = (version, codebook.id)
        with self._loading:
            loaded = self._pipelines.get(key)
            if loaded is None:
                model = CodebookClassifier.load(path, codebook=codebook, encoder=shared_encoder())
                loaded = self._pipelines[key] = Pipeline(model, shared_segmenter())
            return loaded

    @property
    def loaded(self) -> int:
        return len(self._pipelines)

    @cached_property
    def segmenting(self) -> Pipeline:
        """A pipeline without a model, for documents of projects that have none yet."""
        return Pipeline(None, shared_segmenter())

    @staticmethod
    def warm_up() -> None:
        """Load the encoder and spaCy now, so the first request does not wait for them."""
        shared_encoder().encode(["warm up"])
        _ = shared_segmenter().nlp
