"""Models loaded once per process: the encoder and spaCy pipeline are shared, the classifiers of the most recently
used versions kept."""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

from cachetools import LRUCache

from autocoder.classify import CodebookClassifier
from autocoder.codebook import Codebook
from autocoder.embed import Encoder
from autocoder.segment import Segmenter


@lru_cache(maxsize=1)
def shared_encoder() -> Encoder:
    """The sentence encoder takes seconds to load: every app in the process uses this one."""
    from .settings import Settings

    return Encoder(cache_texts=Settings.from_env().encoder_cache_texts)


@lru_cache(maxsize=1)
def shared_segmenter() -> Segmenter:
    return Segmenter()


class ModelStore:
    def __init__(self, max_classifiers: int):
        self._classifiers: LRUCache[tuple[str, str], CodebookClassifier] = LRUCache(maxsize=max_classifiers)
        self._loading = threading.Lock()
        self.compute = threading.Lock()
        """Held while segmenting, embedding or fitting: request threads share one spaCy pipeline and one encoder."""

    def classifier(self, version: str, path: str | Path, codebook: Codebook) -> CodebookClassifier:
        key = (version, codebook.id)
        with self._loading:
            loaded = self._classifiers.get(key)
            if loaded is None:
                loaded = self._classifiers[key] = CodebookClassifier.load(path, codebook=codebook,
                                                                          encoder=shared_encoder())
            return loaded

    @property
    def loaded(self) -> int:
        return len(self._classifiers)

    @staticmethod
    def warm_up() -> None:
        """Load the encoder and spaCy now, so the first request does not wait for them."""
        shared_encoder().encode(["warm up"])
        _ = shared_segmenter().nlp
