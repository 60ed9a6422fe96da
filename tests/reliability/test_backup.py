"""`autocoder backup` amid live decisions and `autocoder restore` into a fresh data directory, on SQLite and
PostgreSQL: every decision acknowledged before the backup began is there once, with the uploads and a retrained
model; damaged backups are refused with a clear error and change nothing (benchmarks/reliability/backup.py)."""

from __future__ import annotations

import pytest

from benchmarks.reliability import backup


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_backup_taken_amid_decisions_restores_every_acknowledged_one(backend, request, small_model_dir):
    url = request.getfixturevalue("postgres").new_database() if backend == "postgresql" else None
    figures = backup.run(url, model_dir=small_model_dir)
    print({k: v for k, v in figures.items() if k != "damaged_details"})
    assert figures["acknowledged_before"] >= backup.ACKNOWLEDGED_BEFORE_BACKUP
    assert figures["found_after_restore"] == figures["acknowledged_before"]
    assert figures["stored_twice"] == 0
    assert figures["documents_restored"] and figures["files_in_restored_data_dir"]
    assert figures["trained_model_codes_new_upload"] and figures["restore_in_audit_log"]
    for damaged in figures["damaged_details"]:
        assert damaged["refused"] and damaged["untouched"], damaged
    assert figures["damaged"] == 4
