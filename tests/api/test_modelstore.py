"""The service's loaded pipelines are bounded: the least recently used model version is dropped first."""

from __future__ import annotations

from api.modelstore import ModelStore


def test_pipelines_beyond_the_bound_drop_the_least_recently_used(small_model_dir, codebook):
    store = ModelStore(max_pipelines=2)
    first = store.pipeline("v1", small_model_dir, codebook)
    assert store.pipeline("v1", small_model_dir, codebook) is first  # loaded once
    second = store.pipeline("v2", small_model_dir, codebook)
    store.pipeline("v1", small_model_dir, codebook)  # v1 used last: v2 is the one to go
    store.pipeline("v3", small_model_dir, codebook)
    assert store.loaded == 2
    assert store.pipeline("v1", small_model_dir, codebook) is first
    assert store.pipeline("v2", small_model_dir, codebook) is not second  # loaded again
    assert first.segmenter is second.segmenter  # every pipeline shares the one segmenter
