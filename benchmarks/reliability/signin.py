"""Failed sign-ins against the real app over HTTP: one address sending wrong tokens is let through
`signin_free_failures` times, then made to wait 1 s, 2 s, 4 s ... (429 with Retry-After, the token not looked
at), while a valid token from another address is answered at once; and the limiter's memory stays at its bound
however many addresses fail."""

from __future__ import annotations

import tempfile
import time
import tracemalloc
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from api.signin import SignInLimiter
from autocoder.pipeline import DEFAULT_MODEL

from .server import add_admin

WAITS = 3
"""Waits sat out (1 + 2 + 4 s)."""


def run(model_dir: Path = DEFAULT_MODEL, addresses: int = 200_000, bound: int = Settings.signin_clients) -> dict:
    with tempfile.TemporaryDirectory(prefix="autocoder-signin-") as scratch:
        app = create_app(Settings(data_dir=Path(scratch), model_dir=model_dir))
        token = add_admin(app, "admin")
        free = app.state.settings.signin_free_failures
        with TestClient(app, client=("203.0.113.7", 40000)) as attacker, \
                TestClient(app, client=("198.51.100.2", 40000)) as colleague:
            wrong = {"Authorization": "Bearer not-a-token"}
            statuses = [attacker.get("/me", headers=wrong).status_code for _ in range(free)]
            waits, during_wait = [], []
            for _ in range(WAITS):
                refused = attacker.get("/me", headers=wrong)
                waits.append(int(refused.headers.get("retry-after", 0)))
                statuses.append(refused.status_code)
                # during the wait even the right token is refused from that address; elsewhere it works
                during_wait.append((attacker.get("/me", headers={"Authorization": f"Bearer {token}"}).status_code,
                                    colleague.get("/me", headers={"Authorization": f"Bearer {token}"}).status_code))
                time.sleep(waits[-1])
                statuses.append(attacker.get("/me", headers=wrong).status_code)
    return {"free_failures": free, "statuses": statuses, "waits_s": waits, "during_wait": during_wait,
            **_memory(addresses, bound)}


def _memory(addresses: int, bound: int) -> dict:
    """Failures from `addresses` distinct addresses: clients remembered, and the heap's growth from the first tenth
    of them to the end (a limiter that kept every address would grow by ~200 bytes each)."""
    limiter = SignInLimiter(clients=bound, free_failures=5)
    tracemalloc.start()
    try:
        for i in range(addresses):
            limiter.failed(f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}")
            if i == addresses // 10:
                after_a_tenth = tracemalloc.get_traced_memory()[0]
        grown = tracemalloc.get_traced_memory()[0] - after_a_tenth
    finally:
        tracemalloc.stop()
    return {"addresses": addresses, "bound": bound, "remembered": limiter.clients,
            "memory_growth_kb": round(grown / 1024, 1)}
