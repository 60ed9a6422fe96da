"""Faults injected into real processes, and what must hold after them.

The service (`autocoder serve`) is killed with SIGKILL in the middle of an upload (while the body is still
arriving, and after the file is saved but before the document is committed), of a retraining job and of a
stream of decisions, then restarted on the same data; `autocoder batch` is killed mid-run and run again; and
PostgreSQL is stopped under the running service and started again. Each fault gives a detail
`{"fault", "recovered", "note", "checks"}`: `checks` names every property tested (the kill landed where it
was meant to, nothing half-written is visible, nothing acknowledged is lost, the service serves again), and
`recovered` is true only if all of them hold.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from api.errors import DATABASE_UNAVAILABLE

from .server import CLI, SYNTHETIC_REPORTS, Postgres, PostgresUnavailable, Seeded, Server, seed
from .team import DecidingTeam

ROOT = Path(__file__).resolve().parents[2]
TRAINING_DATA = ROOT / "corpora" / "coded" / "train.jsonl"
"""1,357 human-coded units: retraining on them takes seconds, long enough to be killed in the middle."""
BATCH_BACKEND = "onnx-int8"
SMALL_REPORT = b"""# Peer challenge report

## Areas of strength
- Staff share an inclusive vision and parents help shape the support their children receive.

## Recommendations
- Give the SENDCo protected leadership time each week.
"""


def run(model_dir: Path | None = None, postgres: Postgres | None = None, batch_reports: int = 8) -> dict:
    """Every fault once: upload, retraining and decisions on SQLite; decisions and an outage on PostgreSQL
    (`postgres`, else a throwaway server started here; skipped without PostgreSQL binaries); the batch."""
    details: list[dict] = []
    skipped: list[str] = []
    with tempfile.TemporaryDirectory(prefix="autocoder-faults-") as scratch:
        scratch = Path(scratch)
        with Server(scratch / "sqlite", None, model_dir) as server:
            server.start()
            seeded = seed(server, reviewers=4, reports=2, name="faults")
            details += [attempt(fault, server, seeded)
                        for fault in (upload_in_flight, upload_before_commit, retraining, decisions)]
        own = None
        if postgres is None:
            try:
                postgres = own = Postgres()
            except PostgresUnavailable as exc:
                skipped.append(f"PostgreSQL faults: {exc}")
        try:
            if postgres is not None:
                with Server(scratch / "postgresql", postgres.new_database(), model_dir) as server:
                    server.start()
                    seeded = seed(server, reviewers=4, reports=2, name="faults")
                    details += [attempt(decisions, server, seeded),
                                attempt(database_outage, server, seeded, postgres)]
        finally:
            if own is not None:
                own.close()
        details.append(attempt(batch, scratch / "batch", batch_reports))
    return {"injected": len(details), "recovered": sum(d["recovered"] for d in details), "details": details,
            "skipped": skipped}


def attempt(fault: Callable[..., dict], *args) -> dict:
    """The fault's result; if checking it broke off with an error, a failed result saying so."""
    try:
        return fault(*args)
    except Exception as exc:  # the run goes on to the other faults and reports this one as not recovered
        return {"fault": fault.__name__, "recovered": False, "checks": {},
                "note": f"FAILED: {type(exc).__name__}: {str(exc)[:300]}"}


def outcome(fault: str, checks: dict[str, bool], note: str) -> dict:
    failed = [name for name, ok in checks.items() if not ok]
    return {"fault": fault, "recovered": not failed, "checks": checks,
            "note": f"FAILED: {'; '.join(failed)} ({note})" if failed else note}


def wait_for(condition: Callable[[], bool], timeout: float, interval: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


class Background:
    """One HTTP request in a thread; afterwards `.status` is its status code, or None if it got no answer."""

    def __init__(self, send: Callable[[], httpx.Response]):
        self.status: int | None = None
        self.error: str | None = None

        def call():
            try:
                self.status = send().status_code
            except httpx.HTTPError as exc:
                self.error = type(exc).__name__

        self.thread = threading.Thread(target=call, daemon=True)
        self.thread.start()

    def join(self) -> None:
        self.thread.join(timeout=120)


def answer(send: Callable[[], httpx.Response]) -> httpx.Response | None:
    """The response, or None if there was none (connection refused or reset)."""
    try:
        return send()
    except httpx.TransportError:
        return None


def status(response: httpx.Response | None) -> int | None:
    return None if response is None else response.status_code


def query(server: Server, sql: str) -> list[tuple]:
    """Rows straight from the service's database, to check what the API does not show (stored paths)."""
    engine = create_engine(server.settings.url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]
    finally:
        engine.dispose()


def documents(server: Server, seeded: Seeded) -> list[tuple]:
    with server.client(seeded.admin) as admin:
        listed = admin.get(f"/projects/{seeded.project}/documents").json()
        total = admin.get(f"/projects/{seeded.project}/units", params={"limit": 1}).json()["total"]
    return [(d["id"], d["name"], d["units"]) for d in listed] + [("units", total)]


def unreferenced_files(server: Server) -> list[str]:
    """Files under the uploads folder that no stored document points to."""
    stored = {Path(path).resolve() for (path,) in query(server, "SELECT stored_path FROM documents")}
    root = server.settings.uploads_dir
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and p.resolve() not in stored)


def upload_body(content: bytes, filename: str, boundary: str = "autocoder-fault") -> tuple[list[bytes], str]:
    """A multipart/form-data body in three parts (head, file, tail), and its content type."""
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            f"Content-Type: text/markdown\r\n\r\n").encode()
    return [head, content, f"\r\n--{boundary}--\r\n".encode()], f"multipart/form-data; boundary={boundary}"


def synthetic_text(min_bytes: int) -> bytes:
    """Real report text, the synthetic reports one after another, repeated to at least `min_bytes`."""
    corpus = b"\n\n".join(p.read_bytes() for p in sorted(SYNTHETIC_REPORTS.glob("report_*.md")))
    return corpus * (min_bytes // len(corpus) + 1)


def upload_in_flight(server: Server, seeded: Seeded, size: int = 4 * 2**20, chunk: int = 64 * 2**10,
                     delay: float = 0.02) -> dict:
    """Kill while a large upload is still arriving (sent slowly, in chunks): nothing of it is stored, and the
    same name can be uploaded afterwards."""
    before = documents(server, seeded)
    content = synthetic_text(size)[:size]
    (head, body, tail), content_type = upload_body(content, "slow.md")
    halfway, cut = threading.Event(), threading.Event()

    def slowly() -> Iterator[bytes]:
        yield head
        for offset in range(0, len(body), chunk):
            if cut.is_set():
                return
            yield body[offset:offset + chunk]
            if offset >= len(body) // 2:
                halfway.set()
            time.sleep(delay)
        yield tail

    with server.client(seeded.admin) as admin:
        upload = Background(lambda: admin.post(f"/projects/{seeded.project}/documents", content=slowly(),
                                               headers={"Content-Type": content_type}))
        reached_half = halfway.wait(timeout=120)
        server.kill()
        cut.set()
        upload.join()
    server.start()
    after, orphans = documents(server, seeded), unreferenced_files(server)
    with server.client(seeded.admin) as admin:
        again = admin.post(f"/projects/{seeded.project}/documents", files={"file": ("slow.md", SMALL_REPORT)})
    checks = {
        "kill landed mid-body": reached_half and upload.status is None,
        "no document or unit from the cut upload": after == before,
        "no orphan file in the uploads folder": not orphans,
        "the same upload succeeds after restart": again.status_code == 201,
    }
    return outcome("kill mid-upload (body in flight)", checks,
                   f"killed with half of {size // 2**20} MB sent (client: {upload.error or upload.status}); after "
                   f"restart documents {'unchanged' if after == before else 'CHANGED'}, {len(orphans)} orphan "
                   f"files; the same upload again: {again.status_code}")


def upload_before_commit(server: Server, seeded: Seeded, size: int = 100 * 2**10) -> dict:
    """Kill after the uploaded file is saved but before its document, units and suggestions are committed
    (while it is segmented and coded): no partial document, and the saved file is removed at restart."""
    before = documents(server, seeded)
    folder = server.settings.uploads_dir / str(seeded.project)
    existing = set(folder.glob("*")) if folder.exists() else set()
    with server.client(seeded.admin) as admin:
        upload = Background(lambda: admin.post(f"/projects/{seeded.project}/documents",
                                               files={"file": ("long.md", synthetic_text(size))}))
        saved = wait_for(lambda: folder.exists() and bool(set(folder.glob("*")) - existing), timeout=120)
        server.kill()
        upload.join()
    orphans_at_kill = len(set(folder.glob("*")) - existing) if folder.exists() else 0
    server.start()
    after, orphans = documents(server, seeded), unreferenced_files(server)
    checks = {
        "kill landed between saving the file and the commit": saved and upload.status is None,
        "no document or unit from the cut upload": after == before,
        "the saved file is removed at restart": not orphans,
    }
    return outcome("kill mid-upload (file saved, not committed)", checks,
                   f"{orphans_at_kill} saved upload folder at the kill, {len(orphans)} orphan files after restart; "
                   f"documents {'unchanged' if after == before else 'CHANGED'}")


def retraining(server: Server, seeded: Seeded) -> dict:
    """Kill the server and its job worker while a retraining job runs: after restart the job is taken again by the
    new worker once its lease runs out and finishes, the active model is unchanged and codes new units, and every
    registered model version is a complete model directory."""
    from autocoder.classify import CodebookClassifier

    with server.client(seeded.admin) as admin:
        imported = admin.post(f"/projects/{seeded.project}/training-data",
                              files={"file": (TRAINING_DATA.name, TRAINING_DATA.read_bytes())})
        active = admin.get(f"/projects/{seeded.project}").json()["model_version"]
        models = admin.get("/models").json()
        job = admin.post(f"/projects/{seeded.project}/models").json()

        def job_status() -> str:
            return admin.get(f"/projects/{seeded.project}/jobs/{job['id']}").json()["status"]

        running = wait_for(lambda: job_status() != "queued", timeout=120, interval=0.02)
        at_kill = job_status()
        server.kill()
    server.start()
    with server.client(seeded.admin) as admin:
        wait_for(lambda: job_status() in ("done", "failed"), timeout=300, interval=0.5)
        after = admin.get(f"/projects/{seeded.project}/jobs/{job['id']}").json()
        upload = admin.post(f"/projects/{seeded.project}/documents",
                            files={"file": ("after-training-kill.md", SMALL_REPORT)})
        units = admin.get(f"/projects/{seeded.project}/units",
                          params={"document_id": upload.json().get("id"), "limit": 1000}).json()["items"]
        project = admin.get(f"/projects/{seeded.project}").json()
        models_after = admin.get("/models").json()
    loadable = []
    for version, path in query(server, "SELECT version, path FROM model_versions"):
        try:
            loadable.append(CodebookClassifier.load(path).version == version)
        except Exception:  # any failure to load is what this check looks for
            loadable.append(False)
    checks = {
        "training data imported": imported.status_code == 201,
        "kill landed while the job ran": running and at_kill == "running",
        "job taken again after the restart and finished": after["status"] == "done" and after["attempts"] == 2,
        "active model unchanged": project["model_version"] == active,
        "only the retried job's model version registered": [m["version"] for m in models_after] == [
            *(m["version"] for m in models), after["model_version"]],
        "every registered model loads": all(loadable) and bool(loadable),
        "new units coded by the active model": upload.status_code == 201 and bool(units) and all(
            u["suggestion"]["model_version"] == active for u in units),
    }
    return outcome("kill mid-retraining", checks,
                   f"job {at_kill} at the kill, {after['status']} after restart (attempt {after['attempts']}); active model "
                   f"{'unchanged' if project['model_version'] == active else 'CHANGED'}, coded {len(units)} new units")


def decisions(server: Server, seeded: Seeded, reviewers: int = 4, acknowledged_before_kill: int = 20) -> dict:
    """Kill while reviewers post decisions (on units of their own, so every decision is accepted): every
    decision answered with 201 is in the log after restart, exactly once."""
    with DecidingTeam(server, seeded, reviewers, "kill") as team:
        enough = wait_for(lambda: len(team.acknowledged) >= acknowledged_before_kill, timeout=120)
        server.kill()
    server.start()
    logged = team.logged()
    acknowledged, sent = list(team.acknowledged), team.sent
    in_flight = len(sent) - len(acknowledged)
    lost = [tag for tag in acknowledged if logged[tag] == 0]
    checks = {
        f"at least {acknowledged_before_kill} decisions acknowledged before the kill": enough,
        "every acknowledged decision is in the log": not lost,
        "no decision stored twice": all(n == 1 for n in logged.values()),
        "no decision stored that was not sent": set(logged) <= set(sent),
    }
    return outcome(f"kill amid decisions ({server.backend})", checks,
                   f"{len(acknowledged)} acknowledged, {len(acknowledged) - len(lost)} of them in the log; "
                   f"{in_flight} in flight at the kill, {sum(logged[t] for t in sent if t not in acknowledged)} "
                   f"of them stored")


def database_outage(server: Server, seeded: Seeded, postgres: Postgres, recovery_timeout: float = 60) -> dict:
    """Stop PostgreSQL under the running service: requests get 503 with a clear message and Retry-After, /ready
    says not ready; start it again: the same process serves again, reads and writes, without a restart."""
    pid = server.pid
    with server.client(seeded.admin) as admin, server.client(next(iter(seeded.reviewers.values()))) as reviewer:
        unit = admin.get(f"/projects/{seeded.project}/units", params={"status": "pending", "limit": 1}
                         ).json()["items"][0]

        def decide() -> httpx.Response:
            return reviewer.post(f"/projects/{seeded.project}/units/{unit['id']}/decisions",
                                 json={"action": "reject", "expected_version": unit["version"],
                                       "comment": "after the outage"})

        requests = {
            "list projects": lambda: admin.get("/projects"),
            "review queue": lambda: admin.get(f"/projects/{seeded.project}/units"),
            "decide": decide,
            "ready": lambda: admin.get("/ready"),
        }
        before = status(admin.get("/projects"))
        postgres.stop("fast")
        try:
            during = {name: answer(send) for name, send in requests.items()}
            alive = status(answer(lambda: admin.get("/health")))
        finally:
            postgres.start()
        restarted = time.monotonic()
        back = wait_for(lambda: status(answer(lambda: admin.get("/projects"))) == 200, timeout=recovery_timeout,
                        interval=0.2)
        back_after = time.monotonic() - restarted
        decided = status(answer(decide))
        ready = status(answer(lambda: admin.get("/ready")))
        log = admin.get(f"/projects/{seeded.project}/units/{unit['id']}/decisions").json() if back else []
    checks = {
        "served before the outage": before == 200,
        "503 for every request during the outage": all(status(r) == 503 for r in during.values()),
        "a clear message and Retry-After": all(status(r) == 503 and r.json().get("detail") == DATABASE_UNAVAILABLE
                                               and r.headers.get("retry-after") for r in during.values()),
        "the process stays up (/health)": alive == 200,
        "serves again without a restart": back and server.process.poll() is None and server.pid == pid,
        "writes again after the outage": decided == 201 and any(d["comment"] == "after the outage" for d in log),
        "ready again": ready == 200,
    }
    statuses = Counter(status(r) for r in during.values())
    return outcome("PostgreSQL stopped under the service", checks,
                   f"during: {dict(statuses)} with {DATABASE_UNAVAILABLE!r}; 200s again {back_after:.1f} s after "
                   f"PostgreSQL was back, same process")


def batch(workdir: Path, reports: int = 8, kill_after: int = 2) -> dict:
    """Kill `autocoder batch` after `kill_after` reports are recorded, run it again: it resumes and its
    results are those of an uninterrupted run."""
    from autocoder.batch import run_batch
    from tests.test_batch import assert_same_results

    archive, out, clean = workdir / "archive", workdir / "resumed", workdir / "clean"
    archive.mkdir(parents=True)
    for path in sorted(SYNTHETIC_REPORTS.glob("report_*.md"))[:reports]:
        shutil.copy(path, archive / path.name)
    command = [*CLI, "batch", str(archive), "--out", str(out), "--backend", BATCH_BACKEND, "--workers", "1",
               "--chunk", "1"]
    ledger = out / "ledger.jsonl"
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: process.poll() is not None
                 or (ledger.exists() and ledger.read_bytes().count(b"\n") >= kill_after), timeout=300)
    finally:
        process.kill()
        process.wait()
    done = ledger.read_bytes().count(b"\n") if ledger.exists() else 0
    finished = (out / "units.parquet").exists()  # assembled at the end: the kill came too late
    resumed = subprocess.run(command, capture_output=True, text=True, timeout=600)
    manifest = run_batch(archive, clean, backend=BATCH_BACKEND, workers=1)
    try:
        assert_same_results(clean, out)
        same = True
    except (AssertionError, FileNotFoundError):
        same = False
    counts = json.loads((out / "manifest.json").read_text())["counts"] if resumed.returncode == 0 else {}
    checks = {
        "kill landed mid-run": kill_after <= done < reports and not finished,
        "the rerun resumes": resumed.returncode == 0 and counts.get("already_scored") == done,
        "every report in the results": counts.get("reports_in_results") == reports == manifest["counts"][
            "reports_in_results"],
        "results equal an uninterrupted run": same,
    }
    return outcome("kill mid-batch", checks,
                   f"killed with {done} of {reports} reports recorded; the rerun scored "
                   f"{counts.get('scored_this_run')} more; results {'equal' if same else 'DIFFER from'} a clean run")
