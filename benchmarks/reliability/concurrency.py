"""Reviewers deciding at once, over HTTP, against a real `autocoder serve` process: no acknowledged decision
is lost or stored twice, conflicts get 409, nothing gets a 500.

Each reviewer is a thread with its own HTTP connection. All of them first decide the same unit at the same
moment (a true race), then walk their own shuffled share of a pool of units about half as large as the number
of decisions, so most units are decided by two reviewers: the second one holds a stale version, gets 409 with
the unit as it is now, and decides it again on that version (as the review page does). Every decision carries
a unique tag in its comment; afterwards the log of every unit is read back and the tags are counted.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from autocoder.io import load_codebook

from .server import Seeded, Server, seed

REPORTS = 4
"""Synthetic reports uploaded: about 130 units, enough for 8 reviewers x 25 decisions at two per unit."""


def run(database_url: str | None, reviewers: int, decisions_each: int, model_dir: Path | None = None,
        random_seed: int = 0) -> dict:
    """`reviewers` x `decisions_each` decisions against a fresh server on `database_url` (None: SQLite)."""
    with tempfile.TemporaryDirectory(prefix="autocoder-concurrency-") as scratch, \
            Server(Path(scratch) / "data", database_url, model_dir) as server:
        server.start()
        seeded = seed(server, reviewers, REPORTS, name="concurrency")
        return {"backend": server.backend, "reviewers": reviewers,
                **decide_concurrently(server, seeded, decisions_each, random_seed)}


def decide_concurrently(server: Server, seeded: Seeded, decisions_each: int, random_seed: int = 0) -> dict:
    names = list(seeded.reviewers)
    pool = [u["id"] for u in seeded.units[:max(1, len(names) * decisions_each // 2)]]
    categories = load_codebook().category_ids
    outcomes: list[dict] = []  # one per request: tag, unit, status, seconds
    record = threading.Lock()
    start = threading.Barrier(len(names))

    def reviewer(index: int, name: str) -> None:
        rng = random.Random(random_seed * 1000 + index)
        targets = [pool[0], *rng.sample(pool, len(pool))]
        seen: dict[int, int] = {}  # unit -> the version this reviewer last saw
        with server.client(seeded.reviewers[name]) as client:
            start.wait(timeout=60)
            for k in range(decisions_each):
                unit = targets[0]
                tag = f"{name}#{k}"
                body = {"expected_version": seen.get(unit, 0), "comment": tag,
                        **rng.choice([{"action": "reject"}, {"action": "recode", "category": rng.choice(categories)}])}
                began = time.perf_counter()
                try:
                    response = client.post(f"/projects/{seeded.project}/units/{unit}/decisions", json=body)
                    status = response.status_code
                except httpx.TransportError:
                    status = None
                seconds = time.perf_counter() - began
                if status in (201, 409):
                    seen[unit] = response.json()["unit"]["version"]
                if status != 409:  # on a conflict, decide the same unit again on the version now seen
                    targets.pop(0)
                    if not targets:
                        targets = rng.sample(pool, len(pool))
                with record:
                    outcomes.append({"tag": tag, "unit": unit, "status": status, "seconds": seconds})

    began = time.perf_counter()
    threads = [threading.Thread(target=reviewer, args=(i, name), daemon=True) for i, name in enumerate(names)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    elapsed = time.perf_counter() - began
    if any(thread.is_alive() for thread in threads):
        raise RuntimeError("reviewers still running after 600 s")
    return {**tally(server, seeded, outcomes), "decisions_per_s": round(
        sum(o["status"] == 201 for o in outcomes) / elapsed, 1), **latency_ms([o["seconds"] for o in outcomes])}


def read_log(server: Server, seeded: Seeded, units: set[int]) -> dict[int, list[dict]]:
    """Each unit's decision history, read back over HTTP."""
    with server.client(seeded.admin) as admin:
        logs = {}
        for unit in sorted(units):
            response = admin.get(f"/projects/{seeded.project}/units/{unit}/decisions")
            response.raise_for_status()
            logs[unit] = response.json()
        return logs


def tally(server: Server, seeded: Seeded, outcomes: list[dict]) -> dict:
    """The outcomes of the requests against the decision log: the acknowledged tags found exactly once."""
    statuses = Counter(o["status"] for o in outcomes)
    acknowledged = {o["tag"] for o in outcomes if o["status"] == 201}
    logs = read_log(server, seeded, {o["unit"] for o in outcomes})
    logged = Counter(d["comment"] for history in logs.values() for d in history)
    # The log of a unit is its versions 1..n, one decision each, and the unit is at version n.
    with server.client(seeded.admin) as admin:
        versions = {u["id"]: u["version"] for u in admin.get(f"/projects/{seeded.project}/units",
                                                             params={"limit": 1000}).json()["items"]}
    inconsistent = [unit for unit, history in logs.items()
                    if [d["version"] for d in history] != list(range(1, versions[unit] + 1))]
    return {
        "attempted": len(outcomes),
        "acknowledged": len(acknowledged),
        "in_log": sum(1 for tag in acknowledged if logged[tag] >= 1),
        "duplicates": sum(count - 1 for count in logged.values() if count > 1),
        "lost": sum(1 for tag in acknowledged if logged[tag] == 0),
        "unacknowledged_in_log": sum(1 for tag in logged if tag not in acknowledged),
        "inconsistent_units": len(inconsistent),
        "conflicts": statuses[409],
        "server_errors": sum(n for status, n in statuses.items() if status is not None and status >= 500),
        "transport_errors": statuses[None],
        "other_statuses": {str(s): n for s, n in statuses.items() if s not in (201, 409, None) and s < 500},
    }


def latency_ms(seconds: list[float]) -> dict:
    if len(seconds) < 2:
        value = round(seconds[0] * 1000, 1) if seconds else None
        return {"p50_ms": value, "p95_ms": value, "p99_ms": value}
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return {"p50_ms": round(cuts[49] * 1000, 1), "p95_ms": round(cuts[94] * 1000, 1),
            "p99_ms": round(cuts[98] * 1000, 1)}
