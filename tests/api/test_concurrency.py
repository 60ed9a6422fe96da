"""Reviewers deciding the same unit at the same moment: exactly one decision is stored, the rest get 409."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest

from .conftest import REPORT, first_admin, running

REVIEWERS = [f"reviewer{i}" for i in range(6)]


@pytest.fixture(scope="module")
def service(database, make_settings, module_monkeypatch):
    settings = make_settings(database)
    with running(settings, {"admin": first_admin(settings, module_monkeypatch)}) as service:
        pid = service.as_("admin").post("/projects", json={"name": "race"}).json()["id"]
        for name in REVIEWERS:
            service.add_user(name, "reviewer")
            service.as_("admin").post(f"/projects/{pid}/members", json={"user_id": service.ids[name]})
        service.as_("admin").post(f"/projects/{pid}/documents", files={"file": ("oak.md", REPORT.encode())})
        service.ids["pid"] = pid
        yield service


def test_simultaneous_decisions_on_one_version_store_exactly_one(service):
    pid = service.ids["pid"]
    units = service.as_("admin").get(f"/projects/{pid}/units").json()["items"]
    for round_, unit in enumerate(units[:3]):
        start = Barrier(len(REVIEWERS))

        def decide(name):
            start.wait()
            return name, service.as_(name).post(f"/projects/{pid}/units/{unit['id']}/decisions",
                                                json={"action": "reject", "expected_version": 0})

        with ThreadPoolExecutor(len(REVIEWERS)) as pool:
            results = list(pool.map(decide, REVIEWERS))
        statuses = sorted(response.status_code for _, response in results)
        assert statuses == [201] + [409] * (len(REVIEWERS) - 1), (round_, [r.text for _, r in results])
        winner = next(name for name, response in results if response.status_code == 201)
        history = service.as_("admin").get(f"/projects/{pid}/units/{unit['id']}/decisions").json()
        assert [(d["version"], d["reviewer"]) for d in history] == [(1, winner)]
        for _, response in results:
            if response.status_code == 409:
                assert response.json()["unit"]["version"] == 1
