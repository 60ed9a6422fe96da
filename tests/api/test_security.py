"""Security, with every route found from the app itself (a new endpoint is covered without being listed):
missing, wrong and expired tokens get 401 everywhere but on an explicit list of public routes; a reviewer
cannot export, import or manage users and models, nor see a project they are not assigned to; a researcher
cannot manage users; tokens are stored only as SHA-256 hashes; info logs of a whole review hold no report text;
uploads are size-limited and never written outside the data directory."""

from __future__ import annotations

import hashlib
import logging
import json
import re
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import MetaData, select, update

from api.auth import current_user, hash_token
from api.logs import JsonFormatter
from api.orm import Document, Token, utcnow
from benchmarks.reliability.bad_inputs import TRAVERSAL, app_routes, raw_upload

from .conftest import REPORT, Caller

LIMIT = 100_000
PUBLIC = {"/health", "/ready", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json",
          "/review", "/review/static"}
"""Routes anyone may call: operations probes, the API's documentation, and the review page with its static
files (the page asks for a token, then calls the API with it)."""
REVIEWERS_NEVER = re.compile(r"^/users|^/audit|/export|/training-data|/models?(/|$)|/import-codebook|/codebook\.qdc|"
                             r"/suggestions$|/members$|/agreement|/frequencies|/jobs/")
"""Exporting, importing, managing users, models and assignments, and the project-wide figures: staff only."""
RESEARCHERS_NEVER = re.compile(r"^/users|^/audit")
"""Managing users and their tokens, and the audit log: admins only (so are assignments and new projects, checked by method below)."""


def _needs_token(route) -> bool:
    def calls(dependant) -> bool:
        return dependant.call is current_user or any(calls(d) for d in dependant.dependencies)
    return isinstance(route, APIRoute) and calls(route.dependant)


@pytest.fixture(scope="module")
def service(make_team):
    with make_team(reviewers=("ann",), projects={"A": ("ann",), "B": ()}, report="r.md",
                   max_upload_bytes=LIMIT) as service:
        for name, project in service.projects.items():
            service.ids[name] = defaultdict(lambda: 1, project_id=project.id, document_id=project.document["id"],
                                            unit_id=project.units[0], user_id=service.ids["ann"])
        yield service


@pytest.fixture(scope="module")
def routes(service):
    return app_routes(service.client.app)


@pytest.fixture(scope="module")
def expired_token(service):
    """A token issued to last a day, which then runs out."""
    response = service.as_("admin").post(f"/users/{service.ids['rita']}/tokens", json={"expires_in_days": 1})
    assert response.status_code == 201, response.text
    token = response.json()["token"]
    assert Caller(service.client, token).get("/me").json()["name"] == "rita"
    with service.client.app.state.context.sessions() as session:
        session.execute(update(Token).where(Token.token_hash == hash_token(token))
                        .values(expires_at=utcnow() - timedelta(seconds=1)))
        session.commit()
    return token


def test_only_the_listed_routes_are_public(routes):
    public = {path for _, path, route in routes if not _needs_token(route)}
    assert public <= PUBLIC, f"routes callable without a token: {sorted(public - PUBLIC)}"
    assert any(_needs_token(route) for _, _, route in routes)


@pytest.mark.parametrize("caller,detail", [("no token", "missing bearer token"), ("wrong token", "invalid token"),
                                           ("expired token", "token expired")])
def test_every_route_refuses_a_missing_wrong_or_expired_token(service, routes, expired_token, caller, detail,
                                                             signin_not_slowed):
    token = {"no token": None, "wrong token": "not-a-token", "expired token": expired_token}[caller]
    let_in = []
    for method, path, route in routes:
        if _needs_token(route):
            response = Caller(service.client, token).request(method, path.format_map(service.ids["A"]))
            if response.status_code != 401 or detail not in response.json()["detail"] \
                    or response.headers.get("www-authenticate") != "Bearer":
                let_in.append(f"{method} {path}: {response.status_code} {response.text[:100]}")
    assert not let_in


def test_tokens_expire_when_asked(service):
    admin, rita = service.as_("admin"), service.ids["rita"]
    lasting = admin.post(f"/users/{rita}/tokens").json()
    assert lasting["expires_at"] is None
    daily = admin.post(f"/users/{rita}/tokens", json={"expires_in_days": 1}).json()
    assert daily["expires_at"] > (utcnow() + timedelta(hours=23)).isoformat()
    assert admin.post(f"/users/{rita}/tokens", json={"expires_in_days": 0}).status_code == 422
    for token in (lasting["token"], daily["token"]):
        assert Caller(service.client, token).get("/me").status_code == 200


def test_a_reviewer_sees_nothing_of_a_project_they_are_not_assigned_to(service, routes):
    ann = service.as_("ann")
    assert ann.get(f"/projects/{service.ids['A']['project_id']}/units").status_code == 200
    assert [p["name"] for p in ann.get("/projects").json()] == ["A"]
    seen = [f"{method} {path}: {response.status_code}" for method, path, route in routes
            if "{project_id}" in path and _needs_token(route)
            and (response := ann.request(method, path.format_map(service.ids["B"]))).status_code != 403]
    assert not seen


def test_a_reviewer_cannot_export_import_or_manage_users_or_models(service, routes):
    ann = service.as_("ann")
    forbidden = [(method, path) for method, path, route in routes
                 if _needs_token(route) and REVIEWERS_NEVER.search(path)]
    assert {("GET", "/projects/{project_id}/export"), ("POST", "/projects/{project_id}/training-data"),
            ("POST", "/users"), ("PUT", "/projects/{project_id}/model")} <= set(forbidden)
    allowed = [f"{method} {path}: {response.status_code}" for method, path in forbidden
               if (response := ann.request(method, path.format_map(service.ids["A"]))).status_code != 403]
    assert not allowed


def test_a_researcher_cannot_manage_users_assign_reviewers_or_create_projects(service, routes):
    rita = service.as_("rita")
    forbidden = [(method, path) for method, path, route in routes if _needs_token(route) and (
        RESEARCHERS_NEVER.search(path) or (method == "POST" and re.fullmatch(r"/projects(/import-codebook)?|.*/members",
                                                                                 path)))]
    assert len(forbidden) >= 6
    allowed = [f"{method} {path}: {response.status_code}" for method, path in forbidden
               if (response := rita.request(method, path.format_map(service.ids["A"]))).status_code != 403]
    assert not allowed


def _every_stored_value(service) -> str:
    engine = service.client.app.state.context.engine
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        return "\n".join(repr(row) for table in metadata.tables.values() for row in connection.execute(select(table)))


def test_tokens_are_stored_only_as_their_sha256(service, expired_token):
    tokens = [*service.tokens.values(), expired_token]
    stored = _every_stored_value(service)
    if service.settings.database_url is None:  # the file itself, free pages and write-ahead log too
        stored += "".join(p.read_bytes().decode("latin-1") for p in service.settings.data_dir.glob("autocoder.db*"))
    assert not [t for t in tokens if t in stored]
    with service.client.app.state.context.sessions() as session:
        hashes = set(session.scalars(select(Token.token_hash)))
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes)
    assert {hashlib.sha256(t.encode()).hexdigest() for t in tokens} <= hashes


class Captured(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_info_logs_of_a_review_hold_no_report_text(service):
    rita, ann, pid = service.as_("rita"), service.as_("ann"), service.ids["A"]["project_id"]
    comment = "Reviewer note: the SENDCo's protected time is not evident."
    report = REPORT.replace("Oak Lane", "Birch Hill")
    handler, root, api_log = Captured(), logging.getLogger(), logging.getLogger("autocoder.api")
    levels = root.level, api_log.level
    root.addHandler(handler)
    api_log.addHandler(handler)
    root.setLevel(logging.INFO)
    api_log.setLevel(logging.INFO)
    try:
        document = rita.post(f"/projects/{pid}/documents", files={"file": ("birch.md", report.encode())}).json()
        units = rita.get(f"/projects/{pid}/units", params={"document_id": document["id"]}).json()["items"]
        rita.get(f"/projects/{pid}/documents/{document['id']}")
        ann.post(f"/projects/{pid}/units/{units[0]['id']}/decisions",
                 json={"action": "reject", "expected_version": 0, "comment": comment})
        rita.get(f"/projects/{pid}/export", params={"format": "csv"})
        coded = json.dumps({"text": units[1]["text"], "category": ""})
        rita.post(f"/projects/{pid}/training-data", files={"file": ("c.jsonl", coded.encode())})
        rita.post(f"/projects/{pid}/documents", files={"file": ("bad.txt", report.encode("utf-16-le"))})
    finally:
        root.removeHandler(handler)
        api_log.removeHandler(handler)
        root.setLevel(levels[0])
        api_log.setLevel(levels[1])
    logged = "\n".join(handler.lines)
    assert sum('"message": "request"' in line for line in handler.lines) >= 7, logged
    secrets = [comment, *(u["text"] for u in units), *(line.strip("#- ") for line in report.splitlines() if line)]
    assert not [s for s in secrets if len(s) > 12 and s in logged]


def _files(settings) -> set:
    return {p for p in settings.data_dir.rglob("*") if p.is_file() and not p.name.startswith("autocoder.db")}


def test_an_upload_over_the_limit_gets_413_and_leaves_nothing_on_disk(service):
    rita, pid = service.as_("rita"), service.ids["A"]["project_id"]
    url = f"/projects/{pid}/documents"
    before = _files(service.settings), rita.get(url).json()

    def streamed():  # no Content-Length: the limit is counted as the body arrives
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.md"\r\n\r\n'
        yield from (b"word " * 200 for _ in range(LIMIT // 1000 + 1))
        yield b"\r\n--b--\r\n"

    sized = rita.post(url, files={"file": ("big.md", b"word " * (LIMIT // 5 + 1))})
    unsized = rita.post(url, content=streamed(), headers={"content-type": "multipart/form-data; boundary=b"})
    for response in (sized, unsized):
        assert response.status_code == 413 and "over the limit" in response.json()["detail"]
    assert (_files(service.settings), rita.get(url).json()) == before


def test_uploads_never_land_outside_the_data_directory(service, tmp_path):
    rita, pid = service.as_("rita"), service.ids["A"]["project_id"]
    uploads = service.settings.uploads_dir.resolve()
    outside = tmp_path / "outside"
    for sent, recorded in TRAVERSAL:
        name = sent.format(stem="sec", suffix=".md", outside=outside)
        response = rita.post(f"/projects/{pid}/documents", **raw_upload(name, REPORT.encode()))
        if recorded is None:
            assert response.status_code == 400 and "control characters" in response.json()["detail"]
            continue
        assert response.status_code == 201, response.text
        assert response.json()["filename"] == recorded.format(stem="sec", suffix=".md")
    with service.client.app.state.context.sessions() as session:
        stored = list(session.scalars(select(Document.stored_path)))
    assert all(uploads in Path(p).resolve().parents for p in stored)
    assert all(uploads in p.resolve().parents for p in _files(service.settings))
    assert not outside.exists()
    assert not [parent for parent in uploads.parents if (parent / "sec-up.md").exists()]
