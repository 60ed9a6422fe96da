"""Long jobs (retraining) outside the request path: a queue in the service's database, taken by worker processes.

The service only queues a job. A worker (`autocoder worker`, or the one `autocoder serve` starts at a lower CPU
priority) takes the oldest queued job, renews its lease while it runs and records the outcome. On PostgreSQL any
number of workers, on any machine that reaches the database, take jobs with `FOR UPDATE SKIP LOCKED`; on SQLite
one worker does. A job whose worker stopped (killed, machine lost) is taken again when its lease runs out, up to
`MAX_ATTEMPTS` times, then failed with the reason.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from .orm import Job, utcnow

log = logging.getLogger("autocoder.worker")

HEARTBEAT_SECONDS = 5.0
"""How often a running job's worker renews its lease (`Settings.job_lease_seconds`, several times this)."""
MAX_ATTEMPTS = 3
POLL_SECONDS = 1.0
WORKER_NICENESS = 10
"""Workers run at this much lower CPU priority than the server: requests come first when both want a core."""


def enqueue(session: Session, project_id: int, kind: str, user_id: int) -> Job:
    job = Job(project_id=project_id, kind=kind, status="queued", created_by=user_id)
    session.add(job)
    session.commit()
    return job


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def release_lost(session: Session, lease: timedelta, now: datetime | None = None) -> list[int]:
    """Jobs whose worker's lease ran out: queued again, or failed after `MAX_ATTEMPTS`. The ids handled."""
    now = now or utcnow()
    stale = or_(Job.heartbeat_at.is_(None), Job.heartbeat_at < now - lease)  # None: running before workers had leases
    lost = session.scalars(select(Job).where(Job.status == "running", stale)
                           .with_for_update(skip_locked=True)).all()
    for job in lost:
        if job.attempts >= MAX_ATTEMPTS:
            job.status, job.finished_at = "failed", now
            job.error = f"interrupted: its worker stopped {job.attempts} times before the job finished"
        else:
            job.status, job.worker = "queued", None
        log.warning("job lost its worker", extra={"job": job.id, "attempts": job.attempts, "now": job.status})
    session.commit()
    return [job.id for job in lost]


def claim(session: Session, worker: str) -> Job | None:
    """The oldest queued job, now running under `worker`; None when none is queued. The row lock (PostgreSQL)
    or SQLite's single writer keeps two workers from taking the same job."""
    job = session.scalars(select(Job).where(Job.status == "queued").order_by(Job.id).limit(1)
                          .with_for_update(skip_locked=True)).first()
    if job is None:
        session.rollback()
        return None
    now = utcnow()
    taken = session.execute(update(Job).where(Job.id == job.id, Job.status == "queued")
                            .values(status="running", worker=worker, attempts=Job.attempts + 1, started_at=now,
                                    heartbeat_at=now)
                            .execution_options(synchronize_session=False))
    session.commit()
    if taken.rowcount != 1:  # another worker took it between the read and the update
        return None
    return session.get(Job, job.id, populate_existing=True)


class Lease:
    """Renews a running job's heartbeat from a thread until the job ends."""

    def __init__(self, sessions: sessionmaker[Session], job_id: int, worker: str):
        self.sessions, self.job_id, self.worker = sessions, job_id, worker
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew, daemon=True, name=f"lease-{job_id}")

    def _renew(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                with self.sessions() as session:
                    session.execute(update(Job).where(Job.id == self.job_id, Job.worker == self.worker)
                                    .values(heartbeat_at=utcnow()))
                    session.commit()
            except Exception:  # a database blip: the next beat tries again, well inside the lease
                log.warning("could not renew a job's lease", exc_info=True, extra={"job": self.job_id})

    def __enter__(self) -> "Lease":
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()


Runner = Callable[[Session, Job], str | None]
"""Runs a job in the worker; returns the model version it made, if any. Raises to fail the job."""


def run_one(sessions: sessionmaker[Session], runners: dict[str, Runner], lease: timedelta,
            worker: str | None = None) -> int | None:
    """Take one job and run it; the job's id, or None when none was queued."""
    worker = worker or worker_name()
    with sessions() as session:
        release_lost(session, lease)
        job = claim(session, worker)
        if job is None:
            return None
        with Lease(sessions, job.id, worker):
            try:
                version = runners[job.kind](session, job)
                job.status, job.model_version, job.error = "done", version, None
            except Exception as exc:  # a failed job is recorded on the job for the caller; the worker goes on
                log.exception("job failed", extra={"job": job.id})
                session.rollback()
                job = session.get(Job, job.id)
                job.status, job.error = "failed", str(exc) or type(exc).__name__
        job.finished_at = utcnow()
        session.commit()
        return job.id


def run_queued(sessions: sessionmaker[Session], runners: dict[str, Runner], lease: timedelta) -> list[int]:
    """Every job queued now, one after another, in this process (what a worker does; tests call it directly)."""
    done = []
    while (job_id := run_one(sessions, runners, lease)) is not None:
        done.append(job_id)
    return done


def work(sessions: sessionmaker[Session], runners: dict[str, Runner], lease: timedelta,
         parent: int | None = None) -> None:
    """Take jobs until stopped (or, for the worker `serve` starts, until its server process is gone)."""
    worker = worker_name()
    log.info("worker started", extra={"worker": worker})
    while True:
        if parent is not None and os.getppid() != parent:
            log.info("the server that started this worker is gone: stopping")
            return
        try:
            ran = run_one(sessions, runners, lease, worker)
        except Exception:  # the database out of reach: wait and try again, as the service does
            log.warning("could not take a job", exc_info=True)
            ran = None
        if ran is None:
            time.sleep(POLL_SECONDS)


def lower_priority() -> None:
    """Give the CPU to the server first: a worker shares the machine's cores with the requests reviewers wait on."""
    try:
        os.nice(WORKER_NICENESS)
    except OSError:  # not permitted here: run at the same priority
        pass
