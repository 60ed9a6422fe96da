"""The service under test: a real app over HTTP (TestClient), a real database file or server, the small model.

Database tests run on SQLite and on PostgreSQL. The PostgreSQL server is a throwaway one started on
127.0.0.1 from Debian's `postgresql` package binaries (`benchmarks.reliability.server.Postgres`); without them
those variants are skipped.
"""

from __future__ import annotations

import io
import sys
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient

from api import Settings, create_app
from api.cli import create_admin
from api.training import run_jobs
from api.signin import SignInLimiter
from benchmarks.reliability.server import Postgres, PostgresUnavailable
from benchmarks.reliability.server import new_database as new_postgres_database

REPORT = """# SEND Peer Challenge report: Oak Lane Primary

## Areas of strength
- Staff engage in high quality professional development on inclusive practice.
- Parents are welcomed into school and help shape the support their children receive.
- The SENDCo and headteacher work very closely together; this is very effective.

## Areas for development
- Tracking of interventions is not yet consistent across year groups.

## Recommendations
- Ensure that all teachers are responsible for teaching pupils with SEND.
- Give the SENDCo protected leadership time each week.
"""


@pytest.fixture(scope="session")
def postgres_server():
    """A libpq URL of a fresh PostgreSQL server on 127.0.0.1, stopped and removed after the session."""
    try:
        server = Postgres()
    except PostgresUnavailable as exc:
        pytest.skip(f"{exc}: needed for the PostgreSQL variants")
    with server:
        yield server.url


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def database(request):
    """None for the SQLite file in the data directory, else the URL of a new PostgreSQL database."""
    if request.param == "sqlite":
        return None
    return new_postgres_database(request.getfixturevalue("postgres_server"))


class Service:
    """The app over HTTP with a token per user: `service.as_("alice").get(...)`."""

    def __init__(self, settings: Settings, client: TestClient):
        self.settings = settings
        self.client = client
        self.tokens: dict[str, str] = {}
        self.ids: dict[str, int] = {}
        self.projects: dict[str, TeamProject] = {}

    def run_jobs(self) -> list[int]:
        """Run the queued jobs here, as the worker process `autocoder serve` starts would."""
        context = self.client.app.state.context
        return run_jobs(context.settings, context.sessions)

    def as_(self, user: str | None) -> "Caller":
        return Caller(self.client, self.tokens.get(user) if user else None)

    def add_user(self, name: str, role: str, by: str = "admin") -> int:
        response = self.as_(by).post("/users", json={"name": name, "role": role})
        assert response.status_code == 201, response.text
        self.tokens[name], self.ids[name] = response.json()["token"], response.json()["id"]
        return self.ids[name]


class Caller:
    def __init__(self, client: TestClient, token: str | None):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def request(self, method: str, path: str, **kwargs):
        return self.client.request(method, path, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def put(self, path, **kwargs):
        return self.request("PUT", path, **kwargs)


@contextmanager
def running(settings: Settings, tokens: dict | None = None):
    """A started app (lifespan and all) on `settings`."""
    with TestClient(create_app(settings)) as client:
        service = Service(settings, client)
        service.tokens.update(tokens or {})
        yield service


def first_admin(settings: Settings, monkeypatch, name: str = "admin") -> str:
    """The token `autocoder create-admin` prints, for the database these settings name."""
    monkeypatch.setenv("AUTOCODER_DATA_DIR", str(settings.data_dir))
    if settings.database_url:
        monkeypatch.setenv("DATABASE_URL", settings.database_url)
    else:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    return create_admin(name)


@dataclass
class TeamProject:
    id: int
    document: dict | None = None
    """The report rita uploaded, when the team was asked to upload one."""
    units: list[int] = field(default_factory=list)


@pytest.fixture(scope="module")
def make_team(database, make_settings, module_monkeypatch):
    """The service with a research team, on the module's database: `with make_team(...) as service`. The first
    admin (by `create-admin`), researcher rita, the reviewers, and the projects each with its reviewers
    assigned and, with `report`, REPORT uploaded by rita under that file name (`service.projects[name]`)."""
    @contextmanager
    def team(reviewers: tuple[str, ...], projects: dict[str, tuple[str, ...]], report: str | None = None,
             **settings_overrides):
        settings = make_settings(database, **settings_overrides)
        with running(settings, {"admin": first_admin(settings, module_monkeypatch)}) as service:
            service.add_user("rita", "researcher")
            for reviewer in reviewers:
                service.add_user(reviewer, "reviewer")
            admin, rita = service.as_("admin"), service.as_("rita")
            for name, members in projects.items():
                created = admin.post("/projects", json={"name": name})
                assert created.status_code == 201, created.text
                project = service.projects[name] = TeamProject(created.json()["id"])
                for member in members:
                    assigned = admin.post(f"/projects/{project.id}/members", json={"user_id": service.ids[member]})
                    assert assigned.status_code == 201, assigned.text
                if report:
                    uploaded = rita.post(f"/projects/{project.id}/documents", files={"file": (report, REPORT.encode())})
                    assert uploaded.status_code == 201, uploaded.text
                    project.document = uploaded.json()
                    project.units = [u["id"] for u in rita.get(f"/projects/{project.id}/units",
                                                               params={"limit": 1000}).json()["items"]]
            yield service
    return team


@pytest.fixture(scope="module")
def module_monkeypatch():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="module")
def make_settings(small_model_dir, tmp_path_factory):
    def make(database_url: str | None = None, **overrides) -> Settings:
        return Settings(data_dir=tmp_path_factory.mktemp("data"), database_url=database_url,
                        model_dir=small_model_dir, **overrides)
    return make


def qdpx_with(project_qde: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("project.qde", project_qde)
    return out.getvalue()


def foreign_qdpx(code_name: str) -> bytes:
    """A project as another QDA package might write it: its own GUIDs, text inline, one coded selection."""
    return qdpx_with(f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="other">
  <Users><User guid="11111111-1111-1111-1111-111111111111" name="eve"/></Users>
  <CodeBook><Codes><Code guid="22222222-2222-2222-2222-222222222222" name="{code_name}" isCodable="true"/></Codes></CodeBook>
  <Sources>
    <TextSource guid="44444444-4444-4444-4444-444444444444" name="notes">
      <PlainTextContent>Staff share an inclusive vision. Other text.</PlainTextContent>
      <PlainTextSelection guid="55555555-5555-5555-5555-555555555555" startPosition="0" endPosition="32"
                          creatingUser="11111111-1111-1111-1111-111111111111">
        <Coding guid="66666666-6666-6666-6666-666666666666" creatingUser="11111111-1111-1111-1111-111111111111">
          <CodeRef targetGUID="22222222-2222-2222-2222-222222222222"/>
        </Coding>
      </PlainTextSelection>
    </TextSource>
  </Sources>
</Project>""".encode())


@pytest.fixture
def signin_not_slowed(service):
    """For tests that send many bad tokens on purpose, to check the 401s themselves: the module's service does
    not slow them while the test runs, and forgets them after (test_signin.py tests the slowing)."""
    context = service.client.app.state.context
    kept = context.signin
    context.signin = SignInLimiter(clients=1, free_failures=sys.maxsize)
    yield
    context.signin = kept
