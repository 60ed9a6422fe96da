"""The review service: a FastAPI layer over the autocoder library (issue 5)."""

from .app import create_app
from .settings import Settings

__all__ = ["Settings", "create_app"]
