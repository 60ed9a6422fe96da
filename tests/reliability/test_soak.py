"""A short soak as CI runs it (the long one: `python -m benchmarks.reliability --soak 300`, by hand): steady
mixed traffic, no errors, and the server's memory and open files do not grow."""

from __future__ import annotations

from benchmarks.reliability import soak

RSS_TOLERANCE_MB = 20
"""The server holds ~850 MB (the encoder and spaCy); after the warm-up, a steady state moves by a few MB
either way. 20 MB over ~1,300 requests would be a leak of ~15 KB a request."""


def test_memory_and_open_files_do_not_grow_under_steady_traffic():
    result = soak.run(15, warmup=6)

    assert result["requests"] >= 200, result
    assert result["errors"] == 0, result["error_examples"]
    assert result["rss_drift_mb"] < RSS_TOLERANCE_MB, result
    assert result["fds_end"] - result["fds_start"] <= 2, result
