"""Backups of the service's data, taken while it runs, and restoring one.

A backup is one gzip'd tar: `manifest.json` first (format, time, database backend and schema revision, the data
directory it came from, and each file's size and SHA-256), then the database (a copy made with SQLite's online
backup API, or a `pg_dump` custom-format dump), the uploads and every model version's files. The database is
copied first: an upload or a model is on disk before the rows naming it are committed, so every file the copied
rows name is in the archive (files newer than the copy come too, and the service removes orphan uploads at start).

Restoring checks the whole archive before changing anything: it must read to its end, every file must match the
manifest and the database must pass its integrity check. The new data directory is then built beside the old one,
migrated to this version's schema, and swapped in; the old one is kept, renamed. On PostgreSQL the dump is first
turned into SQL by `pg_restore` (which reads all of it), then the old schema is dropped and the dump loaded by
`psql` in one transaction, so a failure leaves the database as it was.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.config import Config
from sqlalchemy import make_url, select, text

from autocoder.errors import InputError

from .audit import record
from .db import MIGRATIONS, make_engine, migrate, session_factory
from .orm import Document, ModelVersion
from .settings import Settings

FORMAT = "autocoder-backup/1"
MANIFEST = "manifest.json"
SQLITE_FILE = "database/autocoder.db"
POSTGRES_DUMP = "database/autocoder.pgdump"
CHUNK = 1 << 20


class BackupError(InputError):
    """A backup that cannot be made or restored; nothing was changed."""


@dataclass(frozen=True)
class Restored:
    manifest: dict
    replaced: Path | None
    """Where the data directory as it was before the restore now is (None: there was none)."""


def postgres_bindir(*tools: str) -> Path | None:
    """The folder holding all of `tools` (PostgreSQL's programs): on PATH, else the newest of Debian's
    /usr/lib/postgresql/<version>/bin."""
    on_path = shutil.which(tools[0])
    candidates = [Path(on_path).parent] if on_path else []
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: _version(p.parent.name),
                         reverse=True)
    return next((d for d in candidates if all((d / tool).exists() for tool in tools)), None)


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def _postgres(tool: str, settings: Settings | None, *args: str) -> subprocess.CompletedProcess:
    """Run a PostgreSQL program, on the database `settings` name (None: no database, a file only)."""
    bindir = postgres_bindir(tool)
    if bindir is None:
        raise BackupError(f"{tool} not found: install PostgreSQL's client programs (`apt-get install "
                          f"postgresql-client`) to back up or restore a PostgreSQL database")
    database, env = [], dict(os.environ)
    if settings is not None:  # the password goes by the environment, not the command line others can see
        url = make_url(settings.url)
        env.update({"PGPASSWORD": url.password} if url.password else {})
        database = [f"--dbname={url.set(drivername='postgresql', password=None).render_as_string(hide_password=False)}"]
    done = subprocess.run([bindir / tool, *args, *database], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{tool} failed: {done.stderr.strip()}")
    return done


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _revision(url: str) -> str:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    finally:
        engine.dispose()


# --- backing up -------------------------------------------------------------------------------------------

def backup(settings: Settings, out: Path) -> dict:
    """Write a backup of the service's data to `out` (a new file: a failed backup leaves none); its manifest."""
    out = Path(out)
    if out.exists():
        raise BackupError(f"{out} already exists: a backup never overwrites a file")
    out.parent.mkdir(parents=True, exist_ok=True)
    backend = "sqlite" if settings.database_url is None else "postgresql"
    with tempfile.TemporaryDirectory(prefix=".backup-", dir=out.parent) as scratch:
        staging = Path(scratch) / "staging"
        (staging / "database").mkdir(parents=True)
        if backend == "sqlite":
            database = _copy_sqlite(settings.data_dir / "autocoder.db", staging / SQLITE_FILE)
            database_url = f"sqlite:///{database}"
        else:
            _postgres("pg_dump", settings, "--format=custom", "--no-owner", "--no-privileges",
                      f"--file={staging / POSTGRES_DUMP}")
            database_url = settings.url  # read after the dump: it names at least the model versions the dump has
        revision = _revision(database_url)
        external = _copy_files(settings, staging, database_url)
        manifest = {"format": FORMAT, "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "backend": backend, "revision": revision,
                    "data_dir": str(settings.data_dir.resolve()), "external_models": external,
                    "files": {str(p.relative_to(staging)): {"bytes": p.stat().st_size, "sha256": sha256(p)}
                              for p in sorted(staging.rglob("*")) if p.is_file()}}
        partial = Path(scratch) / "backup.tar.gz"
        with tarfile.open(partial, "w:gz") as archive:
            manifest_file = Path(scratch) / MANIFEST
            manifest_file.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
            archive.add(manifest_file, MANIFEST)
            for name in manifest["files"]:
                archive.add(staging / name, name)
        os.replace(partial, out)
    return manifest


def _copy_sqlite(source: Path, target: Path) -> Path:
    """SQLite's online backup: a consistent copy while the service reads and writes (it restarts the copy of
    pages a writer changed meanwhile, so it ends at one committed state)."""
    if not source.exists():
        raise BackupError(f"no database at {source}: nothing to back up")
    live, copy = sqlite3.connect(f"file:{source.resolve()}?mode=ro", uri=True), sqlite3.connect(target)
    try:
        live.backup(copy)
    finally:
        copy.close()
        live.close()
    return target


def _copy_files(settings: Settings, staging: Path, database_url: str) -> dict[str, str]:
    """Copy the uploads and models folders, and model versions kept elsewhere (the model the service was
    started with) under models/<version>; the latter as {version: folder in the archive}."""
    for folder in (settings.uploads_dir, settings.models_dir):
        if folder.is_dir():
            shutil.copytree(folder, staging / folder.name)
    external = {}
    for version, path in _model_paths(database_url):
        if not _inside(Path(path), settings.data_dir):
            folder = f"models/{version}"
            shutil.copytree(path, staging / folder, dirs_exist_ok=True)
            external[version] = folder
    return external


def _model_paths(database_url: str) -> list[tuple[str, str]]:
    """(version, path) of every model version the database names."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(select(ModelVersion.version, ModelVersion.path))]
    finally:
        engine.dispose()


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


# --- restoring --------------------------------------------------------------------------------------------

def restore(settings: Settings, archive_path: Path) -> Restored:
    """Replace the service's data with the backup's, once all of it checks out. Stop the service first."""
    archive_path = Path(archive_path)
    if not archive_path.is_file():
        raise BackupError(f"no backup file at {archive_path}")
    data_dir = settings.data_dir.resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{data_dir.name}-restore-", dir=data_dir.parent))
    try:
        manifest = _unpack(archive_path, staging)
        backend = "sqlite" if settings.database_url is None else "postgresql"
        if manifest["backend"] != backend:
            raise BackupError(f"{archive_path}: a backup of a {manifest['backend']} database cannot be restored "
                              f"into {backend}; set or unset DATABASE_URL to match")
        new_data = staging / "data"
        new_data.mkdir()
        for folder in ("uploads", "models"):
            if (staging / folder).is_dir():
                (staging / folder).rename(new_data / folder)
        if backend == "sqlite":
            (staging / SQLITE_FILE).rename(new_data / "autocoder.db")
            engine = make_engine(f"sqlite:///{new_data / 'autocoder.db'}")
        else:
            _postgres("psql", settings, "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1",
                      "--command=DROP SCHEMA public CASCADE", "--command=CREATE SCHEMA public",
                      f"--file={staging / 'restore.sql'}")
            engine = make_engine(settings.url)
        try:
            migrate(engine)
            with session_factory(engine)() as session:
                _move_paths(session, manifest, data_dir)
                record(session, None, "backup.restore", f"data directory {data_dir}", archive=archive_path.name,
                       taken_at=manifest["created_at"], revision=manifest["revision"])
                session.commit()
        finally:
            engine.dispose()
        replaced = _swap(new_data, data_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Restored(manifest, replaced)


def _unpack(archive_path: Path, staging: Path) -> dict:
    """Extract the archive into `staging` and check it against its manifest; the manifest."""
    try:
        with tarfile.open(archive_path, "r:gz") as archive:
            archive.extractall(staging, filter="data")  # refuses absolute paths, .., links out and devices
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile, OSError) as exc:
        raise BackupError(f"not a complete backup archive (truncated or corrupted): {exc}",
                          source=str(archive_path)) from None
    try:
        manifest = json.loads((staging / MANIFEST).read_text(encoding="utf-8"))
        files, revision = manifest["files"], manifest["revision"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"no readable manifest: {exc}", source=str(archive_path)) from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"not a backup of this format ({manifest.get('format')!r}, expected {FORMAT!r})",
                          source=str(archive_path))
    found = {str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file()} - {MANIFEST}
    if found != set(files):
        raise BackupError(f"the files do not match the manifest: missing {sorted(set(files) - found)[:5]}, "
                          f"unlisted {sorted(found - set(files))[:5]}", source=str(archive_path))
    for name, expected in files.items():
        if sha256(staging / name) != expected["sha256"]:
            raise BackupError(f"{name} does not match its checksum in the manifest", source=str(archive_path))
    if (staging / POSTGRES_DUMP).exists():  # reads the whole dump: a damaged one fails here, before any change
        _postgres("pg_restore", None, "--no-owner", "--no-privileges", f"--file={staging / 'restore.sql'}",
                  str(staging / POSTGRES_DUMP))
    known = {script.revision for script in migration_scripts().walk_revisions()}
    if revision not in known:
        raise BackupError(f"the database is at schema revision {revision!r}, which this version does not know "
                          f"(a backup from a newer version?)", source=str(archive_path))
    if (staging / SQLITE_FILE).exists():
        with sqlite3.connect(staging / SQLITE_FILE) as connection:
            verdict = connection.execute("PRAGMA integrity_check").fetchone()[0]
        connection.close()
        if verdict != "ok":
            raise BackupError(f"the database fails SQLite's integrity check: {verdict}", source=str(archive_path))
    return manifest


def migration_scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def _move_paths(session, manifest: dict, data_dir: Path) -> None:
    """Point the rows' file paths into the data directory they are restored to."""
    old = Path(manifest["data_dir"])
    for document in session.scalars(select(Document)):
        document.stored_path = str(_moved(Path(document.stored_path), old, data_dir))
    for model in session.scalars(select(ModelVersion)):
        if model.version in manifest["external_models"]:
            model.path = str(data_dir / manifest["external_models"][model.version])
        else:
            model.path = str(_moved(Path(model.path), old, data_dir))


def _moved(path: Path, old: Path, new: Path) -> Path:
    for base in (old, old.name):  # the service may have been given a relative data directory
        if path.is_relative_to(base):
            return new / path.relative_to(base)
    return path


def _swap(new_data: Path, data_dir: Path) -> Path | None:
    """Put `new_data` in the place of `data_dir`, keeping the old one under a dated name; where it went."""
    replaced = None
    if data_dir.exists():
        replaced = data_dir.with_name(f"{data_dir.name}.before-restore-"
                                      f"{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}")
        data_dir.rename(replaced)
    new_data.rename(data_dir)
    return replaced
