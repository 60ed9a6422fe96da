"""Settings of the service, read from the environment by `Settings.from_env()`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from autocoder.embed import CACHE_TEXTS
from autocoder import DEFAULT_MODEL

DEFAULT_MAX_UPLOAD = 20 * 1024 * 1024
ENVIRONMENT = {
    "max_upload_bytes": "AUTOCODER_MAX_UPLOAD_BYTES",
    "encoder_cache_texts": "AUTOCODER_ENCODER_CACHE_TEXTS",
    "models_in_memory": "AUTOCODER_MODELS_IN_MEMORY",
    "malloc_arenas": "AUTOCODER_MALLOC_ARENAS",
    "sqlite_cache_kib": "AUTOCODER_SQLITE_CACHE_KIB",
    "signin_clients": "AUTOCODER_SIGNIN_CLIENTS",
    "signin_free_failures": "AUTOCODER_SIGNIN_FREE_FAILURES",
    "workers": "AUTOCODER_WORKERS",
    "job_lease_seconds": "AUTOCODER_JOB_LEASE_SECONDS",
}
"""The whole-number settings and the environment variables that set them."""


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
    # Bounds on what grows with use, so that a service running for months keeps a flat memory.
    encoder_cache_texts: int = CACHE_TEXTS
    """Embeddings of unit texts kept (1.5 KB each), the least recently used dropped first."""
    models_in_memory: int = 3
    """Model versions kept loaded (each a pipeline round its classifier), the least recently used dropped first
    (~1 MB each)."""
    sqlite_cache_kib: int = 2048
    """SQLite page cache per connection (SQLite's own default, made explicit)."""
    signin_clients: int = 10_000
    """Clients whose failed sign-ins are remembered (~200 bytes each); the least recent are forgotten."""
    signin_free_failures: int = 5
    """Failed tokens a client may send before each further try must wait, twice as long each time."""
    malloc_arenas: int = 2
    """glibc malloc arenas for `autocoder serve` (0: glibc's default of 8 per core)."""
    workers: int = 1
    """Job worker processes `autocoder serve` starts beside itself, at a lower CPU priority (0: none; run
    `autocoder worker` elsewhere, as many as wanted on PostgreSQL)."""
    job_lease_seconds: int = 30
    """A running job whose worker has not renewed its lease for this long is taken again (or failed)."""
    demo: bool = False
    """Load a demo project from the synthetic reports in `corpora/` at start."""

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        env = os.environ
        values = {
            "data_dir": Path(env.get("AUTOCODER_DATA_DIR", "data")),
            "database_url": env.get("DATABASE_URL") or None,
            "model_dir": Path(env["AUTOCODER_MODEL_DIR"]) if env.get("AUTOCODER_MODEL_DIR") else DEFAULT_MODEL,
            **{field: int(env[name]) for field, name in ENVIRONMENT.items() if env.get(name)},
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
