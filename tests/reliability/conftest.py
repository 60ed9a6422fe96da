"""The reliability runs as tests: real `autocoder serve` processes on loopback, SQLite and a throwaway
PostgreSQL server (skipped without Debian's `postgresql` binaries)."""

from __future__ import annotations

import pytest

from benchmarks.reliability.server import Postgres, PostgresUnavailable


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL server of these tests' own (the outage test stops and starts it)."""
    try:
        server = Postgres()
    except PostgresUnavailable as exc:
        pytest.skip(f"{exc}: needed for the PostgreSQL variants")
    with server:
        yield server
