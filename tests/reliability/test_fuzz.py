"""schemathesis against the service's own OpenAPI spec: every operation, valid and invalid data, no 500s, on
SQLite and on PostgreSQL (whose stricter types turned up 500s that SQLite let through)."""

from __future__ import annotations

import pytest

from benchmarks.reliability import fuzz


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_no_operation_answers_a_generated_request_with_a_500(backend, request, small_model_dir, tmp_path):
    url = request.getfixturevalue("postgres").new_database() if backend == "postgresql" else None
    figures = fuzz.run(max_examples=5, model_dir=small_model_dir, data_dir=tmp_path, database_url=url)
    print(figures)
    assert figures["backend"] == backend
    assert figures["server_errors"] == 0, "\n\n".join(figures["reproduce"])
    # Every operation was reached, and most requests got past authentication into the handlers.
    assert figures["operations"] >= 30
    assert figures["cases"] >= figures["operations"] * 5
    handled = sum(count for status, count in figures["statuses"].items() if status not in ("401", "403"))
    assert handled > figures["cases"] / 2
