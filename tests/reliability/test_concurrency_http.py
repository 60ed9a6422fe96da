"""Eight reviewers, 25 decisions each, at once over HTTP against a real server process, with conflicts on
purpose: every acknowledged decision is in the log exactly once, the rest get 409, nothing gets a 500."""

from __future__ import annotations

import pytest

from benchmarks.reliability import concurrency

REVIEWERS, DECISIONS_EACH = 8, 25


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_every_acknowledged_decision_is_in_the_log_exactly_once(backend, request):
    url = request.getfixturevalue("postgres").new_database() if backend == "postgresql" else None
    result = concurrency.run(url, REVIEWERS, DECISIONS_EACH)

    assert result["backend"] == backend and result["attempted"] == REVIEWERS * DECISIONS_EACH
    assert result["server_errors"] == result["transport_errors"] == 0 and result["other_statuses"] == {}, result
    assert result["acknowledged"] + result["conflicts"] == result["attempted"]
    assert result["acknowledged"] == result["in_log"] > 0
    assert result["lost"] == result["duplicates"] == result["unacknowledged_in_log"] == 0, result
    assert result["inconsistent_units"] == 0, result
    # The opening race on one unit alone refuses all reviewers but one; stale versions add more.
    assert result["conflicts"] >= REVIEWERS - 1
    assert 0 < result["p50_ms"] <= result["p95_ms"] <= result["p99_ms"] and result["decisions_per_s"] > 0
