"""A team's first run and its first retraining, as they meet them: `autocoder serve --demo` in its own process
(starting with the small test model), its sign-in links opened in the browser, a scripted reviewer deciding the
demo project's units with the corpus's adjudicated codes, a retrain, and the dashboard's model versions."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from autocoder.corpus import load_split
from autocoder.types import NONE_CODE
from benchmarks.reliability.server import Server

from .conftest import screenshot, tab

REVIEWED_DOCUMENTS = 15
"""Documents the scripted reviewer decides: every fifth (3) is held out of retraining, 12 train it."""


@pytest.fixture(scope="module")
def demo(chromium_path, small_model_dir, tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("demo-data"), model_dir=small_model_dir, demo=True)
    with server.start():
        yield server


def token_of(link: str) -> str:
    return link.split("#token=", 1)[1]


def test_serve_demo_prints_sign_in_links_the_review_page_accepts(demo, browser):
    links = demo.sign_in_links()
    assert set(links) == {"demo-reviewer", "demo-admin"}
    assert all(link.startswith(f"{demo.base_url}/review#token=") for link in links.values())
    with tab(browser, demo.base_url, "demo_sign_in_link") as page:
        page.goto(links["demo-reviewer"])
        page.wait_for_selector("#nav:not([hidden])")
        assert page.text_content("#who") == "demo-reviewer (reviewer)"
        assert "token" not in page.url  # taken out of the address bar and the history
        page.click("#document-list button[data-document]")
        page.wait_for_selector("#doc-text .unit")
        headings = page.locator("#doc-text [role=heading]").all_text_contents()
        assert headings[:2] == ["SEND Peer Challenge report: Pennacott Infant School", "Areas of strength"]
        assert page.locator("#doc-text [role=heading][aria-level='4']").first.text_content() == "Areas of strength"
        text = page.text_content("#doc-text")
        assert "#" not in text and "Pennacott has 262 pupils on roll" in text
        screenshot(page, "demo_document_headings")
    # the token works for the API too, and as the role it was printed with
    with demo.client(token_of(links["demo-admin"])) as admin:
        assert admin.get("/me").json()["role"] == "admin"


def adjudicated_codes() -> dict[str, list[tuple[int, int, str]]]:
    """report -> its (start, end, adjudicated category) units in the corpus, for the synthetic reports (the demo
    project)."""
    codes: dict[str, list[tuple[int, int, str]]] = {}
    for split in ("train", "test_synthetic"):
        for r in load_split(split):
            if r["source_file"].startswith("documents/synthetic/") and r["category"]:
                codes.setdefault(Path(r["source_file"]).stem, []).append((r["start"], r["end"], r["category"]))
    return codes


def code_of(unit: dict, coded: list[tuple[int, int, str]]) -> str | None:
    """The code of the corpus unit that covers most of `unit`, if one covers at least half of it: the corpus's
    units were cut by an earlier segmenter, so a unit of today's may differ from them by a title or a clause."""
    overlap, code = max(((min(end, unit["end"]) - max(start, unit["start"]), code) for start, end, code in coded),
                        default=(0, None))
    return code if overlap >= (unit["end"] - unit["start"]) / 2 else None


def review(client, project: int, document: dict, gold: dict[str, list[tuple[int, int, str]]]) -> tuple[int, int]:
    """Decide every unit of `document` the corpus has a code for, as a reviewer would; (decided, units)."""
    units = client.get(f"/projects/{project}/units", params={"document_id": document["id"], "limit": 1000}).json()["items"]
    decided = 0
    for unit in units:
        code = code_of(unit, gold.get(document["name"], []))
        if code is None:
            continue
        suggested = (unit["suggestion"] or {}).get("category")
        body = ({"action": "accept"} if suggested == code else {"action": "reject"} if code == NONE_CODE
                else {"action": "recode", "category": code})
        response = client.post(f"/projects/{project}/units/{unit['id']}/decisions",
                               json={**body, "expected_version": unit["version"]})
        assert response.status_code == 201, response.text
        decided += 1
    return decided, len(units)


def test_retraining_on_reviewed_units_raises_kappa_on_the_held_out_units(demo, browser):
    links = demo.sign_in_links()
    gold = adjudicated_codes()
    with demo.client(token_of(links["demo-reviewer"])) as reviewer:
        [project] = reviewer.get("/projects").json()
        documents = reviewer.get(f"/projects/{project['id']}/documents").json()[:REVIEWED_DOCUMENTS]
        counts = [review(reviewer, project["id"], d, gold) for d in documents]
    decided, units = map(sum, zip(*counts))
    assert decided >= 0.9 * units, "the demo's units no longer line up with the corpus's: the reviewer has no codes"
    with demo.client(token_of(links["demo-admin"])) as admin:
        job = admin.post(f"/projects/{project['id']}/models").json()
        deadline = time.monotonic() + 600
        while job["status"] in ("queued", "running"):
            assert time.monotonic() < deadline, "retraining did not finish"
            time.sleep(1)
            job = admin.get(f"/projects/{project['id']}/jobs/{job['id']}").json()
        assert job["status"] == "done", job
        versions = {v["version"]: v for v in admin.get(f"/projects/{project['id']}/models").json()}
    first, retrained = versions[project["model_version"]], versions[job["model_version"]]
    figures = retrained["held_out"]
    print(f"held out: {figures}")
    assert first["active"] and not retrained["active"] and first["held_out"] is None
    assert (figures["documents"], figures["previous_version"]) == (3, project["model_version"])
    assert figures["units"] > 60
    assert figures["category_kappa"] > figures["previous_category_kappa"] + 0.1
    assert figures["construct_kappa"] > figures["previous_construct_kappa"]
    with tab(browser, demo.base_url, "demo_dashboard_versions") as page:
        page.goto(links["demo-admin"])
        page.wait_for_selector("#nav:not([hidden])")
        page.evaluate(f"location.hash = '#/dashboard/{project['id']}'")
        row = page.locator(f"#versions tr[data-version='{job['model_version']}']")
        row.wait_for()
        assert row.locator("[data-figure=kappa]").text_content() == f"{figures['category_kappa']:.3f}"
        assert row.locator("[data-figure=previous]").text_content() == f"{figures['previous_category_kappa']:.3f}"
        first_row = page.locator(f"#versions tr[data-version='{project['model_version']}']")
        assert "(active)" in first_row.text_content() and first_row.locator("[data-figure=kappa]").text_content() == "–"
