"""A short soak as CI runs it (the long one: `python -m benchmarks.reliability --soak 300`, by hand): steady
mixed traffic, no errors, and the server's memory and open files do not grow."""

from __future__ import annotations

from benchmarks.reliability import soak

RSS_TOLERANCE_MB = 20
"""The server holds ~850 MB (the encoder and spaCy); the soak's one retraining runs in the worker process and its
model is loaded by the server when made active, early in the run, so the growth that counts is over the second
half: a steady state moves there by a few MB either way."""


def test_memory_and_open_files_do_not_grow_under_steady_traffic():
    result = soak.run(40, warmup=6)

    assert result["requests"] >= 200, result
    assert result["errors"] == 0, result["error_examples"]
    assert result["rss_second_half_rise_mb"] < RSS_TOLERANCE_MB, result
    # a leak raises the open files' floor through the run; files held open a moment by busy requests do not
    floors = result["fds_floor_by_quarter"]
    assert floors[-1] <= floors[1], result
