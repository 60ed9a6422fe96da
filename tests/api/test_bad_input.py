"""Bad requests get a 4xx with a clear message, and leave everything stored as it was."""

from __future__ import annotations

import json

import pytest

from .conftest import REPORT, foreign_qdpx, qdpx_with

LIMIT = 100_000


@pytest.fixture(scope="module")
def service(make_team):
    with make_team(reviewers=("ann",), projects={"bad input": ("ann",)}, report="oak.md",
                   max_upload_bytes=LIMIT) as service:
        project = service.projects["bad input"]
        service.ids.update(pid=project.id, did=project.document["id"], uid=project.units[0])
        yield service


def stored(service) -> dict:
    pid, rita = service.ids["pid"], service.as_("rita")
    uploads = service.settings.uploads_dir / str(pid)
    return {
        "projects": rita.get("/projects").json(), "documents": rita.get(f"/projects/{pid}/documents").json(),
        "units": rita.get(f"/projects/{pid}/units", params={"limit": 1000}).json(),
        "decisions": rita.get(f"/projects/{pid}/units/{service.ids['uid']}/decisions").json(),
        "training": rita.get(f"/projects/{pid}/training-data").json()["total"],
        "uploads": sorted(p.name for p in uploads.iterdir()), "users": service.as_("admin").get("/users").json(),
    }


def _upload(name: str, data: bytes) -> dict:
    return {"files": {"file": (name, data)}}


BAD = [
    # (who, method, path, request arguments, status, words in the message)
    ("rita", "POST", "/projects/{pid}/documents", _upload("r.docx", b"PK\x03\x04 not really a docx"), 400, "not a readable .docx"),
    ("rita", "POST", "/projects/{pid}/documents", _upload("r.pdf", b"%PDF-1.4 broken"), 400, "not a readable PDF"),
    ("rita", "POST", "/projects/{pid}/documents", _upload("r.txt", b"\x00\x01\x02binary"), 400, "binary file"),
    ("rita", "POST", "/projects/{pid}/documents", _upload("r.txt", "café au lait".encode("latin-1")), 400, "not UTF-8"),
    ("rita", "POST", "/projects/{pid}/documents", _upload("r.md", b"   \n"), 400, "no text"),
    ("rita", "POST", "/projects/{pid}/documents", _upload("r.exe", b"MZ"), 400, "unsupported file type '.exe'"),
    ("rita", "POST", "/projects/{pid}/documents", {"files": {"file": ("oak.md", REPORT.encode())}}, 409, "already has a document named 'oak'"),
    ("rita", "POST", "/projects/{pid}/documents", _upload("big.md", b"word " * (LIMIT // 5 + 10)), 413, "over the limit"),
    ("rita", "POST", "/projects/{pid}/documents", {"data": {"name": "no file"}}, 422, "file"),
    ("rita", "POST", "/projects/{pid}/documents/units", _upload("u.jsonl", b'{"id": 1, "text": "ok here now"}\n{oops\n'), 400, "u.jsonl:2: malformed JSON"),
    ("rita", "POST", "/projects/{pid}/documents/units", _upload("u.jsonl", b'{"id": 1, "text": "a b c", "section": "intro"}\n'), 400, "unknown section 'intro'"),
    ("rita", "POST", "/projects/{pid}/documents/units", _upload("u.csv", b"id,text\n1,a b c\n1,d e f\n"), 400, "duplicate id"),
    ("ann", "POST", "/projects/{pid}/units/{uid}/decisions", {"json": {"action": "recode", "category": "made_up", "expected_version": 0}}, 400, "unknown category 'made_up'"),
    ("ann", "POST", "/projects/{pid}/units/{uid}/decisions", {"json": {"action": "recode", "expected_version": 0}}, 400, "recode needs 'category'"),
    ("ann", "POST", "/projects/{pid}/units/{uid}/decisions", {"json": {"action": "reject", "category": "wsa_inclusive_ethos", "expected_version": 0}}, 400, "recode only"),
    ("ann", "POST", "/projects/{pid}/units/{uid}/decisions", {"json": {"action": "shrug", "expected_version": 0}}, 422, "accept"),
    ("ann", "POST", "/projects/{pid}/units/{uid}/decisions", {"json": {"action": "reject", "expected_version": -1}}, 422, "expected_version"),
    ("ann", "POST", "/projects/{pid}/units/{uid}/decisions", {"content": b'{"action": "reject",', "headers": {"content-type": "application/json"}}, 422, "JSON decode error"),
    ("ann", "POST", "/projects/{pid}/units/99999/decisions", {"json": {"action": "reject", "expected_version": 0}}, 404, "no unit 99999"),
    ("rita", "GET", "/projects/99999/units", {}, 404, "no project 99999"),
    ("rita", "GET", "/projects/{pid}/documents/99999", {}, 404, "no document 99999"),
    ("rita", "GET", "/projects/{pid}/jobs/99999", {}, 404, "no job 99999"),
    ("rita", "GET", "/projects/{pid}/units", {"params": {"category": "made_up"}}, 400, "unknown category 'made_up'"),
    ("rita", "GET", "/projects/{pid}/units", {"params": {"construct": "made_up"}}, 400, "unknown construct 'made_up'"),
    ("rita", "GET", "/projects/{pid}/units", {"params": {"order": "random"}}, 422, "order"),
    ("rita", "GET", "/projects/{pid}/agreement/model", {}, 409, "no reviewed units"),
    ("rita", "GET", "/projects/{pid}/agreement/reviewers", {"params": {"a": "ann"}}, 400, "name both reviewers"),
    ("rita", "GET", "/projects/{pid}/export", {"params": {"format": "docx"}}, 422, "format"),
    ("rita", "PUT", "/projects/{pid}/model", {"json": {"version": "nope"}}, 404, "no model version 'nope'"),
    ("rita", "POST", "/projects/{pid}/training-data", _upload("c.csv", b"text,category\nfine text,wsa_inclusive_ethos\nbad,made_up\n"), 400, "c.csv:3: unknown category id 'made_up'"),
    ("rita", "POST", "/projects/{pid}/training-data", _upload("c.jsonl", b'{"category": "NONE"}\n'), 400, "missing field 'text'"),
    ("rita", "POST", "/projects/{pid}/training-data", _upload("c.qdpx", b"not a zip"), 400, "not a zip archive"),
    ("rita", "POST", "/projects/{pid}/training-data", _upload("c.qdpx", qdpx_with(b"<Project/>")), 400, "does not follow the REFI-QDA schema"),
    ("rita", "POST", "/projects/{pid}/training-data", _upload("c.qdpx", qdpx_with(b"<oops")), 400, "not well-formed XML"),
    ("rita", "POST", "/projects/{pid}/training-data", _upload("c.qdpx", foreign_qdpx("Made-up code")), 400, "codes not in the project's codebook 'send_peer_challenge': Made-up code"),
    ("admin", "POST", "/projects", {"json": {"name": "x", "codebook": {"id": "x", "constructs": []}}}, 400, "not a codebook"),
    ("admin", "POST", "/projects", {"json": {"name": "bad input"}}, 409, "already exists"),
    ("admin", "POST", "/projects", {"json": {"name": ""}}, 422, "name"),
    ("admin", "POST", "/projects/import-codebook", {"data": {"name": "y"}, **_upload("b.json", b"{not json")}, 400, "not valid JSON"),
    ("admin", "POST", "/projects/import-codebook", {"data": {"name": "y"}, **_upload("b.qdc", b"<CodeBook/>")}, 400, "REFI-QDA schema"),
    ("admin", "POST", "/users", {"json": {"name": "ann", "role": "reviewer"}}, 409, "already exists"),
    ("admin", "POST", "/users", {"json": {"name": "zoe", "role": "owner"}}, 422, "role"),
    ("admin", "POST", "/users/99999/tokens", {}, 404, "no user 99999"),
    ("admin", "POST", "/projects/{pid}/members", {"json": {"user_id": 99999}}, 404, "no user 99999"),
]


@pytest.mark.parametrize("who,method,path,arguments,status,words", BAD,
                         ids=[f"{m} {p} {s} {w[:30]}" for _, m, p, _, s, w in BAD])
def test_bad_request_is_refused_clearly_and_changes_nothing(service, who, method, path, arguments, status, words):
    before = stored(service)
    response = service.as_(who).request(method, path.format(**service.ids), **arguments)
    assert response.status_code == status, response.text
    assert words in json.dumps(response.json()["detail"]), response.json()
    assert "Traceback" not in response.text
    assert stored(service) == before


def test_a_body_streamed_without_length_is_cut_off_at_the_limit(service):
    def chunks():
        yield b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.md\"\r\n\r\n"
        for _ in range(LIMIT // 1000 + 5):
            yield b"x" * 1000
        yield b"\r\n--b--\r\n"

    before = stored(service)
    response = service.as_("rita").post(f"/projects/{service.ids['pid']}/documents", content=chunks(),
                                        headers={"content-type": "multipart/form-data; boundary=b"})
    assert response.status_code == 413 and "over the limit" in response.json()["detail"]
    assert stored(service) == before


def test_a_line_not_in_english_is_kept_and_named_in_the_upload_response(service):
    report = "## Strengths\n- Parents are partners in planning.\n- يتم دعم التلاميذ بشكل جيد من قبل الموظفين\n"
    response = service.as_("rita").post(f"/projects/{service.ids['pid']}/documents",
                                        files={"file": ("mixed.md", report.encode())})
    assert response.status_code == 201, response.text
    assert response.json()["units"] == 2
    [warning] = response.json()["warnings"]
    assert warning.startswith("mixed.md:3: unit in Arabic script")
