"""The review service: a FastAPI layer over the autocoder library.

`create_app` and `Settings` are imported on first use: the command line loads this package to add the service's
commands, and must not pay for the app's imports on every command.
"""

from importlib import import_module

__all__ = ["Settings", "create_app"]


def __getattr__(name: str):
    if name == "create_app":
        return import_module(".app", __name__).create_app
    if name == "Settings":
        return import_module(".settings", __name__).Settings
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
