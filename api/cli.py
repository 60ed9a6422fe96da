"""The service's commands, added to the `autocoder` command line through the `autocoder.commands` entry point:
`serve`, `create-admin`, `backup`, `restore` (and `worker`)."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
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


WORKER_ENVIRONMENT = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
"""A worker `serve` starts computes on one thread, so a core is always free for the requests."""


PR_SET_PDEATHSIG = 1
"""Linux's prctl option: the signal a process gets when its parent dies."""


def _die_with_parent() -> None:
    """In the worker, before it runs: a server killed outright (SIGKILL, a crash) takes its workers with it, and
    their jobs are taken again when their leases run out, rather than finished by orphans."""
    try:
        ctypes.CDLL("libc.so.6").prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the worker notices between jobs (--parent)
        pass


def start_workers(count: int) -> list[subprocess.Popen]:
    """`autocoder worker` processes beside this server (same environment, so the same database), each stopping
    when this process is gone."""
    command = [sys.executable, "-c", "from autocoder.cli import main; main()", "worker", "--parent", str(os.getpid())]
    return [subprocess.Popen(command, env={**os.environ, **WORKER_ENVIRONMENT}, preexec_fn=_die_with_parent)
            for _ in range(count)]


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for process in workers:
        process.terminate()
    for process in workers:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def serve(host: str, port: int, demo: bool, model_dir: Path | None = None) -> None:
    import uvicorn

    from . import logs
    from .app import create_app
    from .demo import sign_in_links

    settings = Settings.from_env(demo=demo, model_dir=model_dir)
    limit_malloc_arenas(settings.malloc_arenas)
    logs.configure()
    workers: list[subprocess.Popen] = []
    # where to go, on the console (stdout), not in the JSON logs on stderr
    base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"

    def started(context) -> None:
        workers.extend(start_workers(settings.workers))  # after the migrations: workers use the schema as it is
        if context.demo_tokens:
            print("The review page, signed in (links valid for 7 days; a restart prints new ones):",
                  *sign_in_links(base, context.demo_tokens), sep="\n", flush=True)
        else:
            print(f"The review page: {base}/review (sign in with a token: `autocoder create-admin NAME` prints one)",
                  flush=True)

    try:
        uvicorn.run(create_app(settings, on_start=started), host=host, port=port, log_config=None,
                    proxy_headers=False)
    finally:
        stop_workers(workers)


def create_admin(name: str, settings: Settings | None = None) -> str:
    """A new admin user in the service's database (of `settings`, default the environment's); their token, shown
    this once."""
    from autocoder.errors import InputError

    from .audit import record
    from .auth import create_user
    from .db import make_engine, migrate, session_factory
    from .errors import Conflict

    settings = settings or Settings.from_env()
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

    @app.command("worker")
    def worker_command(parent: Annotated[Optional[int], typer.Option(hidden=True, help=(
            "Stop when the process with this id (the server that started this worker) is gone."))] = None) -> None:
        """Run queued jobs (retraining) from the service's database (AUTOCODER_DATA_DIR / DATABASE_URL) at a lower
        CPU priority, until stopped. `serve` starts one (AUTOCODER_WORKERS); on PostgreSQL start as many as you
        like, on any machine that reaches the database and sees AUTOCODER_DATA_DIR's models folder."""
        from . import logs
        from .training import run_worker

        logs.configure()
        run_worker(Settings.from_env(), parent)

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
