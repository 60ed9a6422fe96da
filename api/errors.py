"""Errors the service answers with a 4xx (or a 503 while the database is out of reach) and a one-line
message, never a traceback."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from autocoder.errors import InputError

log = logging.getLogger("autocoder.api")

DATABASE_UNAVAILABLE = "database unavailable, try again shortly"
RETRY_AFTER_SECONDS = 5


def database_unavailable(**body) -> JSONResponse:
    """Nothing was stored: the client may send the same request again once the database is back."""
    return JSONResponse({"detail": DATABASE_UNAVAILABLE, **body}, status_code=503,
                        headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


SQLITE_OUT_OF_REACH = ("database is locked", "unable to open database file", "disk I/O error", "readonly database")


def is_unreachable(exc: DBAPIError) -> bool:
    """The database could not be reached or dropped the connection (server down or restarting, file locked or
    unreadable), as opposed to refusing the statement."""
    if exc.connection_invalidated:
        return True
    if not isinstance(exc, (OperationalError, InterfaceError)):
        return False
    if type(exc.orig).__module__ == "sqlite3":  # SQLite reports bad SQL ("no such table") as OperationalError too
        return any(message in str(exc.orig) for message in SQLITE_OUT_OF_REACH)
    return True


class Conflict(Exception):
    """The request clashes with what is stored (a name taken, a stale version)."""

    def __init__(self, message: str, body: dict | None = None):
        super().__init__(message)
        self.body = body or {}


def install(app: FastAPI) -> None:
    @app.exception_handler(InputError)
    async def input_error(_request: Request, exc: InputError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.exception_handler(Conflict)
    async def conflict(_request: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse({"detail": str(exc), **exc.body}, status_code=409)

    @app.exception_handler(IntegrityError)
    async def integrity(_request: Request, exc: IntegrityError) -> JSONResponse:
        # Two requests racing to create the same thing: the database's constraint decides.
        log.warning("integrity error", extra={"error": str(exc.orig)})
        return JSONResponse({"detail": "conflicts with stored data (a duplicate, or a concurrent change); "
                                       "reload and try again"}, status_code=409)

    @app.exception_handler(DBAPIError)
    async def database_error(request: Request, exc: DBAPIError) -> JSONResponse:
        if not is_unreachable(exc):
            return await unexpected(request, exc)
        # The engine pings pooled connections before use, so the first request after the database is
        # back gets a fresh connection: no restart needed.
        log.warning("database unavailable", extra={"path": request.url.path, "error": str(exc.orig)})
        return database_unavailable()

    @app.exception_handler(PoolTimeout)
    async def pool_timeout(request: Request, exc: PoolTimeout) -> JSONResponse:
        log.warning("no database connection free", extra={"path": request.url.path})
        return database_unavailable()

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return JSONResponse({"detail": "internal error; it has been logged"}, status_code=500)
