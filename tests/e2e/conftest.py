"""The review page end to end: a real server on 127.0.0.1 (the small test model, two synthetic reports uploaded
through the API) and headless Chromium from Debian's `chromium` package, driven by Playwright.

Screenshots go to tests/e2e/artifacts/ (or $AUTOCODER_E2E_ARTIFACTS): one per test at its end, and the named
ones the tests take on the way.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from api import Settings, create_app
from autocoder.corpus import CORPORA_DIR
from benchmarks.reliability.server import add_admin, served_in_thread

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(os.environ.get("AUTOCODER_E2E_ARTIFACTS") or Path(__file__).parent / "artifacts")
REPORTS = ("report_01.md", "report_02.md")
TIMEOUT_MS = 15_000


@dataclass
class Site:
    """The running service: its address, a token per user and the ids the tests need."""

    base: str
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)

    def api(self, user: str) -> httpx.Client:
        return httpx.Client(base_url=self.base, headers={"Authorization": f"Bearer {self.tokens[user]}"}, timeout=60)

    def units(self, document: str) -> list[dict]:
        with self.api("rita") as rita:
            page = rita.get(f"/projects/{self.ids['project']}/units",
                            params={"document_id": self.ids[document], "limit": 1000}).json()
        return page["items"]

    def unit(self, unit_id: int) -> dict:
        with self.api("rita") as rita:
            return rita.get(f"/projects/{self.ids['project']}/units/{unit_id}").json()


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium package (`.ci/run` does) to run the e2e tests")
    return CHROMIUM


@pytest.fixture(scope="session")
def site(chromium_path, small_model_dir, tmp_path_factory):
    """The service in a thread of this process (the model is loaded once), with users, two projects and
    two reports uploaded through the API."""
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("e2e-data"), model_dir=small_model_dir))
    admin = add_admin(app, "admin")
    with served_in_thread(app) as base:
        site = Site(base, {"admin": admin})
        _populate(site)
        yield site


def _populate(site: Site) -> None:
    with site.api("admin") as admin:
        for name, role in (("ann", "reviewer"), ("bob", "reviewer"), ("rita", "researcher")):
            user = admin.post("/users", json={"name": name, "role": role}).json()
            site.tokens[name], site.ids[name] = user["token"], user["id"]
        # ann has two projects to choose from; the reports are in the second
        site.ids["empty"] = admin.post("/projects", json={"name": "Alpha (empty)"}).json()["id"]
        site.ids["project"] = admin.post("/projects", json={"name": "Beacon reports"}).json()["id"]
        for project, members in ((site.ids["empty"], ("ann",)), (site.ids["project"], ("ann", "bob"))):
            for member in members:
                assert admin.post(f"/projects/{project}/members", json={"user_id": site.ids[member]}).status_code == 201
    with site.api("rita") as rita:
        for report in REPORTS:
            path = CORPORA_DIR / "documents" / "synthetic" / report
            uploaded = rita.post(f"/projects/{site.ids['project']}/documents",
                                 files={"file": (report, path.read_bytes())})
            assert uploaded.status_code == 201, uploaded.text
            site.ids[path.stem] = uploaded.json()["id"]


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@contextmanager
def tab(browser, base_url: str, name: str) -> Iterator:
    """A fresh tab (1280x800) on a service; a screenshot `name` at the end; any uncaught script error fails."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=base_url, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    page.screenshot(path=ARTIFACTS / f"{name}.png")
    context.close()
    assert not errors, f"script errors on the page: {errors}"


@pytest.fixture
def page(browser, site, request):
    """A tab on the test site, screenshot under the test's name."""
    with tab(browser, site.base, request.node.name) as page:
        yield page


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png")
