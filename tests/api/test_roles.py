"""Who may call what: every endpoint, for no token, a bad token and each role (reviewers assigned to the
project or not)."""

from __future__ import annotations

import hashlib
import itertools
import json

import pytest
from sqlalchemy import select

from api.orm import Token

from .conftest import REPORT, first_admin, running

ADMIN, RESEARCHER, REVIEWER = "admin", "researcher", "reviewer"
STAFF = (ADMIN, RESEARCHER)
EVERYONE = (ADMIN, RESEARCHER, REVIEWER)
PUBLIC = "public"
CALLERS = ["no token", "bad token", "admin", "rita", "ann", "outsider"]
ROLE = {"admin": ADMIN, "rita": RESEARCHER, "ann": REVIEWER, "outsider": REVIEWER}
_unique = itertools.count()


def _name() -> str:
    return f"n{next(_unique)}"


def _report() -> dict:
    return {"files": {"file": ("r.md", REPORT.encode())}, "data": {"name": _name()}}


def _decision(service, ids) -> dict:
    unit = service.as_("admin").get(f"/projects/{ids['pid']}/units/{ids['uid']}").json()
    return {"json": {"action": "reject", "expected_version": unit["version"]}}


# (method, path, who may, status on success, request arguments (a function of the service and ids))
ENDPOINTS = [
    ("GET", "/health", PUBLIC, 200, None),
    ("GET", "/ready", PUBLIC, 200, None),
    ("GET", "/me", EVERYONE, 200, None),
    ("POST", "/users", (ADMIN,), 201, lambda s, i: {"json": {"name": _name(), "role": "reviewer"}}),
    ("GET", "/users", (ADMIN,), 200, None),
    ("POST", "/users/{ann}/tokens", (ADMIN,), 201, None),
    ("POST", "/projects", (ADMIN,), 201, lambda s, i: {"json": {"name": _name()}}),
    ("POST", "/projects/import-codebook", (ADMIN,), 201, lambda s, i: {
        "data": {"name": _name()}, "files": {"file": ("book.json", json.dumps(i["codebook"]).encode())}}),
    ("GET", "/projects", EVERYONE, 200, None),
    ("GET", "/projects/{pid}", EVERYONE, 200, None),
    ("GET", "/projects/{pid}/codebook", EVERYONE, 200, None),
    ("GET", "/projects/{pid}/codebook.qdc", STAFF, 200, None),
    ("POST", "/projects/{pid}/members", (ADMIN,), 201, lambda s, i: {"json": {"user_id": i["ann"]}}),
    ("GET", "/projects/{pid}/members", STAFF, 200, None),
    ("POST", "/projects/{pid}/documents", STAFF, 201, lambda s, i: _report()),
    ("POST", "/projects/{pid}/documents/units", STAFF, 201, lambda s, i: {
        "files": {"file": ("u.jsonl", b'{"id": "a", "text": "Staff value every pupil here."}\n')},
        "data": {"name": _name()}}),
    ("GET", "/projects/{pid}/documents", EVERYONE, 200, None),
    ("GET", "/projects/{pid}/documents/{did}", EVERYONE, 200, None),
    ("GET", "/projects/{pid}/units", EVERYONE, 200, None),
    ("GET", "/projects/{pid}/units/{uid}", EVERYONE, 200, None),
    ("GET", "/projects/{pid}/units/{uid}/decisions", EVERYONE, 200, None),
    ("POST", "/projects/{pid}/units/{uid}/decisions", (REVIEWER,), 201, _decision),
    ("GET", "/projects/{pid}/agreement/model?resamples=100", STAFF, 200, None),
    ("GET", "/projects/{pid}/agreement/reviewers?resamples=100", STAFF, 200, None),
    ("GET", "/projects/{pid}/progress", STAFF, 200, None),
    ("GET", "/projects/{pid}/frequencies", STAFF, 200, None),
    ("GET", "/projects/{pid}/export?format=csv", STAFF, 200, None),
    ("POST", "/projects/{pid}/training-data", STAFF, 201, lambda s, i: {
        "files": {"file": ("coded.csv", b"text,category\nStaff value every pupil here.,wsa_inclusive_ethos\n")}}),
    ("GET", "/projects/{pid}/training-data", STAFF, 200, None),
    ("GET", "/models", STAFF, 200, None),
    ("POST", "/projects/{pid}/models", STAFF, 202, None),
    ("GET", "/projects/{pid}/jobs/{jid}", STAFF, 200, None),
    ("GET", "/projects/{pid}/models", STAFF, 200, None),
    ("PUT", "/projects/{pid}/model", STAFF, 200, lambda s, i: {"json": {"version": i["model"]}}),
    ("POST", "/projects/{pid}/suggestions", STAFF, 200, None),
    ("GET", "/audit", (ADMIN,), 200, None),
]


@pytest.fixture(scope="module")
def service(make_settings, module_monkeypatch):
    settings = make_settings()
    with running(settings, {"admin": first_admin(settings, module_monkeypatch)}) as service:
        service.add_user("rita", RESEARCHER)
        for reviewer in ("ann", "amy", "outsider"):
            service.add_user(reviewer, REVIEWER)
        admin = service.as_("admin")
        project = admin.post("/projects", json={"name": "roles"}).json()
        pid = project["id"]
        for reviewer in ("ann", "amy"):
            admin.post(f"/projects/{pid}/members", json={"user_id": service.ids[reviewer]})
        document = admin.post(f"/projects/{pid}/documents", **_report()).json()
        unit = admin.get(f"/projects/{pid}/units").json()["items"][0]
        for reviewer, version in (("ann", 0), ("amy", 1)):  # two reviewers on one unit, for both agreements
            service.as_(reviewer).post(f"/projects/{pid}/units/{unit['id']}/decisions",
                                      json={"action": "reject", "expected_version": version})
        job = admin.post(f"/projects/{pid}/models").json()
        service.ids.update(pid=pid, did=document["id"], uid=unit["id"], jid=job["id"],
                           model=project["model_version"], codebook=admin.get(f"/projects/{pid}/codebook").json())
        yield service


def expected(caller: str, who, status: int, path: str) -> int:
    if who == PUBLIC:
        return status
    if caller in ("no token", "bad token"):
        return 401
    if ROLE[caller] not in who:
        return 403
    if caller == "outsider" and "{pid}" in path:
        return 403  # a reviewer sees only the projects they are assigned to
    return status


def test_the_table_covers_every_endpoint(service):
    paths = service.client.app.openapi()["paths"]
    routes = {(method.upper(), path) for path, operations in paths.items() for method in operations}
    covered = {(method, path.split("?")[0].replace("{ann}", "{user_id}").replace("{pid}", "{project_id}")
                .replace("{did}", "{document_id}").replace("{uid}", "{unit_id}").replace("{jid}", "{job_id}"))
               for method, path, *_ in ENDPOINTS}
    assert routes == covered


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("method,path,who,status,arguments", ENDPOINTS, ids=[f"{m} {p}" for m, p, *_ in ENDPOINTS])
def test_access(service, caller, method, path, who, status, arguments, signin_not_slowed):
    ids = service.ids
    url = path.format(**ids)
    headers = {"Authorization": "Bearer not-a-token"} if caller == "bad token" else {}
    user = caller if caller in service.tokens else None
    response = service.as_(user).request(method, url, headers=headers,
                                         **(arguments(service, ids) if arguments else {}))
    assert response.status_code == expected(caller, who, status, path), response.text
    if response.status_code == 401:
        assert response.headers["www-authenticate"] == "Bearer"


def test_tokens_are_stored_only_as_their_sha256(service):
    with service.client.app.state.context.sessions() as session:
        stored = set(session.scalars(select(Token.token_hash)))
    for token in service.tokens.values():
        assert token not in stored and hashlib.sha256(token.encode()).hexdigest() in stored
