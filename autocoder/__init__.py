"""autocoder: units of meaning, coded with a codebook's categories, with agreement and frequency tables.

`autocoder.Pipeline` codes documents and units; it is imported on first use, so that importing one module of
the library does not load the encoder's dependencies.
"""

from importlib import import_module
from pathlib import Path

__all__ = ["DEFAULT_MODEL", "Pipeline"]

DEFAULT_MODEL = Path(__file__).resolve().parent / "model"
"""The bundled model: shipped inside the package, so an installed wheel codes without the checkout."""


def __getattr__(name: str):
    if name == "Pipeline":
        return import_module(".pipeline", __name__).Pipeline
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
