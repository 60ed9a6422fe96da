"""What `autocoder serve` and `autocoder create-admin` run."""

from __future__ import annotations

import ctypes
from pathlib import Path

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
