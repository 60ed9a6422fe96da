"""A team at a human pace while the model retrains: many reviewers, each deciding one unit every `interval`
seconds, against a real `autocoder serve` (SQLite, or a throwaway PostgreSQL server); a retraining job on the
corpus's coded units is started `retrain_at` seconds in. Reports decision latency overall and while the job runs
(in the server's worker process), and that every acknowledged decision is in the log exactly once."""

from __future__ import annotations

import random
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from .concurrency import latency_ms, read_log
from .faults import TRAINING_DATA
from .server import Server, seed


def run(database_url: str | None = None, reviewers: int = 50, seconds: float = 60.0, retrain_at: float = 10.0,
        interval: float = 2.0, reports: int = 12, model_dir: Path | None = None, random_seed: int = 0) -> dict:
    with tempfile.TemporaryDirectory(prefix="autocoder-pace-") as scratch:
        server = Server(Path(scratch), database_url, model_dir).start()
        try:
            return _measure(server, reviewers, seconds, retrain_at, interval, reports, random_seed)
        finally:
            server.stop()


def _measure(server: Server, reviewers: int, seconds: float, retrain_at: float, interval: float, reports: int,
             random_seed: int) -> dict:
    seeded = seed(server, reviewers, reports, name="pace")
    with server.client(seeded.admin) as admin:
        imported = admin.post(f"/projects/{seeded.project}/training-data",
                              files={"file": (TRAINING_DATA.name, TRAINING_DATA.read_bytes())})
        imported.raise_for_status()
    names = list(seeded.reviewers)
    stop = threading.Event()
    samples: list[tuple[float, float, int | None, str]] = []  # (sent at, seconds, status, tag)
    lock = threading.Lock()
    started = time.monotonic()

    def review(index: int, name: str) -> None:
        rng = random.Random(random_seed + index)
        own = {u["id"]: u["version"] for u in seeded.units[index::len(names)]}
        units = list(own)
        with server.client(seeded.reviewers[name], timeout=60) as client:
            if stop.wait(rng.uniform(0, interval)):  # reviewers do not start in step
                return
            k = 0
            while not stop.is_set():
                unit = units[k % len(units)]
                tag = f"pace-{name}#{k}"
                sent = time.monotonic()
                try:
                    response = client.post(f"/projects/{seeded.project}/units/{unit}/decisions",
                                           json={"action": "reject", "expected_version": own[unit], "comment": tag})
                    status = response.status_code
                except httpx.TransportError:
                    status = None
                took = time.monotonic() - sent
                if status == 201:
                    own[unit] = response.json()["unit"]["version"]
                with lock:
                    samples.append((sent - started, took, status, tag))
                k += 1
                stop.wait(max(0.0, interval - took))

    threads = [threading.Thread(target=review, args=(i, n), daemon=True) for i, n in enumerate(names)]
    for thread in threads:
        thread.start()
    job, job_started, job_ended = None, None, None
    with server.client(seeded.admin) as admin:
        time.sleep(retrain_at)
        job = admin.post(f"/projects/{seeded.project}/models").json()
        while time.monotonic() - started < seconds:
            time.sleep(0.5)
            job = admin.get(f"/projects/{seeded.project}/jobs/{job['id']}").json()
            now = round(time.monotonic() - started, 1)
            if job["status"] == "running" and job_started is None:
                job_started = now
            if job["status"] in ("done", "failed") and job_ended is None:
                job_ended = now
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    acknowledged = {tag for _, _, status, tag in samples if status == 201}
    logs = read_log(server, seeded, {u["id"] for u in seeded.units})
    logged = Counter(d["comment"] for history in logs.values() for d in history
                     if (d["comment"] or "").startswith("pace-"))
    during = [took for at, took, _, _ in samples
              if job_started is not None and job_started <= at <= (job_ended or seconds)]
    return {
        "backend": server.backend, "reviewers": reviewers, "interval_s": interval, "seconds": seconds,
        "decisions": len(samples), "acknowledged": len(acknowledged),
        "lost": sum(1 for tag in acknowledged if logged[tag] != 1),
        "errors": sum(1 for _, _, status, _ in samples if status != 201),
        "all": latency_ms([took for _, took, _, _ in samples]),
        "while_retraining": {**latency_ms(during), "decisions": len(during)},
        "retraining": {"status": job["status"] if job else None, "attempts": job.get("attempts") if job else None,
                       "started_s": job_started, "ended_s": job_ended},
    }
