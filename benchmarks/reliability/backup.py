"""Backups amid live decisions, with real processes: `autocoder backup` taken while reviewers decide against a
running `autocoder serve`, restored by `autocoder restore` into a fresh data directory (and, on PostgreSQL, a fresh
database); a service started on it must have every decision acknowledged before the backup began, the uploads and
a retrained model (made active and coding a new upload). Then damaged backups (truncated, bytes corrupted, a file
changed under its manifest, not a backup at all) are each refused with a clear error, the data left as it was.
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from api.db import make_engine
from api.orm import AuditEvent, Decision, Document, ModelVersion

from .faults import wait_for
from .server import CLI, SYNTHETIC_REPORTS, Server, new_database, seed
from .team import DecidingTeam

ACKNOWLEDGED_BEFORE_BACKUP = 20


def run(database_url: str | None = None, model_dir: Path | None = None, reviewers: int = 4) -> dict:
    """On `database_url` (None: SQLite); the restored copy gets a new database on the same server."""
    restored_url = new_database(database_url.rsplit("/", 1)[0]) if database_url else None
    with tempfile.TemporaryDirectory(prefix="autocoder-backup-") as scratch:
        scratch = Path(scratch)
        archive = scratch / "team.tar.gz"
        with Server(scratch / "live", database_url, model_dir) as live:
            live.start()
            seeded = seed(live, reviewers=reviewers, reports=2, name="backed up")
            trained = _retrain(live, seeded)
            with DecidingTeam(live, seeded, reviewers, "backup") as team:
                wait_for(lambda: len(team.acknowledged) >= ACKNOWLEDGED_BEFORE_BACKUP, timeout=120)
                began = time.monotonic()
                made = autocoder(live, "backup", str(archive), check=True)
                finished = time.monotonic()
                wait_for(lambda: any(at > finished for at in team.acknowledged.values()), timeout=30)
            with live.client(seeded.admin) as admin:
                documents = admin.get(f"/projects/{seeded.project}/documents").json()
        before = team.acknowledged_before(began)
        during = len(team.acknowledged_before(finished)) - len(before)

        with Server(scratch / "restored", restored_url, model_dir) as restored:
            put_back = autocoder(restored, "restore", str(archive), check=True)
            restored.start()
            logged = team.logged(restored)
            checks = _check_restored(restored, seeded, trained, documents)
            restored.stop()
            damaged = _damaged(restored, archive, scratch)
        files = _files_in(archive)
    return {"backend": "postgresql" if database_url else "sqlite", "backup_message": made.stderr.strip(),
            "restore_message": put_back.stderr.strip(), "acknowledged_before": len(before),
            "acknowledged_during": during, "found_after_restore": sum(logged[tag] == 1 for tag in before),
            "stored_twice": sum(n > 1 for n in logged.values()), "files": files, **checks,
            "damaged": len(damaged), "refused": sum(d["refused"] for d in damaged),
            "untouched": sum(d["untouched"] for d in damaged), "damaged_details": damaged}


def autocoder(server: Server, *args: str, check: bool = False) -> subprocess.CompletedProcess:
    """The `autocoder` command with the server's settings (data directory, database), as an operator runs it."""
    done = subprocess.run([*CLI, *args], env=server.env(), capture_output=True, text=True, timeout=600)
    if check and done.returncode != 0:
        raise RuntimeError(f"autocoder {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
    return done


def _retrain(server: Server, seeded) -> str:
    """A retrained model version (not made active), so the backup has a model of the data directory's own."""
    with server.client(seeded.admin) as admin:
        job = admin.post(f"/projects/{seeded.project}/models").json()
        while job["status"] in ("queued", "running"):
            time.sleep(0.5)
            job = admin.get(f"/projects/{seeded.project}/jobs/{job['id']}").json()
    if job["status"] != "done":
        raise RuntimeError(f"retraining failed: {job}")
    return job["model_version"]


def _check_restored(server: Server, seeded, trained: str, documents: list[dict]) -> dict:
    """The restored service's documents, files, models and audit log."""
    with server.client(seeded.admin) as admin:
        now = admin.get(f"/projects/{seeded.project}/documents").json()
        texts = [admin.get(f"/projects/{seeded.project}/documents/{d['id']}").status_code for d in now]
        switched = admin.put(f"/projects/{seeded.project}/model", json={"version": trained}).status_code
        report = sorted(SYNTHETIC_REPORTS.glob("report_*.md"))[2]
        upload = admin.post(f"/projects/{seeded.project}/documents",
                            files={"file": (report.name, report.read_bytes())}).json()
        coded_by = {u["suggestion"]["model_version"] for u in admin.get(
            f"/projects/{seeded.project}/units", params={"document_id": upload["id"], "limit": 1000}).json()["items"]}
        restores = [e for e in admin.get("/audit").json()["items"] if e["action"] == "backup.restore"]
    engine = make_engine(server.settings.url)
    try:
        with engine.connect() as connection:
            paths = [*connection.scalars(select(Document.stored_path)),
                     *connection.scalars(select(ModelVersion.path).where(ModelVersion.origin == "trained"))]
    finally:
        engine.dispose()
    data_dir = server.settings.data_dir.resolve()
    return {"documents_restored": [d["units"] for d in now] == [d["units"] for d in documents] and
            texts == [200] * len(now),
            # the restored documents, the upload just made and the retrained model
            "files_in_restored_data_dir": all(Path(p).exists() and Path(p).resolve().is_relative_to(data_dir)
                                              for p in paths) and len(paths) == len(now) + 1 + 1,
            "trained_model_codes_new_upload": switched == 200 and coded_by == {trained},
            "restore_in_audit_log": len(restores) == 1}


def _damaged(server: Server, archive: Path, scratch: Path) -> list[dict]:
    """Each kind of damaged backup restored over the restored data (the service stopped, as for any restore):
    refused (exit status 2, one line naming the problem), and the data as it was."""
    data = archive.read_bytes()
    corrupted = bytearray(data)
    middle = len(data) // 2
    corrupted[middle:middle + 64] = bytes(b ^ 0xFF for b in corrupted[middle:middle + 64])
    kinds = {"truncated": data[: len(data) * 6 // 10], "bytes corrupted": bytes(corrupted),
             "a file changed under its manifest": _with_a_file_changed(archive),
             "not a backup": b"just some text\n"}
    results = []
    for kind, content in kinds.items():
        path = scratch / f"damaged-{len(results)}.tar.gz"
        path.write_bytes(content)
        before = _state(server)
        refused = autocoder(server, "restore", str(path))
        message = refused.stderr.strip()
        results.append({"kind": kind, "exit": refused.returncode, "message": message,
                        "refused": refused.returncode == 2 and message.startswith("error:") and
                        "Traceback" not in message and len(message.splitlines()) == 1,
                        "untouched": _state(server) == before})
    return results


def _with_a_file_changed(archive: Path) -> bytes:
    """The archive with one upload's bytes changed and its manifest as it was."""
    out = io.BytesIO()
    with tarfile.open(archive, "r:gz") as source, tarfile.open(fileobj=out, mode="w:gz") as target:
        changed = False
        for member in source.getmembers():
            content = source.extractfile(member).read() if member.isfile() else None
            if content is not None and member.name.startswith("uploads/") and not changed:
                content, changed = content + b"\nchanged", True
                member.size = len(content)
            target.addfile(member, io.BytesIO(content) if content is not None else None)
    return out.getvalue()


def _state(server: Server) -> tuple:
    """What a restore would change: every file of the data directory with its checksum (the SQLite file among
    them), the database's decisions and audit events, and the folders beside it."""
    folder = server.settings.data_dir
    files = sorted((str(p.relative_to(folder)), hashlib.sha256(p.read_bytes()).hexdigest())
                   for p in folder.rglob("*") if p.is_file() and p.name != "serve.log")
    engine = make_engine(server.settings.url)
    try:
        with engine.connect() as connection:
            rows = (connection.scalar(select(func.count()).select_from(Decision)),
                    connection.scalar(select(func.max(Decision.id))),
                    connection.scalar(select(func.count()).select_from(AuditEvent)))
    finally:
        engine.dispose()
    beside = sorted(p.name for p in folder.parent.iterdir() if folder.name in p.name)  # kept or half-made copies
    return files, rows, beside


def _files_in(archive: Path) -> int:
    with tarfile.open(archive, "r:gz") as source:
        return sum(member.isfile() for member in source.getmembers())
