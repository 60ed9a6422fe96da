"""A soak: steady mixed traffic against a real `autocoder serve` process on loopback, for a bounded time,
while the server process's memory (RSS) and open file descriptors are sampled once a second.

The traffic is what a team generates: review queue pages, unit details, decisions (some on stale versions:
409), document lists, small uploads, CSV exports, the review page and its script, readiness probes, and the
usual mistakes (no token, a unit that does not exist, a malformed decision); and one retraining, started a
tenth of the way into the measured run, whose model is then made active (later uploads are coded by it). Every
kind has its expected statuses; anything else, or no answer, is an error. A warm-up of the same traffic comes
first (caches, lazily loaded models, the allocator's pools), then the measured run: the start figure is the
median of the first three samples after the warm-up, the end figure the median of the last three, and the drift
is end minus start. The second half's rise compares the medians of a minute (or a tenth of the half, if
shorter) at the half-way point and at the end.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil

from autocoder.io import load_codebook

from .server import Seeded, Server, seed

REPORT = """# Peer challenge report {n}

## Areas of strength
- Staff share an inclusive vision and parents help shape the support their children receive.

## Recommendations
- Give the SENDCo protected leadership time each week.
"""
MAX_REQUESTS_PER_SECOND = 1000
"""Per client: a bound on the loop, far above what the server answers."""


def run(seconds: float, database_url: str | None = None, model_dir: Path | None = None,
        warmup: float | None = None, clients: int = 4, random_seed: int = 0,
        settings: dict[str, str] | None = None) -> dict:
    """Soak a fresh server on `database_url` (None: SQLite) for `seconds` after a warm-up (default: a quarter
    of `seconds`, between 5 and 30 s), with `clients` concurrent clients. `settings`: the server's own settings
    (`AUTOCODER_*` variables, e.g. its memory bounds), recorded with the figures."""
    warmup = min(30.0, max(5.0, seconds / 4)) if warmup is None else warmup
    with tempfile.TemporaryDirectory(prefix="autocoder-soak-") as scratch, \
            Server(Path(scratch) / "data", database_url, model_dir, environment=settings) as server:
        server.start()
        seeded = seed(server, reviewers=clients, reports=2, name="soak")
        process = psutil.Process(server.pid)
        traffic = Traffic(server, seeded, random_seed)
        threads = [threading.Thread(target=traffic.client, args=(i, warmup + seconds), daemon=True)
                   for i in range(clients)]
        for thread in threads:
            thread.start()
        retraining = threading.Thread(target=traffic.retrain, args=(warmup + seconds / 10,), daemon=True)
        retraining.start()
        try:
            time.sleep(warmup)  # the clients run the warm-up traffic meanwhile
            counted_at_warmup = traffic.snapshot()
            samples = sample(process, seconds)
        finally:
            traffic.stop.set()
            for thread in (*threads, retraining):
                thread.join(timeout=120)
        requests, errors = (now - then for now, then in zip(traffic.snapshot(), counted_at_warmup))
        rss_start, rss_end = (statistics.median(s[0] for s in part) for part in (samples[:3], samples[-3:]))
        fds_start, fds_end = (int(statistics.median(s[1] for s in part)) for part in (samples[:3], samples[-3:]))
        return {"backend": server.backend, "seconds": seconds, "settings": dict(settings or {}),
                "warmup_s": warmup, "requests": requests,
                "errors": errors, "requests_per_s": round(requests / seconds, 1),
                "rss_start_mb": round(rss_start, 1), "rss_end_mb": round(rss_end, 1),
                "rss_drift_mb": round(rss_end - rss_start, 1), "rss_peak_mb": round(max(s[0] for s in samples), 1),
                # Uploads make the stored data grow through the run: a leak keeps climbing, a cache levels off.
                "rss_by_tenth_mb": [round(statistics.median(s[0] for s in part), 1)
                                    for part in (samples[i * len(samples) // 10:(i + 1) * len(samples) // 10]
                                                 for i in range(10)) if part],
                "rss_second_half_rise_mb": round(second_half_rise([s[0] for s in samples]), 1),
                "retraining": traffic.retraining, "fds_start": fds_start, "fds_end": fds_end,
                "fds_floor_by_quarter": floor_by_quarter([s[1] for s in samples]),
                "error_examples": traffic.examples[:10]}


def floor_by_quarter(values: list[int]) -> list[int]:
    """The least value in each quarter of the run. Requests in flight open files for a moment (a socket, a pooled
    SQLite connection's three files) and a busy machine keeps more of them open at once; a leak raises the floor
    they fall back to, quarter after quarter."""
    quarters = [values[i * len(values) // 4:(i + 1) * len(values) // 4] for i in range(4)]
    return [min(q) for q in quarters if q]


def second_half_rise(rss: list[float]) -> float:
    """Median RSS over the run's last minute minus that over the minute from its half-way point (a tenth of the
    half each, if that is shorter than a minute; at least three samples)."""
    half = rss[len(rss) // 2:]
    window = max(3, min(60, len(half) // 10))
    return statistics.median(half[-window:]) - statistics.median(half[:window])


def sample(process: psutil.Process, seconds: float) -> list[tuple[float, int]]:
    """(RSS in MB, open file descriptors) of `process`, once a second for `seconds` (at least three)."""
    samples = []
    start = time.monotonic()
    for i in range(max(3, int(seconds) + 1)):
        time.sleep(max(0.0, start + i - time.monotonic()))
        samples.append((process.memory_info().rss / 2**20, process.num_fds()))
    return samples


class Traffic:
    """The request mix; `client(i, duration)` sends it from one thread until `stop` or the duration is over."""

    def __init__(self, server: Server, seeded: Seeded, random_seed: int = 0):
        self.server, self.seeded, self.random_seed = server, seeded, random_seed
        self.versions = {u["id"]: u["version"] for u in seeded.units}
        self.categories = load_codebook().category_ids
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.requests = 0
        self.errors = 0
        self.examples: list[str] = []
        self.retraining: dict = {}

    def snapshot(self) -> tuple[int, int]:
        with self.lock:
            return self.requests, self.errors

    def retrain(self, after: float) -> None:
        """After `after` seconds, one retraining job as a researcher starts it; once done, its model is made the
        project's active one. What happened is kept in `retraining`; a failure counts as an error, a job still
        running when the run ends does not."""
        if self.stop.wait(after):
            return
        pid = self.seeded.project
        started = time.monotonic()
        with self.server.client(self.seeded.admin) as admin:
            try:
                job = admin.post(f"/projects/{pid}/models").json()
                while job["status"] in ("queued", "running") and not self.stop.wait(1):
                    job = admin.get(f"/projects/{pid}/jobs/{job['id']}").json()
                if job["status"] == "done":
                    activated = admin.put(f"/projects/{pid}/model", json={"version": job["model_version"]})
                    job["activated"] = activated.status_code
            except (httpx.HTTPError, KeyError, ValueError) as exc:
                job = {"status": f"no answer: {exc!r}"}
        self.retraining = {"status": job["status"], "seconds": round(time.monotonic() - started, 1),
                           "model_version": job.get("model_version"), "activated": job.get("activated")}
        cut_short = self.stop.is_set() and job["status"] in ("queued", "running")  # a run shorter than the training
        with self.lock:
            self.requests += 1
            if not cut_short and (job["status"] != "done" or job.get("activated") != 200):
                self.errors += 1
                self.examples.append(f"retraining: {self.retraining}")

    def client(self, index: int, duration: float) -> None:
        rng = random.Random(self.random_seed * 1000 + index)
        pid = self.seeded.project
        name, token = list(self.seeded.reviewers.items())[index % len(self.seeded.reviewers)]
        units = list(self.versions)
        uploads = 0

        def decide(client: httpx.Client) -> httpx.Response:
            unit = rng.choice(units)
            body = rng.choice([{"action": "reject"}, {"action": "recode", "category": rng.choice(self.categories)}])
            response = client.post(f"/projects/{pid}/units/{unit}/decisions",
                                   json={**body, "expected_version": self.versions[unit], "comment": name})
            if response.status_code in (201, 409):
                self.versions[unit] = response.json()["unit"]["version"]
            return response

        def upload(client: httpx.Client) -> httpx.Response:
            nonlocal uploads
            uploads += 1
            return client.post(f"/projects/{pid}/documents",
                               files={"file": (f"soak-{index}-{uploads}.md", REPORT.format(n=uploads).encode())})

        # (weight, kind, who, send, expected statuses)
        mix = [
            (25, "review queue", "reviewer", lambda c: c.get(f"/projects/{pid}/units", params={
                "limit": 50, "offset": rng.randrange(len(units)), "order": rng.choice(["position", "confidence"])}),
             {200}),
            (20, "unit detail", "reviewer", lambda c: c.get(f"/projects/{pid}/units/{rng.choice(units)}"), {200}),
            (20, "decide", "reviewer", decide, {201, 409}),
            (10, "documents", "admin", lambda c: c.get(f"/projects/{pid}/documents"), {200}),
            (3, "upload", "admin", upload, {201}),
            (2, "export", "admin", lambda c: c.get(f"/projects/{pid}/export", params={"format": "csv"}), {200}),
            (5, "ready", "anonymous", lambda c: c.get("/ready"), {200}),
            (2, "review page", "anonymous", lambda c: c.get("/review"), {200}),
            (2, "page script", "anonymous", lambda c: c.get("/review/static/review.js"), {200}),
            (5, "no token", "anonymous", lambda c: c.get("/projects"), {401}),
            (5, "missing unit", "reviewer", lambda c: c.get(f"/projects/{pid}/units/{10**9}"), {404}),
            (5, "malformed decision", "reviewer", lambda c: c.post(
                f"/projects/{pid}/units/{units[0]}/decisions", json={"action": "maybe", "expected_version": "x"}),
             {422}),
        ]
        weights = [m[0] for m in mix]
        deadline = time.monotonic() + duration
        with self.server.client(token) as reviewer, self.server.client(self.seeded.admin) as admin, \
                self.server.client() as anonymous:
            clients = {"reviewer": reviewer, "admin": admin, "anonymous": anonymous}
            for _ in range(int(duration * MAX_REQUESTS_PER_SECOND)):
                if self.stop.is_set() or time.monotonic() > deadline:
                    return
                _, kind, who, send, expected = rng.choices(mix, weights)[0]
                try:
                    status = send(clients[who]).status_code
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                with self.lock:
                    self.requests += 1
                    if status not in expected:
                        self.errors += 1
                        if len(self.examples) < 10:
                            self.examples.append(f"{kind}: {status}")
