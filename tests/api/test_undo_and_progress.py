"""Undo as a decision (nothing is deleted), and the per-reviewer progress the review page's dashboard shows,
on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def service(make_team):
    with make_team(reviewers=("ann", "bob"), projects={"Oak Lane": ("ann", "bob")}, report="oak.md") as service:
        project = service.projects["Oak Lane"]
        service.ids.update(project=project.id, units=project.units)
        yield service


def decide(service, reviewer, unit_id, **body):
    return service.as_(reviewer).post(f"/projects/{service.ids['project']}/units/{unit_id}/decisions", json=body)


def unit(service, unit_id):
    return service.as_("rita").get(f"/projects/{service.ids['project']}/units/{unit_id}").json()


def test_undo_appends_a_decision_that_restores_the_state_before(service):
    first = service.ids["units"][0]
    assert decide(service, "ann", first, action="reject", expected_version=0).status_code == 201
    assert decide(service, "ann", first, action="recode", category="sendco_role", expected_version=1).status_code == 201
    undone = decide(service, "ann", first, action="undo", expected_version=2)
    assert undone.status_code == 201, undone.text
    body = undone.json()
    assert (body["decision"]["action"], body["decision"]["code"], body["decision"]["version"]) == ("undo", "sendco_role", 3)
    assert (body["unit"]["status"], body["unit"]["code"], body["unit"]["version"]) == ("rejected", "NONE", 3)
    assert body["unit"]["decision"]["action"] == "reject"  # the decision back in force
    # undo again: nothing in force, the unit is pending as it was before any decision
    again = decide(service, "ann", first, action="undo", expected_version=3).json()
    assert (again["unit"]["status"], again["unit"]["code"], again["unit"]["decision"]) == ("pending", None, None)
    detail = unit(service, first)
    assert [(d["version"], d["action"], d["code"]) for d in detail["decisions"]] == [
        (1, "reject", "NONE"), (2, "recode", "sendco_role"), (3, "undo", "sendco_role"), (4, "undo", "NONE")]
    assert detail["status"] == "pending" and detail["decision"] is None
    pending = service.as_("rita").get(f"/projects/{service.ids['project']}/units", params={"status": "pending"}).json()
    assert first in [u["id"] for u in pending["items"]]


def test_undo_is_refused_with_nothing_to_undo_someone_elses_decision_or_a_stale_version(service):
    second = service.ids["units"][1]
    nothing = decide(service, "ann", second, action="undo", expected_version=0)
    assert nothing.status_code == 400 and "no decision in force" in nothing.json()["detail"]
    assert decide(service, "bob", second, action="reject", expected_version=0).status_code == 201
    others = decide(service, "ann", second, action="undo", expected_version=1)
    assert others.status_code == 403 and "bob's" in others.json()["detail"]
    stale = decide(service, "bob", second, action="undo", expected_version=0)
    assert stale.status_code == 409 and stale.json()["unit"]["version"] == 1
    with_category = decide(service, "bob", second, action="undo", category="rights", expected_version=1)
    assert with_category.status_code == 400
    assert [d["action"] for d in unit(service, second)["decisions"]] == ["reject"]


def test_undone_decisions_leave_agreement_progress_and_exports(service):
    pid, units, rita = service.ids["project"], service.ids["units"], service.as_("rita")
    third, fourth = units[2], units[3]
    # both code the third unit the same; bob's recode of the fourth is undone, so only ann's counts there
    for reviewer, version in (("ann", 0), ("bob", 1)):
        assert decide(service, reviewer, third, action="recode", category="rights",
                      expected_version=version).status_code == 201
    assert decide(service, "ann", fourth, action="recode", category="sendco_role", expected_version=0).status_code == 201
    assert decide(service, "bob", fourth, action="recode", category="rights", expected_version=1).status_code == 201
    assert decide(service, "bob", fourth, action="undo", expected_version=2).status_code == 201
    assert unit(service, fourth)["code"] == "sendco_role" and unit(service, fourth)["decision"]["reviewer"] == "ann"

    progress = rita.get(f"/projects/{pid}/progress")
    assert progress.status_code == 200, progress.text
    # ann: third and fourth (the first was undone to pending); bob: second and third
    assert progress.json() == {"units": len(units), "reviewed": 3,
                               "reviewers": [{"name": "ann", "units": 2}, {"name": "bob", "units": 2}]}
    reviewers = rita.get(f"/projects/{pid}/agreement/reviewers", params={"a": "ann", "b": "bob", "resamples": 100})
    assert reviewers.json()["n"] == 1  # the third unit only: bob's code on the fourth was withdrawn
    export = rita.get(f"/projects/{pid}/export", params={"format": "jsonl"}).text
    assert '"coder": "ann"' in export.splitlines()[-1] and '"category": "sendco_role"' in export.splitlines()[-1]
    one_document = rita.get(f"/projects/{pid}/progress", params={"document_id": 999})
    assert one_document.json() == {"units": 0, "reviewed": 0, "reviewers": []}
    assert service.as_("ann").get(f"/projects/{pid}/progress").status_code == 403
