"""What `autocoder serve` and `autocoder create-admin` run."""

from __future__ import annotations

from .settings import Settings


def serve(host: str, port: int, demo: bool) -> None:
    import uvicorn

    from . import logs
    from .app import create_app

    logs.configure()
    app = create_app(Settings.from_env(demo=demo))
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
