"""Errors the service answers with a 4xx and a one-line message, never a traceback."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

from autocoder.errors import InputError

log = logging.getLogger("autocoder.api")


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

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return JSONResponse({"detail": "internal error; it has been logged"}, status_code=500)
