"""Every admin action is in the audit log, with who did it and to what, readable by admins only; a refused action
records nothing."""

from __future__ import annotations

import json

from .conftest import first_admin, running


def test_each_admin_action_is_recorded_once_with_its_actor_and_target(make_settings, monkeypatch):
    settings = make_settings()
    with running(settings, {"admin": first_admin(settings, monkeypatch)}) as service:
        admin = service.as_("admin")
        rita = service.add_user("rita", "researcher")
        ann = service.add_user("ann", "reviewer")
        assert admin.post(f"/users/{ann}/tokens", json={"expires_in_days": 30}).status_code == 201
        project = admin.post("/projects", json={"name": "audited"}).json()
        assert admin.post(f"/projects/{project['id']}/members", json={"user_id": ann}).status_code == 201
        assert admin.post(f"/projects/{project['id']}/members", json={"user_id": ann}).status_code == 201  # no change
        book = admin.get(f"/projects/{project['id']}/codebook").json()
        imported = admin.post("/projects/import-codebook", data={"name": "from a file"},
                              files={"file": ("book.json", json.dumps(book).encode())}).json()
        researcher = service.as_("rita")
        assert researcher.post(f"/projects/{project['id']}/training-data", files={"file": (
            "coded.csv", b"text,category\nStaff value every pupil here.,wsa_inclusive_ethos\n")}).status_code == 201
        assert researcher.put(f"/projects/{project['id']}/model",
                              json={"version": project["model_version"]}).status_code == 200
        # refused: a taken name, a reviewer assigned twice is no change, a bad file
        assert admin.post("/users", json={"name": "rita", "role": "reviewer"}).status_code == 409
        assert researcher.post(f"/projects/{project['id']}/training-data",
                               files={"file": ("coded.csv", b"text,category\nx,not_a_category\n")}).status_code == 400

        log = admin.get("/audit").json()
        assert service.as_("rita").get("/audit").status_code == 403
        assert service.as_("ann").get("/audit").status_code == 403

    events = [(e["actor"], e["action"], e["target"]) for e in reversed(log["items"])]
    assert log["total"] == len(events)
    assert events[0][1:] == ("user.create", "user 1 (admin)") and events[0][0].startswith("command line")
    pid, other = project["id"], imported["id"]
    assert events[1:] == [
        ("admin", "user.create", f"user {rita} (rita)"),
        ("admin", "user.create", f"user {ann} (ann)"),
        ("admin", "token.issue", f"user {ann} (ann)"),
        ("admin", "project.create", f"project {pid} (audited)"),
        ("admin", "member.add", f"project {pid} (audited)"),
        ("admin", "import.codebook", f"project {other} (from a file)"),
        ("rita", "import.training-data", f"project {pid} (audited)"),
        ("rita", "model.activate", f"project {pid} (audited)"),
    ]
    details = {e["action"]: e["details"] for e in log["items"]}
    assert details["token.issue"] == {"expires_in_days": 30}
    assert details["import.training-data"] == {"file": "coded.csv", "units": 1}
    assert details["model.activate"]["version"] == project["model_version"]
