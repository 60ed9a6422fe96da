"""What the app holds for its lifetime: settings, database, and the loaded models."""

from __future__ import annotations

from dataclasses import dataclass, field

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
    initial_codebook: dict
    """That model's codebook: a new project's unless it brings its own."""
    signin: SignInLimiter
    demo_tokens: dict[str, str] = field(default_factory=dict)
    """With `--demo`: a sign-in token per demo user, made at start."""
