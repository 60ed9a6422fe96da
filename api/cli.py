"""The service's commands, added to the `autocoder` command line through the `autocoder.commands` entry point:
`serve`, `create-admin`, `backup`, `restore` (and `worker`)."""

from __future__ import annotations

import ctypes
from pathlib import Path
from typing import Annotated, Optional

import typer

from .settings import Settings

M_ARENA_MAX = -8
"""glibc's mallopt parameter for the most arenas malloc makes."""


def limit_malloc_arenas(arenas: int) -> None:
    """glibc gives threads that allocate at once arenas of their own, up to 8 per core, and seldom hands their
    free pages back: a threaded server's RSS then creeps up while the Python heap stays flat. Set before the
    request threads start; nothing to do off glibc."""
    if arenas <= 0:
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    libc.mallopt(M_ARENA_MAX, arenas)


def serve(host: str, port: int, demo: bool, model_dir: Path | None = None) -> None:
    import uvicorn

    from . import logs
    from .app import create_app
    from .demo import sign_in_links

    settings = Settings.from_env(demo=demo, model_dir=model_dir)
    limit_malloc_arenas(settings.malloc_arenas)
    logs.configure()
    app = create_app(settings)
    # where to go, on the console (stdout), not in the JSON logs on stderr
    base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    tokens = app.state.context.demo_tokens
    if tokens:
        print("The review page, signed in (links valid for 7 days; a restart prints new ones):",
              *sign_in_links(base, tokens), sep="\n", flush=True)
    else:
        print(f"The review page: {base}/review (sign in with a token: `autocoder create-admin NAME` prints one)",
              flush=True)
    uvicorn.run(app, host=host, port=port, log_config=None, proxy_headers=False)


def create_admin(name: str) -> str:
    """A new admin user in the service's database; their token, shown this once."""
    from autocoder.errors import InputError

    from .audit import record
    from .auth import create_user
    from .db import make_engine, migrate, session_factory
    from .errors import Conflict

    settings = Settings.from_env()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.url)
    migrate(engine)
    try:
        with session_factory(engine)() as session:
            user, token = create_user(session, name, "admin")
            record(session, None, "user.create", f"user {user.id} ({user.name})", role="admin")
            session.commit()
    except Conflict as exc:
        raise InputError(str(exc)) from None
    finally:
        engine.dispose()
    return token


def register_commands(app: typer.Typer) -> None:
    """Add the service's commands to the library's command line."""
    from autocoder.cli import err

    @app.command("serve")
    def serve_command(
            host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
            port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
            model: Annotated[Optional[Path], typer.Option("--model", "-m", help=(
                "The model new projects code with, and its codebook theirs (default: AUTOCODER_MODEL_DIR, else "
                "the bundled model)."))] = None,
            demo: Annotated[bool, typer.Option("--demo", help="Load a demo project from the bundled synthetic "
                                                              "reports (once) and print sign-in links for a demo "
                                                              "reviewer and a demo admin.")] = False) -> None:
        """Start the review service (data in AUTOCODER_DATA_DIR, default ./data; PostgreSQL if DATABASE_URL is set)."""
        serve(host, port, demo, model)

    @app.command("create-admin")
    def create_admin_command(name: Annotated[str, typer.Argument(help="The admin's user name.")]) -> None:
        """Create an admin user of the review service and print their token (shown only this once)."""
        typer.echo(create_admin(name))

    @app.command("backup")
    def backup_command(out: Annotated[Path, typer.Argument(help="The backup file to write (.tar.gz; must not "
                                                                "exist).")]) -> None:
        """Back up the review service's data (database, uploads, model versions) while it runs, with a manifest of
        SHA-256 checksums. The same AUTOCODER_DATA_DIR and DATABASE_URL as the service's; PostgreSQL needs pg_dump."""
        from .backup import backup

        manifest = backup(Settings.from_env(), out)
        err.print(f"backed up the {manifest['backend']} database (schema {manifest['revision']}) and "
                  f"{len(manifest['files']) - 1} files to {out}", highlight=False)

    @app.command("restore")
    def restore_command(archive: Annotated[Path, typer.Argument(help="A file written by `autocoder backup`.")]) -> None:
        """Replace the review service's data with a backup's, after checking all of it (stop the service first).
        A damaged backup is refused and nothing changes; the data directory as it was is kept beside the new one."""
        from .backup import restore

        restored = restore(Settings.from_env(), archive)
        manifest = restored.manifest
        err.print(f"restored the backup of {manifest['created_at']} (schema {manifest['revision']}, now migrated)"
                  + (f"; the data directory as it was is in {restored.replaced}" if restored.replaced else ""),
                  highlight=False)
