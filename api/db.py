"""Engine, sessions and migrations."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from .settings import Settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str, sqlite_cache_kib: int = Settings.sqlite_cache_kib) -> Engine:
    if url.startswith("sqlite"):
        # Request threads share the file: wait for a writer rather than fail with "database is locked". The pool
        # keeps 5 connections (and closes up to 10 more after use), each with a page cache of `sqlite_cache_kib`.
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer, nor it them
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA cache_size=-{int(sqlite_cache_kib)}")  # negative: KiB, not pages
            cursor.close()

        return engine
    # A pooled connection is tested before use and replaced if the server dropped it (a restart, a failover),
    # so the service recovers without a restart; connecting gives up after a few seconds when the server is out
    # of reach, and the request gets a 503 rather than hanging.
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 5})


def migrate(engine: Engine) -> None:
    """`alembic upgrade head` on this engine's database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
