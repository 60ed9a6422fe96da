"""Upload -> suggestions -> decisions -> agreement -> tables -> export -> re-import -> retrain -> restart,
over HTTP, on SQLite and on PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from api.orm import Job, ModelVersion, Suggestion
from api.orm import Unit as UnitRow
from autocoder.refi import SCHEMAS
from autocoder.agreement import agreement
from autocoder.io import load_codebook
from autocoder.frequencies import construct_intervals, frequency_table

from ..documents import write_docx, write_pdf
from .conftest import REPORT, running

PRESEGMENTED = [
    {"id": "u1", "text": "Leaders promote an inclusive ethos across the whole school.", "section": "strength"},
    {"id": "u2", "text": "Governors do not yet check the impact of SEND funding.", "section": "development"},
    {"id": "u3", "text": "Plan joint training with the local special school.", "section": "recommendation"},
]


@pytest.fixture(scope="module")
def service(make_team):
    with make_team(reviewers=("ann", "bob"), projects={"Oak Lane": ("ann", "bob")}) as service:
        service.ids["project"] = service.projects["Oak Lane"].id
        yield service


def test_without_demo_nothing_of_the_demo_is_made(service):
    assert {u["name"] for u in service.as_("admin").get("/users").json()} == {"admin", "rita", "ann", "bob"}
    assert [p["name"] for p in service.as_("admin").get("/projects").json()] == ["Oak Lane"]
    assert service.client.app.state.context.demo_tokens == {}


def all_units(service, pid, **params) -> list[dict]:
    response = service.as_("rita").get(f"/projects/{pid}/units", params={"limit": 1000, **params})
    assert response.status_code == 200, response.text
    return response.json()["items"]


@pytest.fixture(scope="module")
def documents(service, tmp_path_factory):
    """One document of each kind, uploaded by the researcher: name -> upload response."""
    folder = tmp_path_factory.mktemp("uploads")
    (folder / "oak_lane.md").write_text(REPORT, encoding="utf-8")
    units = folder / "units.jsonl"
    units.write_text("".join(json.dumps(u) + "\n" for u in PRESEGMENTED), encoding="utf-8")
    files = {"oak_lane": folder / "oak_lane.md", "birch": write_docx(folder / "birch.docx"),
             "cedar": write_pdf(folder / "cedar.pdf")}
    pid, rita = service.ids["project"], service.as_("rita")
    uploaded = {}
    for name, path in files.items():
        with path.open("rb") as handle:
            uploaded[name] = rita.post(f"/projects/{pid}/documents", files={"file": (path.name, handle)})
    with units.open("rb") as handle:
        uploaded["presegmented"] = rita.post(f"/projects/{pid}/documents/units", data={"name": "presegmented"},
                                             files={"file": ("units.jsonl", handle)})
    for name, response in uploaded.items():
        assert response.status_code == 201, (name, response.text)
    return {name: response.json() for name, response in uploaded.items()}


@pytest.fixture(scope="module")
def decided(service, documents):
    """Both reviewers code every unit of oak_lane: ann accepts, rejects and recodes; bob agrees on some.
    Returns {reviewer: {unit id: code}}."""
    pid, codebook = service.ids["project"], load_codebook()
    units = all_units(service, pid, document_id=documents["oak_lane"]["id"])
    codes = {"ann": {}, "bob": {}}
    for i, unit in enumerate(units):
        for reviewer in ("ann", "bob"):
            current = service.as_(reviewer).get(f"/projects/{pid}/units/{unit['id']}").json()
            suggested = current["suggestion"]["category"]
            if reviewer == "ann" and i % 3 == 0 and suggested:
                body = {"action": "accept"}
            elif (reviewer == "ann" and i % 3 == 1) or (reviewer == "bob" and i % 2):
                body = {"action": "reject"}
            else:
                body = {"action": "recode", "category": codebook.category_ids[i % 5]}
            response = service.as_(reviewer).post(f"/projects/{pid}/units/{unit['id']}/decisions",
                                                  json={**body, "expected_version": current["version"],
                                                        "comment": f"{reviewer} on {i}"})
            assert response.status_code == 201, response.text
            codes[reviewer][unit["id"]] = response.json()["decision"]["code"]
    return codes


def test_uploads_are_segmented_with_offsets_sections_and_the_models_suggestions(service, documents):
    pid = service.ids["project"]
    project = service.as_("rita").get(f"/projects/{pid}").json()
    for name, uploaded in documents.items():
        assert uploaded["units"] > 0 and uploaded["model_version"] == project["model_version"]
        document = service.as_("rita").get(f"/projects/{pid}/documents/{uploaded['id']}").json()
        units = all_units(service, pid, document_id=uploaded["id"])
        assert [u["position"] for u in units] == list(range(uploaded["units"]))
        for unit in units:
            assert document["text"][unit["start"]:unit["end"]] == unit["text"]
            assert unit["status"] == "pending" and unit["version"] == 0 and unit["decision"] is None
            assert unit["suggestion"]["model_version"] == project["model_version"]
            assert 0 <= unit["suggestion"]["confidence"] <= 1
    oak = all_units(service, pid, document_id=documents["oak_lane"]["id"])
    assert {u["section"] for u in oak} == {"strength", "development", "recommendation"}
    pre = all_units(service, pid, document_id=documents["presegmented"]["id"])
    assert [(u["ref"], u["text"], u["section"]) for u in pre] == [(u["id"], u["text"], u["section"]) for u in PRESEGMENTED]
    assert project["model_version"] in [m["version"] for m in service.as_("rita").get("/models").json()]


def test_decisions_are_an_append_only_log_and_a_stale_one_gets_409(service, documents):
    pid, ann, bob = service.ids["project"], service.as_("ann"), service.as_("bob")
    unit = all_units(service, pid, document_id=documents["birch"]["id"])[0]
    url = f"/projects/{pid}/units/{unit['id']}/decisions"
    first = ann.post(url, json={"action": "recode", "category": "wsa_inclusive_ethos", "expected_version": 0})
    assert first.status_code == 201
    assert first.json()["unit"] | {"suggestion": None, "decision": None} == unit | {
        "status": "recoded", "code": "wsa_inclusive_ethos", "construct": "collectivism", "version": 1,
        "suggestion": None, "decision": None}
    # bob loaded the unit at version 0 too: his decision must not silently replace ann's
    stale = bob.post(url, json={"action": "reject", "expected_version": 0})
    assert stale.status_code == 409
    assert "version 1" in stale.json()["detail"]
    assert stale.json()["unit"]["version"] == 1 and stale.json()["unit"]["code"] == "wsa_inclusive_ethos"
    assert stale.json()["unit"]["decision"]["reviewer"] == "ann"
    second = bob.post(url, json={"action": "reject", "expected_version": 1, "comment": "no category fits"})
    assert second.status_code == 201 and second.json()["unit"]["code"] == "NONE"
    history = ann.get(url).json()
    assert [(d["version"], d["action"], d["code"], d["reviewer"]) for d in history] == [
        (1, "recode", "wsa_inclusive_ethos", "ann"), (2, "reject", "NONE", "bob")]
    assert history[1]["comment"] == "no category fits" and history[0]["created_at"] <= history[1]["created_at"]
    detail = ann.get(f"/projects/{pid}/units/{unit['id']}").json()
    assert detail["version"] == 2 and detail["status"] == "rejected" and detail["decisions"] == history
    # accept takes the suggestion's category
    other = all_units(service, pid, document_id=documents["birch"]["id"], status="pending")
    accepted = next(u for u in other if u["suggestion"]["category"])
    response = ann.post(f"/projects/{pid}/units/{accepted['id']}/decisions", json={"action": "accept", "expected_version": 0})
    assert response.status_code == 201
    assert response.json()["unit"]["code"] == accepted["suggestion"]["category"]
    assert response.json()["decision"]["suggestion_id"] == accepted["suggestion"]["id"]


def test_accepting_an_abstention_agrees_that_no_category_fits(service, documents):
    pid, ann = service.ids["project"], service.as_("ann")
    pending = all_units(service, pid, document_id=documents["birch"]["id"], status="pending")
    abstained = next((u for u in pending if not u["suggestion"]["category"]), None)
    if abstained is None:  # the small test model suggested a category everywhere: record an abstention as it would
        abstained = pending[-1]
        with service.client.app.state.context.sessions() as session:
            unit = session.get(UnitRow, abstained["id"])
            row = Suggestion(unit_id=unit.id, category=None, construct=None, confidence=0.3, ranked=[],
                             model_version=unit.suggestion.model_version)
            session.add(row)
            session.flush()
            unit.suggestion_id = row.id
            session.commit()
    answer = ann.post(f"/projects/{pid}/units/{abstained['id']}/decisions", json={"action": "accept", "expected_version": 0})
    assert answer.status_code == 201, answer.text
    assert answer.json()["unit"]["status"] == "accepted" and answer.json()["unit"]["code"] == "NONE"
    assert answer.json()["decision"]["action"] == "accept" and answer.json()["decision"]["code"] == "NONE"


def test_review_queue_filters_and_orders(service, documents, decided):
    pid = service.ids["project"]
    codebook = load_codebook()
    units = all_units(service, pid)
    by_confidence = all_units(service, pid, order="confidence")
    confidences = [u["suggestion"]["confidence"] for u in by_confidence]
    assert confidences == sorted(confidences) and len(by_confidence) == len(units)
    assert [u["position"] for u in all_units(service, pid, document_id=documents["cedar"]["id"])] == \
        list(range(documents["cedar"]["units"]))
    for status in ("pending", "accepted", "rejected", "recoded"):
        assert all_units(service, pid, status=status) == [u for u in units if u["status"] == status]
    current = {u["id"]: u["code"] or u["suggestion"]["category"] or "NONE" for u in units}
    category = codebook.category_ids[0]
    assert [u["id"] for u in all_units(service, pid, category=category)] == \
        [i for i, code in current.items() if code == category]
    construct = codebook.construct_ids[0]
    assert [u["id"] for u in all_units(service, pid, construct=construct)] == \
        [i for i, code in current.items() if codebook.construct_of(code) == construct]
    low = all_units(service, pid, max_confidence=0.3, min_confidence=0.1)
    assert low and all(0.1 <= u["suggestion"]["confidence"] <= 0.3 for u in low)
    page = service.as_("ann").get(f"/projects/{pid}/units", params={"limit": 2, "offset": 1}).json()
    assert page["total"] == len(units) and [u["id"] for u in page["items"]] == [u["id"] for u in units[1:3]]


def test_agreement_model_vs_reviewers_and_between_reviewers(service, documents, decided):
    pid, rita, codebook = service.ids["project"], service.as_("rita"), load_codebook()
    doc = documents["oak_lane"]["id"]
    units = all_units(service, pid, document_id=doc)
    scope = {"document_id": doc, "resamples": 100}
    model = rita.get(f"/projects/{pid}/agreement/model", params=scope)
    assert model.status_code == 200
    expected = agreement([u["suggestion"]["category"] for u in units], [u["code"] for u in units], codebook,
                         n_resamples=100)
    assert model.json()["n"] == len(units)
    for level in ("category", "construct"):
        assert model.json()[level] == json.loads(json.dumps(expected[level].to_dict()))
    reviewers = rita.get(f"/projects/{pid}/agreement/reviewers", params={**scope, "a": "ann", "b": "bob"})
    assert reviewers.status_code == 200
    ids = sorted(decided["ann"])
    expected = agreement([decided["ann"][i] for i in ids], [decided["bob"][i] for i in ids], codebook,
                         n_resamples=100)
    assert (reviewers.json()["a"], reviewers.json()["b"], reviewers.json()["n"]) == ("ann", "bob", len(ids))
    for level in ("category", "construct"):
        assert reviewers.json()[level] == json.loads(json.dumps(expected[level].to_dict()))
    # without names: the pair that coded most units in common
    assert rita.get(f"/projects/{pid}/agreement/reviewers", params={"resamples": 100}).json()["a"] == "ann"
    section = rita.get(f"/projects/{pid}/agreement/model", params={**scope, "section": "recommendation"})
    assert section.json()["n"] == sum(u["section"] == "recommendation" for u in units)


def test_frequency_tables_over_project_document_and_section(service, documents, decided):
    pid, rita, codebook = service.ids["project"], service.as_("rita"), load_codebook()
    units = all_units(service, pid)
    current = [u["code"] or u["suggestion"]["category"] for u in units]
    table3 = rita.get(f"/projects/{pid}/frequencies").json()
    assert table3["rows"] == frequency_table(current, codebook).to_dict(orient="records")
    table5 = rita.get(f"/projects/{pid}/frequencies", params={"level": "construct", "by_section": True}).json()
    expected = frequency_table(current, codebook, "construct", groups=[u["section"] for u in units])
    assert table5["columns"] == list(expected.columns) and table5["rows"] == expected.to_dict(orient="records")
    doc = documents["oak_lane"]["id"]
    reviewed = rita.get(f"/projects/{pid}/frequencies", params={"codes": "reviewed", "document_id": doc,
                                                                "section": "strength"}).json()
    in_scope = [u["code"] for u in units if u["document_id"] == doc and u["section"] == "strength"]
    assert reviewed["rows"] == frequency_table(in_scope, codebook).to_dict(orient="records")
    markdown = rita.get(f"/projects/{pid}/frequencies", params={"format": "md", "published": True})
    assert markdown.headers["content-type"].startswith("text/markdown") and "| construct | category |" in markdown.text


def test_table5_with_intervals_over_the_projects_documents(service, decided, small_model_dir):
    pid, rita, codebook = service.ids["project"], service.as_("rita"), load_codebook()
    units = all_units(service, pid)
    documents = [str(u["document_id"]) for u in units]
    current = rita.get(f"/projects/{pid}/frequencies", params={"level": "construct", "intervals": True}).json()
    expected = construct_intervals([u["code"] or u["suggestion"]["category"] for u in units], documents, codebook)
    assert current["rows"] == expected.to_dict(orient="records") and "95% low" in current["columns"]
    # the suggestions alone are corrected for the active model's own held-out confusion
    confusion = json.loads((small_model_dir / "model.json").read_text(encoding="utf-8"))["construct_confusion"]
    model = rita.get(f"/projects/{pid}/frequencies", params={"level": "construct", "intervals": True,
                                                             "codes": "model"}).json()
    suggested = [u["suggestion"]["category"] for u in units]
    corrected = construct_intervals(suggested, documents, codebook, confusion)
    assert model["rows"] == corrected.to_dict(orient="records")
    assert model["rows"] != construct_intervals(suggested, documents, codebook).to_dict(orient="records")
    for params in ({"intervals": True}, {"level": "construct", "intervals": True, "published": True}):
        refused = rita.get(f"/projects/{pid}/frequencies", params=params)
        assert refused.status_code == 400 and "level=construct" in refused.json()["detail"]


def _export(service, pid, format):
    response = service.as_("rita").get(f"/projects/{pid}/export", params={"format": format})
    assert response.status_code == 200, response.text
    return response.content


def _imported(service, pid) -> set[tuple]:
    items = service.as_("rita").get(f"/projects/{pid}/training-data", params={"limit": 10000}).json()["items"]
    return {(i["ref"], i["doc"], i["start"], i["end"], i["text"], i["section"], i["code"], i["coder"]) for i in items}


@pytest.mark.parametrize("format", ["csv", "jsonl", "qdpx"])
def test_export_then_import_gives_the_same_codes(service, documents, decided, format):
    pid = service.ids["project"]
    reviewed = [u for u in all_units(service, pid) if u["status"] != "pending"]
    names = {d["id"]: name for name, d in documents.items()}
    expected = {(u["ref"], names[u["document_id"]], u["start"], u["end"], u["text"], u["section"], u["code"],
                 u["decision"]["reviewer"]) for u in reviewed}
    data = _export(service, pid, format)
    target = service.as_("admin").post("/projects", json={"name": f"round trip {format}"}).json()["id"]
    response = service.as_("rita").post(f"/projects/{target}/training-data", files={"file": (f"export.{format}", data)})
    assert response.status_code == 201, response.text
    assert response.json()["imported"] == len(reviewed)
    assert _imported(service, target) == expected


def test_csv_and_jsonl_exports_carry_suggestions_and_decisions(service, documents, decided):
    pid = service.ids["project"]
    rows = list(csv.DictReader(io.StringIO(_export(service, pid, "csv").decode("utf-8"))))
    records = [json.loads(line) for line in _export(service, pid, "jsonl").decode("utf-8").splitlines()]
    assert len(rows) == len(records) > 0
    for row, record in zip(rows, records):
        assert row["id"] == record["id"] and row["category"] == record["category"]
        assert record["coder"] in ("ann", "bob") and record["model_version"] and record["status"] != "pending"


def test_qdpx_export_follows_the_refi_qda_schema(service, documents, decided):
    pid = service.ids["project"]
    archive = zipfile.ZipFile(io.BytesIO(_export(service, pid, "qdpx")))
    project = etree.fromstring(archive.read("project.qde"))
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "Project.xsd")))
    assert schema.validate(project), schema.error_log
    ns = {"q": "urn:QDA-XML:project:1.0"}
    assert {u.get("name") for u in project.findall("q:Users/q:User", ns)} == {"ann", "bob"}
    constructs = project.findall("q:CodeBook/q:Codes/q:Code", ns)
    assert len(constructs) == 6 + 1  # the six constructs and NONE
    assert len(project.findall("q:CodeBook/q:Codes/q:Code/q:Code", ns)) == 27
    sources = project.findall("q:Sources/q:TextSource", ns)
    assert {s.get("name") for s in sources} == set(documents)
    for source in sources:
        text = archive.read("sources/" + source.get("plainTextPath").removeprefix("internal://")).decode("utf-8")
        for selection in source.findall("q:PlainTextSelection", ns):
            start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
            assert selection.get("name").endswith(f"{start}-{end}") or source.get("name") == "presegmented"
            assert text[start:end].strip() and selection.find("q:Coding/q:CodeRef", ns) is not None


def test_retrain_switch_model_and_resuggest(service, documents, decided):
    pid, rita = service.ids["project"], service.as_("rita")
    before = rita.get(f"/projects/{pid}").json()["model_version"]
    job = rita.post(f"/projects/{pid}/models")
    assert job.status_code == 202 and job.json()["status"] == "queued"
    assert rita.get(f"/projects/{pid}/jobs/{job.json()['id']}").json()["status"] == "queued"  # the request only queues
    assert service.run_jobs() == [job.json()["id"]]
    done = rita.get(f"/projects/{pid}/jobs/{job.json()['id']}").json()
    assert done["attempts"] == 1
    assert done["status"] == "done", done
    new = done["model_version"]
    models = {m["version"]: m for m in rita.get("/models").json()}
    assert new != before and models[new]["origin"] == "trained" and models[new]["project_id"] == pid
    assert models[new]["train_units"] == len([u for u in all_units(service, pid) if u["status"] != "pending"])
    assert rita.get(f"/projects/{pid}").json()["model_version"] == before  # not active until switched
    # trained as `autocoder train` trains: temperature and threshold fitted on its own out-of-fold predictions
    with service.client.app.state.context.sessions() as session:
        paths = {v: Path(session.get(ModelVersion, v).path) for v in (before, new)}
    saved = {v: json.loads((path / "model.json").read_text(encoding="utf-8")) for v, path in paths.items()}
    evaluation = json.loads((paths[new] / "evaluation.json").read_text(encoding="utf-8"))
    assert saved[new]["params"]["temperature"] == evaluation["temperature"] != saved[before]["params"]["temperature"]
    assert saved[new]["params"]["threshold"] == evaluation["threshold"]["threshold"]
    assert saved[new]["threshold_choice"] == evaluation["threshold"]
    assert evaluation["cross_validation"]["n"] == evaluation["train_units"]
    assert rita.put(f"/projects/{pid}/model", json={"version": new}).json()["model_version"] == new
    refreshed = rita.post(f"/projects/{pid}/suggestions").json()
    pending = all_units(service, pid, status="pending")
    assert refreshed == {"units": len(pending), "model_version": new}
    assert all(u["suggestion"]["model_version"] == new for u in pending)
    decided_units = [u for u in all_units(service, pid) if u["status"] != "pending"]
    assert all(u["suggestion"]["model_version"] == before for u in decided_units)
    assert rita.put(f"/projects/{pid}/model", json={"version": before}).status_code == 200


def _snapshot(service, pid) -> dict:
    rita = service.as_("rita")
    units = all_units(service, pid)
    return {
        "projects": rita.get("/projects").json(), "users": service.as_("admin").get("/users").json(),
        "documents": rita.get(f"/projects/{pid}/documents").json(), "units": units,
        "history": [rita.get(f"/projects/{pid}/units/{u['id']}/decisions").json() for u in units],
        "models": rita.get("/models").json(), "training": rita.get(f"/projects/{pid}/training-data").json(),
    }


def test_restart_loses_nothing(service, documents, decided):
    pid = service.ids["project"]
    before = _snapshot(service, pid)
    assert any(before["history"]) and before["documents"]
    with service.client.app.state.context.sessions() as session:  # a job whose worker stopped with the service
        job = Job(project_id=pid, kind="train", status="running", created_by=service.ids["rita"])
        session.add(job)
        session.commit()
    with running(service.settings, service.tokens) as restarted:
        assert _snapshot(restarted, pid) == before
        # the job survives the restart: its worker is gone, so the next worker takes it again and finishes it
        assert restarted.run_jobs() == [job.id]
        interrupted = restarted.as_("rita").get(f"/projects/{pid}/jobs/{job.id}").json()
        assert interrupted["status"] == "done" and interrupted["attempts"] == 1, interrupted
        unit = next(u for u in before["units"] if u["status"] == "pending")
        response = restarted.as_("ann").post(f"/projects/{pid}/units/{unit['id']}/decisions",
                                            json={"action": "reject", "expected_version": 0})
        assert response.status_code == 201
    assert service.as_("ann").get(f"/projects/{pid}/units/{unit['id']}").json()["status"] == "rejected"
