"""Where a soak's memory goes: the service in this process under the soak's kind of traffic (review queue
pages, decisions, uploads, exports), with tracemalloc measuring what the Python heap keeps after a warm-up.

A leak in the service's own code (objects kept per request or per upload) shows here as steady growth; memory
that the soak sees rise but this does not is native: SQLite's page caches as the database grows, the
encoder's and the allocator's pools.
"""

from __future__ import annotations

import gc
import random
import tempfile
import tracemalloc
from pathlib import Path

from fastapi.testclient import TestClient

from api import Settings, create_app
from autocoder.pipeline import DEFAULT_MODEL

from .server import add_admin
from .soak import REPORT


def run(requests: int = 1500, warmup: int = 300, model_dir: Path = DEFAULT_MODEL, random_seed: int = 0) -> dict:
    """Growth of the Python heap over `requests` requests after `warmup` of them, and its largest sources."""
    rng = random.Random(random_seed)
    with tempfile.TemporaryDirectory(prefix="autocoder-heap-") as scratch:
        app = create_app(Settings(data_dir=Path(scratch), model_dir=model_dir))
        auth = {"Authorization": f"Bearer {add_admin(app, 'heap-admin')}"}
        uploads = 0
        with TestClient(app, headers=auth) as client:
            pid = client.post("/projects", json={"name": "heap"}).json()["id"]

            def request() -> None:
                nonlocal uploads
                kind = rng.random()
                if kind < 0.05:
                    uploads += 1
                    client.post(f"/projects/{pid}/documents",
                                files={"file": (f"r{uploads}.md", REPORT.format(n=uploads).encode())})
                elif kind < 0.4:
                    client.get(f"/projects/{pid}/units", params={"limit": 50})
                elif kind < 0.6:
                    pending = client.get(f"/projects/{pid}/units", params={"limit": 1, "status": "pending"}).json()
                    for unit in pending["items"]:
                        client.post(f"/projects/{pid}/units/{unit['id']}/decisions",
                                    json={"action": "reject", "expected_version": unit["version"]})
                elif kind < 0.65:
                    client.get(f"/projects/{pid}/export", params={"format": "csv"})
                else:
                    client.get(f"/projects/{pid}/documents")

            for _ in range(warmup):
                request()
            gc.collect()
            tracemalloc.start(10)
            try:
                before = tracemalloc.take_snapshot()
                for _ in range(requests):
                    request()
                gc.collect()
                growth = tracemalloc.take_snapshot().compare_to(before, "lineno")
            finally:
                tracemalloc.stop()
    return {"requests": requests, "warmup": warmup, "uploads": uploads,
            "python_heap_growth_kb": round(sum(s.size_diff for s in growth) / 1024, 1),
            "largest": [f"{s.traceback[0].filename}:{s.traceback[0].lineno} {s.size_diff / 1024:+.1f} KB"
                        for s in growth[:5]]}
