"""The service keeps no Python objects per request: under mixed traffic with uploads, the heap stays flat."""

from __future__ import annotations

from benchmarks.reliability import heap


def test_the_python_heap_does_not_grow_with_traffic(small_model_dir):
    figures = heap.run(requests=400, warmup=150, model_dir=small_model_dir)
    print(figures)
    assert figures["uploads"] > 0
    # 400 requests at even 5 KB kept each would be 2,000 KB; measured growth is tens of KB.
    assert figures["python_heap_growth_kb"] < 500, figures["largest"]
