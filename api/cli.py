"""What `autocoder serve` and `autocoder create-admin` run."""

from __future__ import annotations

from pathlib import Path

from .settings import Settings


def serve(host: str, port: int, demo: bool, model_dir: Path | None = None) -> None:
    import uvicorn

    from . import logs
    from .app import create_app
    from .demo import sign_in_links

    logs.configure()
    app = create_app(Settings.from_env(demo=demo, model_dir=model_dir))
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

    from .auth import create_user
    from .db import make_engine, migrate, session_factory
    from .errors import Conflict

    settings = Settings.from_env()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.url)
    migrate(engine)
    try:
        with session_factory(engine)() as session:
            _, token = create_user(session, name, "admin")
            session.commit()
    except Conflict as exc:
        raise InputError(str(exc)) from None
    finally:
        engine.dispose()
    return token
