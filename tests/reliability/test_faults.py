"""Faults injected into real processes: the service killed (SIGKILL) mid-upload, mid-retraining and amid
decisions, then restarted on the same data; PostgreSQL stopped under the running service; `autocoder batch`
killed mid-run. Each fault's checks are listed in its result; all must hold."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from api.errors import is_unreachable
from benchmarks.reliability import faults
from benchmarks.reliability.server import Server, seed


@pytest.fixture(scope="module")
def sqlite_service(tmp_path_factory):
    with Server(tmp_path_factory.mktemp("sqlite") / "data") as server:
        server.start()
        yield server, seed(server, reviewers=4, reports=2, name="faults")


@pytest.fixture(scope="module")
def postgresql_service(postgres, tmp_path_factory):
    with Server(tmp_path_factory.mktemp("postgresql") / "data", postgres.new_database()) as server:
        server.start()
        yield server, seed(server, reviewers=4, reports=2, name="faults")


def assert_recovered(result: dict) -> None:
    assert result["recovered"] and all(result["checks"].values()), result["note"]


def test_kill_while_the_upload_body_arrives_stores_nothing(sqlite_service):
    assert_recovered(faults.upload_in_flight(*sqlite_service))


def test_kill_between_saving_an_upload_and_committing_it_leaves_no_document_and_no_file(sqlite_service):
    assert_recovered(faults.upload_before_commit(*sqlite_service))


def test_kill_mid_retraining_retries_the_job_and_keeps_the_active_model(sqlite_service):
    assert_recovered(faults.retraining(*sqlite_service))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_acknowledged_decisions_survive_a_kill(backend, request):
    assert_recovered(faults.decisions(*request.getfixturevalue(f"{backend}_service")))


def test_database_outage_gives_503_and_recovers_without_a_restart(postgresql_service, postgres):
    assert_recovered(faults.database_outage(*postgresql_service, postgres))


def test_batch_killed_mid_run_resumes_to_the_uninterrupted_result(tmp_path):
    assert_recovered(faults.batch(tmp_path, reports=6))


def test_only_an_unreachable_database_is_a_503():
    """A lost connection or a locked SQLite file is worth retrying; bad SQL or a constraint is not."""
    def error(cls, orig):
        return cls("SELECT 1", {}, orig)

    assert is_unreachable(error(OperationalError, psycopg.OperationalError("connection refused")))
    assert is_unreachable(error(OperationalError, sqlite3.OperationalError("database is locked")))
    assert not is_unreachable(error(OperationalError, sqlite3.OperationalError("no such table: units")))
    assert not is_unreachable(error(IntegrityError, psycopg.IntegrityError("duplicate key")))
