"""Reviewers at a pace while the model retrains in the server's worker process: nothing they were told was saved
is lost, and the job runs outside the server (its latency is measured by `benchmarks.reliability --parts pace`)."""

from benchmarks.reliability import pace


def test_reviewers_lose_nothing_while_a_worker_retrains():
    figures = pace.run(reviewers=6, seconds=30, retrain_at=3, interval=1.0, reports=3)
    assert figures["decisions"] > 50 and figures["acknowledged"] == figures["decisions"] - figures["errors"]
    assert figures["lost"] == 0 and figures["errors"] == 0
    assert figures["retraining"]["started_s"] is not None  # a worker took the job while the reviewers went on
    assert figures["while_retraining"]["decisions"] > 0
