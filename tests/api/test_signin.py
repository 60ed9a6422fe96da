"""Repeated failed tokens from one address are slowed, the rest of the team is not, and the limiter's memory
stays at its bound however many addresses fail (benchmarks/reliability/signin.py)."""

from __future__ import annotations

from api.signin import FORGET_AFTER_SECONDS, SignInLimiter
from benchmarks.reliability import signin


def test_failed_tokens_are_slowed_per_address_in_bounded_memory(small_model_dir):
    figures = signin.run(model_dir=small_model_dir, addresses=50_000, bound=1_000)
    free = figures["free_failures"]
    assert figures["statuses"] == [401] * free + [429, 401] * signin.WAITS
    assert figures["waits_s"] == [1, 2, 4]
    assert figures["during_wait"] == [(429, 200)] * signin.WAITS
    assert figures["remembered"] == 1_000
    # 45,000 more addresses kept would be several MB; a bounded LRU only replaces entries
    assert figures["memory_growth_kb"] < 100, figures


def test_the_wait_doubles_is_capped_and_is_forgotten_after_a_quiet_hour():
    now = [0.0]
    limiter = SignInLimiter(clients=10, free_failures=2, clock=lambda: now[0])
    for _ in range(2):
        assert limiter.wait("a") == 0
        limiter.failed("a")
    assert limiter.wait("a") == 1 and limiter.wait("b") == 0
    for _ in range(30):
        limiter.failed("a")
    assert limiter.wait("a") == 15 * 60
    now[0] += FORGET_AFTER_SECONDS + 1
    assert limiter.wait("a") == 0
    limiter.failed("a")
    assert limiter.wait("a") == 0  # counting starts again from one
