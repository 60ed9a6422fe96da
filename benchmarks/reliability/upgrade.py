"""Upgrades keep data: a database made at the oldest migration the project shipped (0001) and filled as that
version stored things (its tables, reflected from the database: users and tokens, a project with its codebook and
model, a report coded by `autocoder.Pipeline`, decisions, training data, a job), then upgraded to head by the
service starting on it: everything reads back through the API, every decision as it was, and the old tokens still
sign in. A backup taken before the upgrade, restored after it (which migrates it), gives the same.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import secrets
import tempfile
import uuid
from datetime import datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, insert

from api.app import create_app
from api.backup import backup, restore
from api.db import MIGRATIONS, make_engine
from api.settings import Settings
from autocoder.codebook import DEFAULT_CODEBOOK
from autocoder.pipeline import DEFAULT_MODEL, Pipeline
from autocoder.types import NONE_CODE

from .server import SYNTHETIC_REPORTS, new_database

OLDEST = "0001"
WHEN = datetime(2026, 11, 23, 12, 0)
REVIEWERS = ("ann", "bob")


def run(database_url: str | None = None, model_dir: Path = DEFAULT_MODEL) -> dict:
    """On `database_url` (None: SQLite); the restored copy gets a new database on the same server."""
    restored_url = new_database(database_url.rsplit("/", 1)[0]) if database_url else None
    with tempfile.TemporaryDirectory(prefix="autocoder-upgrade-") as scratch:
        scratch = Path(scratch)
        old = Settings(data_dir=scratch / "old", database_url=database_url, model_dir=model_dir)
        old.data_dir.mkdir()
        engine = make_engine(old.url)
        try:
            with engine.begin() as connection:
                config = Config()
                config.set_main_option("script_location", str(MIGRATIONS))
                config.attributes["connection"] = connection
                command.upgrade(config, OLDEST)
            stored = _fill(engine, old)
        finally:
            engine.dispose()
        backup(old, scratch / "at-0001.tar.gz")
        upgraded = _read(old, stored)
        new = Settings(data_dir=scratch / "restored", database_url=restored_url, model_dir=model_dir)
        restore(new, scratch / "at-0001.tar.gz")
        restored = _read(new, stored)
    return {"backend": "postgresql" if database_url else "sqlite", "from": OLDEST, "to": upgraded["revision"],
            "decisions_before": len(stored["decisions"]), "units_before": stored["units"],
            "users_before": len(stored["tokens"]), "decisions_after": upgraded["decisions_intact"],
            "units_after": upgraded["units"], "users_after": upgraded["users_signed_in"],
            "restored_decisions": restored["decisions_intact"], "upgraded": upgraded, "restored": restored}


def _fill(engine, settings: Settings) -> dict:
    """Rows as version 0001 wrote them, into its own tables; what was stored, to check against later."""
    tables = MetaData()
    tables.reflect(engine)
    t = tables.tables
    pipeline = Pipeline.load(settings.model_dir)
    report = sorted(SYNTHETIC_REPORTS.glob("report_*.md"))[0]
    document, units, suggestions = next(pipeline.code_files([report]))
    upload = settings.uploads_dir / uuid.uuid4().hex / report.name
    upload.parent.mkdir(parents=True)
    upload.write_bytes(report.read_bytes())
    tokens = {name: secrets.token_urlsafe(32) for name in ("admin", "rita", *REVIEWERS)}
    roles = {"admin": "admin", "rita": "researcher", **{name: "reviewer" for name in REVIEWERS}}
    version = pipeline.model.version

    def add(c, table: str, rows: list[dict]) -> list[int]:
        """Insert in order, the ids as the database gave them (its sequences move on, as they did in use)."""
        result = c.execute(insert(t[table]).returning(t[table].c.id, sort_by_parameter_order=True), rows)
        return list(result.scalars())

    decisions = []
    with engine.begin() as c:
        users = dict(zip(tokens, add(c, "users", [{"name": name, "role": roles[name], "created_at": WHEN}
                                                  for name in tokens])))
        add(c, "tokens", [{"user_id": users[name], "token_hash": hashlib.sha256(token.encode()).hexdigest(),
                           "created_at": WHEN} for name, token in tokens.items()])
        c.execute(insert(t["model_versions"]), [{"version": version, "codebook_id": pipeline.codebook.id,
                                                 "path": str(Path(settings.model_dir).resolve()),
                                                 "origin": "initial", "created_at": WHEN}])
        [project] = add(c, "projects", [{"name": "coded before the upgrade", "created_at": WHEN,
                                         "codebook": json.loads(DEFAULT_CODEBOOK.read_text(encoding="utf-8")),
                                         "model_version": version}])
        c.execute(insert(t["members"]), [{"project_id": project, "user_id": users[name]} for name in REVIEWERS])
        [doc] = add(c, "documents", [{"project_id": project, "name": document.id, "filename": report.name,
                                      "stored_path": str(upload), "text": document.text, "created_at": WHEN}])
        unit_ids = add(c, "units", [{"project_id": project, "document_id": doc, "position": i, "ref": u.id,
                                     "start_char": u.start, "end_char": u.end, "text": u.text, "section": u.section,
                                     "version": 0, "status": "pending"} for i, u in enumerate(units)])
        suggestion_ids = add(c, "suggestions", [
            {"unit_id": unit, "category": s.category, "construct": s.construct, "confidence": s.confidence,
             "model_version": version, "created_at": WHEN, "ranked": [[code, round(p, 4)] for code, p in s.ranked]}
            for unit, s in zip(unit_ids, suggestions)])
        for unit, suggestion in zip(unit_ids, suggestion_ids):
            c.execute(t["units"].update().where(t["units"].c.id == unit).values(suggestion_id=suggestion))
        # every third unit: ann accepts the suggestion (or rejects when there is none); every other one of those
        # bob then recodes
        for k in range(0, len(units), 3):
            category = suggestions[k].category
            steps = [("ann", "accept", category) if category else ("ann", "reject", NONE_CODE)]
            if k % 2:
                steps.append(("bob", "recode", "sendco_role"))
            for v, (who, action, code) in enumerate(steps, start=1):
                decisions.append({"unit_id": unit_ids[k], "version": v, "action": action, "code": code,
                                  "suggestion_id": suggestion_ids[k], "reviewer_id": users[who],
                                  "comment": f"{who} on {units[k].id}", "created_at": WHEN})
            status = {"accept": "accepted", "reject": "rejected", "recode": "recoded"}[steps[-1][1]]
            c.execute(t["units"].update().where(t["units"].c.id == unit_ids[k])
                      .values(version=len(steps), status=status, code=steps[-1][2]))
        add(c, "decisions", decisions)
        add(c, "training_examples", [{"project_id": project, "doc": "imported", "code": "wsa_inclusive_ethos",
                                      "text": "Staff share an inclusive vision.", "source": "coded.csv",
                                      "created_at": WHEN}])
        add(c, "jobs", [{"project_id": project, "kind": "train", "status": "done", "model_version": version,
                         "created_by": users["rita"], "created_at": WHEN, "finished_at": WHEN}])
    refs = dict(zip(unit_ids, (u.id for u in units)))
    names = {i: name for name, i in users.items()}
    return {"tokens": tokens, "project": project, "document": doc, "units": len(units),
            "document_text": document.text, "decided_units": len(range(0, len(units), 3)),
            "decisions": sorted((refs[d["unit_id"]], d["version"], d["action"], d["code"], names[d["reviewer_id"]],
                                 d["comment"]) for d in decisions)}


def _read(settings: Settings, stored: dict) -> dict:
    """The service started on `settings` (migrating the database to head), read through the API."""
    with TestClient(create_app(settings)) as client:
        def get(user: str, path: str, **params):
            response = client.get(path, params=params, headers={"Authorization": f"Bearer {stored['tokens'][user]}"})
            response.raise_for_status()
            return response

        project = f"/projects/{stored['project']}"
        signed_in = sum(get(user, "/me").json()["name"] == user for user in stored["tokens"])
        units = get("admin", f"{project}/units", limit=1000).json()["items"]
        decisions = sorted((u["ref"], d["version"], d["action"], d["code"], d["reviewer"], d["comment"])
                           for u in units for d in get("admin", f"{project}/units/{u['id']}/decisions").json())
        exported = list(csv.DictReader(io.StringIO(get("rita", f"{project}/export", format="csv").text)))
        with client.app.state.context.engine.connect() as connection:
            revision = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one()
        text = get("ann", f"{project}/documents/{stored['document']}").json()["text"]
        return {"revision": revision, "users_signed_in": signed_in, "units": len(units),
                # each stored decision found, and no other: a count of the two lists' common entries
                "decisions_intact": len(set(decisions) & set(stored["decisions"]))
                if len(decisions) == len(set(decisions)) == len(stored["decisions"]) else 0,
                "document_text_intact": text == stored["document_text"],
                "exported_units": len(exported), "decided_units": stored["decided_units"],
                "training_examples": get("rita", f"{project}/training-data").json()["total"],
                "pending_units": get("ann", f"{project}/units", status="pending").json()["total"]}
