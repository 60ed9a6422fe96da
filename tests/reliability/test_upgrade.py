"""A database made and filled at the oldest shipped migration (0001), upgraded to head by the service: everything
reads back and every decision is intact; a backup taken at 0001 and restored now gives the same
(benchmarks/reliability/upgrade.py)."""

from __future__ import annotations

import pytest

from api.backup import migration_scripts
from benchmarks.reliability import upgrade


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_data_stored_at_the_oldest_migration_survives_the_upgrade_and_a_restore(backend, request, small_model_dir):
    url = request.getfixturevalue("postgres").new_database() if backend == "postgresql" else None
    figures = upgrade.run(url, model_dir=small_model_dir)
    print({k: v for k, v in figures.items() if k not in ("upgraded", "restored")})
    assert figures["from"] == "0001" and figures["to"] == migration_scripts().get_current_head()
    assert figures["decisions_before"] > 0 and figures["units_before"] > 0
    for after in (figures["upgraded"], figures["restored"]):
        assert after["revision"] == figures["to"]
        assert after["decisions_intact"] == figures["decisions_before"]
        assert after["users_signed_in"] == figures["users_before"]  # tokens from before expiry existed
        assert after["units"] == figures["units_before"] and after["document_text_intact"]
        assert after["exported_units"] == after["decided_units"]
        assert after["pending_units"] == figures["units_before"] - after["decided_units"]
        assert after["training_examples"] == 1
