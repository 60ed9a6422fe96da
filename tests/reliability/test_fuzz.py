"""schemathesis against the service's own OpenAPI spec: every operation, valid and invalid data, no 500s."""

from __future__ import annotations

from benchmarks.reliability import fuzz


def test_no_operation_answers_a_generated_request_with_a_500(small_model_dir, tmp_path):
    figures = fuzz.run(max_examples=5, model_dir=small_model_dir, data_dir=tmp_path)
    print(figures)
    assert figures["server_errors"] == 0, "\n\n".join(figures["reproduce"])
    # Every operation was reached, and most requests got past authentication into the handlers.
    assert figures["operations"] >= 30
    assert figures["cases"] >= figures["operations"] * 5
    handled = sum(count for status, count in figures["statuses"].items() if status not in ("401", "403"))
    assert handled > figures["cases"] / 2
