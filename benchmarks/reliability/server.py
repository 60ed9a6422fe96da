"""Real servers for the reliability runs: the service as `autocoder serve` runs it, on a free loopback port,
which can be killed (SIGKILL) and restarted on the same data; an app served in a thread of this process, for
runs that need the app's objects beside real HTTP (fuzzing, the browser tests); and a throwaway PostgreSQL
server (the test suite's too: tests/api/conftest.py starts it with `Postgres`), which can be stopped and
started again.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI

from api.cli import create_admin
from api.settings import Settings
from autocoder.pipeline import DEFAULT_MODEL

CLI = [sys.executable, "-c", "from autocoder.cli import main; main()"]
"""The `autocoder` command, run by this interpreter (the venv's), as its own process."""
HOST = "127.0.0.1"
SYNTHETIC_REPORTS = Path(__file__).resolve().parents[2] / "corpora" / "documents" / "synthetic"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def add_admin(app: FastAPI, name: str) -> str:
    """A new admin of an app made by `create_app` (its database migrated first, as `create-admin` does); their
    token."""
    return create_admin(name, app.state.settings)


@contextmanager
def served_in_thread(app: FastAPI) -> Iterator[str]:
    """`app` served by uvicorn in a thread of this process on a free loopback port; its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host=HOST, port=free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the service did not start")
        time.sleep(0.05)
    try:
        yield f"http://{HOST}:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


class Server:
    """`autocoder serve` in its own process on 127.0.0.1, on a data directory and database of its own.

    The port stays the same across restarts, so clients keep their base URL.
    """

    def __init__(self, data_dir: Path, database_url: str | None = None, model_dir: Path | None = None,
                 demo: bool = False, environment: dict[str, str] | None = None):
        """`environment`: more of the service's settings, as `AUTOCODER_*` variables."""
        self.settings = Settings(data_dir=Path(data_dir), database_url=database_url,
                                 model_dir=Path(model_dir or DEFAULT_MODEL), demo=demo)
        self.environment = dict(environment or {})
        self.port = free_port()
        self.base_url = f"http://{HOST}:{self.port}"
        self.log_path = self.settings.data_dir / "serve.log"
        self.process: subprocess.Popen | None = None

    @property
    def backend(self) -> str:
        return "postgresql" if self.settings.database_url else "sqlite"

    @property
    def pid(self) -> int:
        assert self.process is not None and self.process.poll() is None, "the server is not running"
        return self.process.pid

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "AUTOCODER_MODEL_DIR")}
        env.update(AUTOCODER_DATA_DIR=str(self.settings.data_dir), AUTOCODER_MODEL_DIR=str(self.settings.model_dir),
                   **self.environment)
        if self.settings.database_url:
            env["DATABASE_URL"] = self.settings.database_url
        return env

    def create_admin(self, name: str = "admin") -> str:
        """The token `autocoder create-admin NAME` prints, as an operator gets it."""
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        created = subprocess.run([*CLI, "create-admin", name], env=self.env(), capture_output=True, text=True,
                                 timeout=300)
        if created.returncode != 0:
            raise RuntimeError(f"create-admin failed: {created.stderr.strip()}")
        return created.stdout.strip()

    def start(self, timeout: float = 240) -> "Server":
        assert self.process is None or self.process.poll() is not None, "already running"
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:  # the child keeps its own descriptor
            self.process = subprocess.Popen([*CLI, "serve", "--host", HOST, "--port", str(self.port),
                                             *(["--demo"] if self.settings.demo else [])],
                                            env=self.env(), stdout=log, stderr=subprocess.STDOUT)
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.kill()
            raise
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with status {self.process.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.base_url}/ready", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server was not ready within {timeout:.0f} s:\n{self.log_tail()}")
            time.sleep(0.1)

    def sign_in_links(self) -> dict[str, str]:
        """The sign-in links `serve --demo` printed at its last start: user name -> link."""
        text = self.log_path.read_text(errors="replace")
        printed = text[text.rindex("The review page"):] if "The review page" in text else ""
        return dict(re.findall(r"^  (\S+) \(\w+\): (http://\S+/review#token=\S+)$", printed, re.MULTILINE))

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def workers(self) -> list[int]:
        """The process ids of the job workers this server started."""
        import psutil

        try:
            return [child.pid for child in psutil.Process(self.pid).children()]
        except (AssertionError, psutil.NoSuchProcess):
            return []

    def kill(self) -> None:
        """SIGKILL to the server and its job workers: no shutdown handler, no flush, no rollback, as a power cut
        stops them."""
        workers = self.workers()
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        for pid in workers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.process is not None:
            self.process.wait(timeout=60)

    def restart(self, timeout: float = 240) -> "Server":
        self.kill()
        return self.start(timeout)

    def stop(self) -> None:
        """An orderly stop (SIGTERM), or SIGKILL if it does not come within 30 s."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def client(self, token: str | None = None, timeout: float = 120) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=timeout,
                            headers={"Authorization": f"Bearer {token}"} if token else {})

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()


@dataclass
class Seeded:
    """A project set up over HTTP: its id, an admin's token, reviewers' tokens, and its units."""

    project: int
    admin: str
    reviewers: dict[str, str] = field(default_factory=dict)
    units: list[dict] = field(default_factory=list)


def seed(server: Server, reviewers: int, reports: int, name: str = "reliability") -> Seeded:
    """An admin (by `autocoder create-admin`), a project, `reviewers` reviewers assigned to it and the first
    `reports` synthetic reports uploaded, as a team would set it up."""
    token = server.create_admin()
    with server.client(token) as admin:
        project = _ok(admin.post("/projects", json={"name": name}))["id"]
        seeded = Seeded(project, token)
        for i in range(reviewers):
            user = _ok(admin.post("/users", json={"name": f"reviewer{i}", "role": "reviewer"}))
            _ok(admin.post(f"/projects/{project}/members", json={"user_id": user["id"]}))
            seeded.reviewers[user["name"]] = user["token"]
        for path in sorted(SYNTHETIC_REPORTS.glob("report_*.md"))[:reports]:
            _ok(admin.post(f"/projects/{project}/documents", files={"file": (path.name, path.read_bytes())}))
        seeded.units = _ok(admin.get(f"/projects/{project}/units", params={"limit": 1000}))["items"]
    return seeded


def _ok(response: httpx.Response) -> dict:
    if response.status_code >= 300:
        raise RuntimeError(f"{response.request.method} {response.request.url.path}: {response.status_code} "
                           f"{response.text[:300]}")
    return response.json()


# --- a throwaway PostgreSQL server -----------------------------------------------------------------------

class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries here, or no account to run them as."""


def postgres_bin() -> Path | None:
    """The folder of `initdb` and `pg_ctl`: on PATH, else Debian's /usr/lib/postgresql/<version>/bin."""
    on_path = shutil.which("pg_ctl")
    candidates = [Path(on_path).parent] if on_path else []
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    return next((d for d in candidates if (d / "initdb").exists() and (d / "pg_ctl").exists()), None)


class Postgres:
    """A fresh PostgreSQL server on 127.0.0.1 from the distribution's binaries, with trust authentication and
    fsync off (its data is thrown away). `close()` stops it and removes its files.

    Killing the service leaves PostgreSQL running, so fsync off does not weaken the faults' checks.
    """

    def __init__(self):
        self.bindir = postgres_bin()
        if self.bindir is None:
            raise PostgresUnavailable("PostgreSQL server binaries (initdb, pg_ctl) not found; "
                                      "`apt-get install postgresql`")
        self.run_as: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root: run it as Debian's postgres user
            try:
                account = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable("running as root and there is no 'postgres' user to run PostgreSQL "
                                          "as") from None
            self.run_as = ["runuser", "-u", "postgres", "--"]
        self.root = Path(tempfile.mkdtemp(prefix="autocoder-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        try:
            if self.run_as:
                os.chown(self.root, account.pw_uid, account.pw_gid)
            subprocess.run([*self.run_as, self.bindir / "initdb", "-D", self.data, "-U", "autocoder",
                            "--auth=trust", "-E", "UTF8", "--no-sync"], check=True, capture_output=True)
            self.start()
        except BaseException:
            self.close()
            raise

    @property
    def url(self) -> str:
        """libpq URL of the server (no database: add one with `new_database`)."""
        return f"postgresql://autocoder@{HOST}:{self.port}"

    def _ctl(self, *args, check: bool = True) -> None:
        subprocess.run([*self.run_as, self.bindir / "pg_ctl", "-D", self.data, *args], check=check,
                       capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-c listen_addresses={HOST} -p {self.port} -k {self.root} -c fsync=off -c full_page_writes=off"
        self._ctl("-l", self.root / "log", "-w", "-o", options, "start")

    def stop(self, mode: str = "fast") -> None:
        """`fast` disconnects clients and shuts down cleanly, as an administrator's restart does."""
        self._ctl("-m", mode, "-w", "stop")

    def new_database(self) -> str:
        return new_database(self.url)

    def close(self) -> None:
        if self.data.exists():
            self._ctl("-m", "immediate", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "Postgres":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


def new_database(server_url: str) -> str:
    """The URL of a new, empty database on the server at `server_url`."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{server_url}/{name}"
