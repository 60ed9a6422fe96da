"""The Alembic migrations build exactly the schema the ORM describes, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from api.db import MIGRATIONS, make_engine, migrate
from api.orm import Base
from api.settings import normalise_database_url


@pytest.fixture
def engine(database, tmp_path):
    engine = make_engine(normalise_database_url(database) if database else f"sqlite:///{tmp_path / 'a.db'}")
    yield engine
    engine.dispose()


def test_upgrade_creates_the_orm_schema_and_downgrade_removes_it(engine):
    migrate(engine)
    migrate(engine)  # a restart runs it again: nothing to do
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0004"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}


def test_the_database_refuses_to_change_a_decision(engine):
    migrate(engine)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO users (id, name, role, created_at) VALUES (1, 'u', 'admin', '2026-01-01')"))
        connection.execute(text("INSERT INTO projects (id, name, codebook, created_at) VALUES (1, 'p', '{}', '2026-01-01')"))
        connection.execute(text("INSERT INTO documents (id, project_id, name, filename, stored_path, text, created_at) "
                                "VALUES (1, 1, 'd', 'd', 'd', 'some text', '2026-01-01')"))
        connection.execute(text("INSERT INTO units (id, project_id, document_id, position, ref, start_char, end_char, "
                                "text, version, status) VALUES (1, 1, 1, 0, 'r', 0, 4, 'some', 1, 'rejected')"))
        connection.execute(text("INSERT INTO decisions (unit_id, version, action, code, reviewer_id, created_at) "
                                "VALUES (1, 1, 'reject', 'NONE', 1, '2026-01-01')"))
    with pytest.raises(DBAPIError, match="decisions are append-only"):
        with engine.begin() as connection:
            connection.execute(text("UPDATE decisions SET code = 'x'"))


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'b.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()
