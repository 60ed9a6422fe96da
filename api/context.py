"""What the app holds for its lifetime: settings, database, and the loaded models."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from .modelstore import ModelStore
from .signin import SignInLimiter
from .settings import Settings


@dataclass
class Context:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    models: ModelStore
    initial_model: str
    """The version of the model the service was started with: new projects with its codebook use it."""
    signin: SignInLimiter
