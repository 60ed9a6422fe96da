"""`autocoder create-admin` and `autocoder serve --demo` as an operator runs them: real processes, real HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import time

import httpx
import pytest

from autocoder.corpus import CORPORA_DIR
from benchmarks.reliability.server import CLI, free_port

pytestmark = pytest.mark.slow  # starts real server processes


@pytest.fixture
def environment(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "AUTOCODER_MODEL_DIR")}
    return {**env, "AUTOCODER_DATA_DIR": str(tmp_path / "data")}


def test_create_admin_then_serve_the_demo_project(environment, tmp_path):
    created = subprocess.run([*CLI, "create-admin", "alice"], env=environment, capture_output=True, text=True,
                             timeout=120)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    again = subprocess.run([*CLI, "create-admin", "alice"], env=environment, capture_output=True, text=True, timeout=120)
    assert again.returncode == 2 and "already exists" in again.stderr and "Traceback" not in again.stderr

    port = free_port()
    log = (tmp_path / "serve.log").open("w+")
    server = subprocess.Popen([*CLI, "serve", "--host", "127.0.0.1", "--port", str(port), "--demo"],
                              env=environment, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "service did not become ready"
            time.sleep(0.5)
        assert httpx.get(f"{base}/health").json() == {"status": "ok"}
        assert "swagger" in httpx.get(f"{base}/docs").text.lower()
        assert httpx.get(f"{base}/projects").status_code == 401
        auth = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{base}/me", headers=auth).json()["name"] == "alice"
        [demo] = httpx.get(f"{base}/projects", headers=auth).json()
        documents = httpx.get(f"{base}/projects/{demo['id']}/documents", headers=auth).json()
        assert len(documents) == len(list((CORPORA_DIR / "documents" / "synthetic").glob("report_*.md")))
        queue = httpx.get(f"{base}/projects/{demo['id']}/units", params={"status": "pending", "order": "confidence"},
                          headers=auth).json()
        assert queue["total"] > 100 and queue["items"][0]["suggestion"]["model_version"] == demo["model_version"]
        # the demo admin and the start's tokens are admin actions too: in the audit log, as the command line's
        log = httpx.get(f"{base}/audit", headers=auth).json()["items"]
        assert [(e["action"], e["target"], e["details"]) for e in reversed(log)
                if e["actor"].startswith("command line")][1:] == [
            ("user.create", "user 2 (demo-reviewer)", {"role": "reviewer"}),
            ("member.add", f"project {demo['id']} (demo)", {"user": "demo-reviewer"}),
            ("token.issue", "user 2 (demo-reviewer)", {"expires_in_days": 7}),
            ("user.create", "user 3 (demo-admin)", {"role": "admin"}),
            ("token.issue", "user 3 (demo-admin)", {"expires_in_days": 7}),
        ]
    finally:
        server.terminate()
        server.wait(timeout=30)
    lines = [json.loads(line) for line in (tmp_path / "serve.log").read_text().splitlines() if line.startswith("{")]
    requests = [line for line in lines if line["message"] == "request"]
    assert {"method", "path", "status", "duration_ms", "request_id"} <= set(requests[-1])
    assert any(line["path"] == "/projects" and line["status"] == 401 for line in requests)
    assert not (tmp_path / "data" / "autocoder.db").stat().st_size == 0
