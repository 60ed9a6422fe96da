"""Failed sign-ins slowed per client, in a fixed amount of memory."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from cachetools import LRUCache

FIRST_WAIT_SECONDS = 1.0
LONGEST_WAIT_SECONDS = 15 * 60
FORGET_AFTER_SECONDS = 60 * 60
"""A client with no failure for this long starts again from nothing."""


@dataclass
class Failures:
    count: int
    last: float


class SignInLimiter:
    """After `free_failures` failed tokens from one client, each further try must wait since the last failure,
    1 s, then 2 s, 4 s ... up to 15 minutes; an hour without failures forgets them. A token that works does not
    clear the count, or a guesser holding a token of their own could reset it between guesses. Clients are held
    in an LRU of `clients` entries: an attacker using many addresses pushes out the oldest entries instead of
    growing memory."""

    def __init__(self, clients: int, free_failures: int, clock: Callable[[], float] = time.monotonic):
        self._failures: LRUCache[str, Failures] = LRUCache(maxsize=clients)
        self._lock = threading.Lock()
        self.free_failures = free_failures
        self.clock = clock

    def wait(self, client: str) -> float:
        """Seconds `client` must wait before its token is looked at; 0 when it may try now."""
        with self._lock:
            failures = self._current(client)
            if failures is None or failures.count < self.free_failures:
                return 0.0
            delay = min(LONGEST_WAIT_SECONDS, FIRST_WAIT_SECONDS * 2 ** (failures.count - self.free_failures))
            return max(0.0, failures.last + delay - self.clock())

    def failed(self, client: str) -> None:
        with self._lock:
            failures = self._current(client)
            self._failures[client] = Failures(failures.count + 1 if failures else 1, self.clock())

    def _current(self, client: str) -> Failures | None:
        failures = self._failures.get(client)
        if failures is not None and self.clock() - failures.last > FORGET_AFTER_SECONDS:
            return None
        return failures

    @property
    def clients(self) -> int:
        """Clients currently remembered."""
        return len(self._failures)
