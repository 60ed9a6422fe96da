"""Settings of the service, read from the environment by `Settings.from_env()`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from autocoder.pipeline import DEFAULT_MODEL

DEFAULT_MAX_UPLOAD = 20 * 1024 * 1024


def normalise_database_url(url: str) -> str:
    """Plain `postgresql://` URLs (as hosting platforms give them) use psycopg 3, the driver we ship."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    """Holds the SQLite file, uploaded originals and retrained models."""
    database_url: str | None = None
    """None: a SQLite file in `data_dir`."""
    model_dir: Path = DEFAULT_MODEL
    """The model registered (and made active for new projects) at start."""
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD
    demo: bool = False
    """Load a demo project from the synthetic reports in `corpora/` at start."""

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        env = os.environ
        values = {
            "data_dir": Path(env.get("AUTOCODER_DATA_DIR", "data")),
            "database_url": env.get("DATABASE_URL") or None,
            "model_dir": Path(env["AUTOCODER_MODEL_DIR"]) if env.get("AUTOCODER_MODEL_DIR") else DEFAULT_MODEL,
            "max_upload_bytes": int(env.get("AUTOCODER_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD)),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def url(self) -> str:
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite:///{(self.data_dir / 'autocoder.db').resolve()}"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"
