"""Alembic environment: migrates the connection the service hands over, or the database its settings name."""

from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine

from api.orm import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # the service migrating itself at start
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    if config.config_file_name is not None:  # run by hand from alembic.ini
        fileConfig(config.config_file_name)
    from api.settings import Settings

    url = config.get_main_option("sqlalchemy.url") or Settings.from_env().url
    engine = create_engine(url)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
