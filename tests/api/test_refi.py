"""REFI-QDA: codebooks (.qdc) out and in, projects (.qdpx) from other software in, a custom codebook end to end."""

from __future__ import annotations

import pytest
from lxml import etree

from autocoder.refi import SCHEMAS, read_qdc, read_qdpx, write_qdc
from autocoder.io import load_codebook

from .conftest import REPORT, first_admin, foreign_qdpx, running


def test_qdc_follows_the_schema_and_reads_back_to_the_same_codebook():
    book = load_codebook()
    data = write_qdc(book)
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "Codebook.xsd")))
    assert schema.validate(etree.fromstring(data)), schema.error_log
    again = read_qdc(data, source="book.qdc", codebook_id="copy")
    assert [c["name"] for c in again["constructs"]] == [c.name for c in book.constructs]
    names = {c["id"]: c["name"] for c in again["constructs"]}
    assert [(c["name"], names[c["construct"]], c["principle"]) for c in again["categories"]] == \
        [(c.name, book.construct(c.construct).name, c.principle) for c in book.categories]


def test_a_project_from_other_software_imports_by_code_name():
    book = load_codebook()
    category = book.category("wsa_inclusive_ethos")
    [unit] = read_qdpx(foreign_qdpx(category.name), book, "other.qdpx", max_bytes=10**6)
    assert (unit.doc, unit.start, unit.end, unit.text, unit.code, unit.coder) == \
        ("notes", 0, 32, "Staff share an inclusive vision.", "wsa_inclusive_ethos", "eve")


@pytest.fixture(scope="module")
def service(make_settings, module_monkeypatch):
    settings = make_settings()
    with running(settings, {"admin": first_admin(settings, module_monkeypatch)}) as service:
        service.add_user("rita", "researcher")
        yield service


def test_a_project_with_a_qdc_codebook_gets_suggestions_once_a_model_is_trained_for_it(service):
    admin, rita = service.as_("admin"), service.as_("rita")
    project = admin.post("/projects/import-codebook", data={"name": "Imported book"},
                         files={"file": ("book.qdc", write_qdc(load_codebook()))})
    assert project.status_code == 201, project.text
    project = project.json()
    assert (project["codebook_id"], project["categories"], project["model_version"]) == ("imported_book", 27, None)
    pid = project["id"]
    qdc = rita.get(f"/projects/{pid}/codebook.qdc")
    assert qdc.status_code == 200 and b"urn:QDA-XML:codebook:1.0" in qdc.content
    uploaded = rita.post(f"/projects/{pid}/documents", files={"file": ("oak.md", REPORT.encode())}).json()
    assert uploaded["units"] > 0 and uploaded["model_version"] is None
    assert all(u["suggestion"] is None for u in rita.get(f"/projects/{pid}/units").json()["items"])
    queued = rita.post(f"/projects/{pid}/models").json()
    service.run_jobs()
    job = rita.get(f"/projects/{pid}/jobs/{queued['id']}").json()
    assert job["status"] == "done" and job["model_version"].startswith("imported_book-lr-")
    assert rita.put(f"/projects/{pid}/model", json={"version": job["model_version"]}).status_code == 200
    assert rita.post(f"/projects/{pid}/suggestions").json()["units"] == uploaded["units"]
    units = rita.get(f"/projects/{pid}/units").json()["items"]
    assert all(u["suggestion"]["model_version"] == job["model_version"] for u in units)
    # a model for another codebook cannot be switched to
    other = service.client.app.state.context.initial_model
    refused = rita.put(f"/projects/{pid}/model", json={"version": other})
    assert refused.status_code == 400 and "codebook" in refused.json()["detail"]
