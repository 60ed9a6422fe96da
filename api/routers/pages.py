"""The review page: a server-rendered shell; its script talks to the JSON API with the reviewer's token."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

PACKAGE = Path(__file__).resolve().parent.parent
templates = Jinja2Templates(directory=PACKAGE / "templates")
static = StaticFiles(directory=PACKAGE / "static")
"""Mounted at /review/static by the app."""

# The page runs only its own files: no inline script or style, nothing from another origin.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                               "frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

router = APIRouter(tags=["review page"])


@router.get("/review", response_class=HTMLResponse, include_in_schema=False)
def review_page(request: Request):
    # root_path: behind a proxy that serves the service under a prefix, the page's links keep it
    return templates.TemplateResponse(request, "review.html", {"root": request.scope.get("root_path", "")},
                                      headers=SECURITY_HEADERS)
