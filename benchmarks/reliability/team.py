"""Reviewers deciding at once over HTTP, each on units of their own (so every decision is accepted), in threads,
until stopped or the server is gone. Every decision carries a unique tag in its comment, and the moment its 201
arrived is kept, so a run can ask which decisions were acknowledged before some event (a kill, a backup)."""

from __future__ import annotations

import threading
import time
from collections import Counter

import httpx

from .concurrency import read_log
from .server import Seeded, Server

MAX_DECISIONS_EACH = 10_000
"""A bound on each reviewer's loop; the event a run waits for ends it long before."""


class DecidingTeam:
    def __init__(self, server: Server, seeded: Seeded, reviewers: int, prefix: str):
        self.server, self.seeded, self.prefix = server, seeded, prefix
        with server.client(seeded.admin) as admin:
            self.units = admin.get(f"/projects/{seeded.project}/units", params={"limit": 1000}).json()["items"]
        self.names = list(seeded.reviewers)[:reviewers]
        self.sent: list[str] = []
        self.acknowledged: dict[str, float] = {}
        """Tag -> time.monotonic() when its 201 arrived."""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._review, args=(i, name), daemon=True)
                         for i, name in enumerate(self.names)]

    def _review(self, index: int, name: str) -> None:
        own = {u["id"]: u["version"] for u in self.units[index::len(self.names)]}
        with self.server.client(self.seeded.reviewers[name], timeout=30) as client:
            for k in range(MAX_DECISIONS_EACH):
                if self._stop.is_set():
                    return
                unit = list(own)[k % len(own)]
                tag = f"{self.prefix}-{name}#{k}"
                with self._lock:
                    self.sent.append(tag)
                try:
                    response = client.post(f"/projects/{self.seeded.project}/units/{unit}/decisions",
                                           json={"action": "reject", "expected_version": own[unit], "comment": tag})
                except httpx.TransportError:
                    return  # the server is gone
                if response.status_code == 201:
                    own[unit] = response.json()["unit"]["version"]
                    with self._lock:
                        self.acknowledged[tag] = time.monotonic()

    def __enter__(self) -> "DecidingTeam":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def acknowledged_before(self, moment: float) -> list[str]:
        with self._lock:
            return [tag for tag, at in self.acknowledged.items() if at < moment]

    def logged(self, server: Server | None = None) -> Counter[str]:
        """How often each of this team's tags is in the decision log, read over HTTP from `server` (default:
        the one decided on)."""
        logs = read_log(server or self.server, self.seeded, {u["id"] for u in self.units})
        return Counter(d["comment"] for history in logs.values() for d in history
                       if (d["comment"] or "").startswith(f"{self.prefix}-"))
