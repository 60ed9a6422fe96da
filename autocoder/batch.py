"""Score an archive of reports: every unit coded, the archive's Table 3 and Table 5, resumable and safe.

Each report's units go to their own part file (`parts/<key>.parquet`) and its own tables to
`tables/reports/<path>.table{3,5}.{md,csv}`, each written atomically, and only then is the report recorded in the
ledger (`ledger.jsonl`), keyed by its path, the hash of its bytes and the scorer (model version, encoder backend,
codebook). A rerun skips what the ledger holds, so a run killed at any point resumes without losing or
duplicating a unit. The archive's outputs (units, tables, chart, manifest) are assembled from the parts at the
end, in path order, so they are the same whatever ran the scoring: one process, a local pool of processes, or a
Dask cluster.

Scoring composes the library: `read_document`, `autocoder.Pipeline` (segmenting, and suggesting with each unit's
neighbours), `frequency_table`. Memory is bounded: reports are read, scored and written a chunk at a time, and the
outputs are streamed from the parts one report at a time.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import resource
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, wait
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from .backends import BACKENDS, atomic_write
from .classify import CodebookClassifier, encoder_path, model_codebook_path, recorded_confusion
from .codebook import Codebook
from .io import load_codebook
from .embed import Encoder
from .errors import InputError
from .frequencies import construct_interval_table, frequency_table, published_table, to_markdown
from .checks import document_warnings
from .pipeline import DEFAULT_MODEL, Pipeline
from .readers import SUFFIXES, read_document
from .types import NONE_CODE

ENGINES = ("local", "dask")
SCHEMA = pa.schema([
    ("id", pa.string()), ("doc", pa.string()), ("start", pa.int64()), ("end", pa.int64()), ("text", pa.string()),
    ("section", pa.string()), ("category", pa.string()), ("construct", pa.string()), ("confidence", pa.float64()),
    ("ranked", pa.string()), ("model", pa.string()), ("input_sha256", pa.string()),
])
"""One row per unit: `Unit.to_dict()` and `Suggestion.to_dict()` (ranked alternatives as JSON) and the hash
of the report file it came from."""
LEVELS = {"table3": "category", "table5": "construct"}


# --- scoring: the function every engine runs -------------------------------------------------------------

@dataclass(frozen=True)
class ScoringConfig:
    """Everything a worker needs to build its scorer; hashable, so each worker process builds it once."""

    model_dir: str
    codebook_path: str
    backend: str = "torch"
    threads: int | None = None
    """Threads for the encoder in each worker; None: the backend's default (all cores)."""


@dataclass(frozen=True)
class Job:
    doc: str
    """The report's path relative to the archive: its document id, unique within the archive."""
    path: str
    sha256: str


@dataclass
class ReportResult:
    doc: str
    sha256: str
    records: list[dict] | None = None
    tables: dict[str, str] = field(default_factory=dict)
    """The report's own Table 3 and Table 5 files, made here so that the main process only writes."""
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    """Units kept but worth a look (a line not in English), each naming the file and line."""


@dataclass
class ChunkResult:
    reports: list[ReportResult]
    seconds: dict[str, float] = field(default_factory=dict)


def _embedding_model(model_path: str, backend: str, threads: int | None):
    if backend == "torch":
        import torch

        if threads:
            torch.set_num_threads(threads)
        return Encoder(model_path).model
    from .backends import ExportedEncoder

    return ExportedEncoder(model_path, backend, threads=threads)


def encode_batch_size(backend: str) -> int:
    """Measured: the exported models run fastest on small batches of length-sorted units (less padding; ONNX
    Runtime's int8 kernels by half again); torch keeps the library's default."""
    return 64 if backend == "torch" else 8


class Scorer:
    """A worker's loaded models: reports in, unit records with suggestions out."""

    def __init__(self, config: ScoringConfig):
        # pypdf logs the damage it works around, once per file; what could not be read is in errors.csv.
        logging.getLogger("pypdf").setLevel(logging.ERROR)
        self.codebook = load_codebook(config.codebook_path)
        self.pipeline = Pipeline.load(config.model_dir, self.codebook)
        self.encoder_path = encoder_path(config.model_dir)
        self.embedder = _embedding_model(self.encoder_path, config.backend, config.threads)
        self.batch_size = encode_batch_size(config.backend)

    def score(self, jobs: Iterable[Job]) -> ChunkResult:
        seconds = Counter()
        reports = []
        for job in jobs:
            started = time.perf_counter()
            try:
                document = read_document(job.path, doc_id=job.doc)
                read = time.perf_counter()
                units = self.pipeline.segment(document)
            except InputError as exc:
                reports.append(ReportResult(job.doc, job.sha256, error=str(exc)))
                continue
            except Exception as exc:  # noqa: BLE001 - a parser failing on one file must not end a batch of thousands
                reports.append(ReportResult(job.doc, job.sha256, error=f"{job.path}: {exc.__class__.__name__}: {exc}"))
                continue
            segmented = time.perf_counter()
            records = self._code(units, job.sha256)
            coded = time.perf_counter()
            tables = table_files(frequency_tables([r["category"] for r in records], [r["section"] for r in records],
                                                  self.codebook))
            warnings = document_warnings(job.doc, document.text, units)
            reports.append(ReportResult(job.doc, job.sha256, records=records, tables=tables, warnings=warnings))
            seconds["read"] += read - started
            seconds["segment"] += segmented - read
            seconds["classify"] += coded - segmented
            seconds["tables"] += time.perf_counter() - coded
        return ChunkResult(reports, dict(seconds))

    def _code(self, units: list, sha256: str) -> list[dict]:
        """One report's units with their suggestions. The report is encoded on its own, by a fresh encoder
        sharing the loaded model: batched with other reports, a unit's embedding would depend (in its last
        bits, or more with int8 or bf16 arithmetic) on which reports it happened to share a batch with, and
        results would differ between a clean run, a resumed one and a distributed one."""
        if not units:
            return []
        self.pipeline.model.set_params(encoder=Encoder(self.encoder_path, model=self.embedder,
                                                       batch_size=self.batch_size))
        records = []
        for unit, suggestion in zip(units, self.pipeline.suggest(units)):
            coded = suggestion.to_dict()
            records.append({**unit.to_dict(), **coded, "ranked": json.dumps(coded["ranked"]), "input_sha256": sha256})
        return records


_SCORERS: dict[ScoringConfig, Scorer] = {}
"""The scorer of this process (a local worker, a Dask worker, or the main process): models load once."""


def score_chunk(config: ScoringConfig, jobs: list[Job]) -> ChunkResult:
    if config not in _SCORERS:
        _SCORERS[config] = Scorer(config)
    return _SCORERS[config].score(jobs)


# --- durable results: part files and the ledger ----------------------------------------------------------

def _write_text(target: Path, text: str) -> None:
    atomic_write(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))


class Ledger:
    """The reports whose part file is in place, one JSON line each, appended after the part is written."""

    def __init__(self, path: Path, parts: Path):
        self.path, self.parts = path, parts
        self.entries: dict[str, dict] = {}
        if path.exists():
            raw = path.read_bytes()
            complete = raw[: raw.rfind(b"\n") + 1]
            if len(complete) < len(raw):
                # A run killed while appending left half a line: drop it (its part is simply rescored).
                with path.open("r+b") as ledger:
                    ledger.truncate(len(complete))
            for line in complete.decode("utf-8").splitlines():
                entry = json.loads(line)
                self.entries[entry["key"]] = entry

    def done(self, key: str) -> bool:
        """Scored, and its part still there (a part deleted by hand is scored again)."""
        return key in self.entries and (self.parts / self.entries[key]["part"]).exists()

    def add(self, entry: dict) -> None:
        with self.path.open("a", encoding="utf-8") as ledger:
            ledger.write(json.dumps(entry) + "\n")
            ledger.flush()
            os.fsync(ledger.fileno())
        self.entries[entry["key"]] = entry


def part_key(scorer: str, doc: str, sha256: str) -> str:
    return hashlib.sha256(f"{scorer}\n{doc}\n{sha256}".encode()).hexdigest()[:40]


def _write_part(path: Path, records: list[dict]) -> None:
    table = pa.Table.from_pylist(records, schema=SCHEMA)
    atomic_write(path, lambda tmp: pq.write_table(table, tmp))


# --- the archive ------------------------------------------------------------------------------------------

def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def find_reports(archive: Path, exclude: Path | None = None) -> list[Path]:
    """Report files under `archive`, recursively, in path order; hidden files and the results folder are left out."""
    found = []
    for root, dirs, files in os.walk(archive):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and (exclude is None or Path(root, d).resolve() != exclude))
        found += [Path(root, f) for f in sorted(files) if not f.startswith(".") and Path(f).suffix.lower() in SUFFIXES]
    return found


def _check_paths(archive: Path, out: Path) -> None:
    if not archive.exists():
        raise InputError("archive folder not found", source=str(archive))
    if not archive.is_dir():
        raise InputError("archive is not a folder", source=str(archive))
    if out.exists() and not out.is_dir():
        raise InputError("results path exists and is not a folder", source=str(out))


@contextmanager
def _exclusive(out: Path):
    """One batch at a time per results folder; the lock goes with the process, even on kill -9."""
    with (out / ".lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError("another batch is writing to this results folder", source=str(out)) from None
        yield


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _results(config: ScoringConfig, chunks: Iterable[list[Job]], executor: Executor | None,
             in_flight: int) -> Iterator[ChunkResult]:
    """Chunk results as they finish; at most `in_flight` chunks are out at once, so memory stays bounded."""
    if executor is None:
        for chunk in chunks:
            yield score_chunk(config, chunk)
        return
    pending = set()
    for chunk in chunks:
        pending.add(executor.submit(score_chunk, config, chunk))
        if len(pending) >= in_flight:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            yield from (future.result() for future in done)
    while pending:
        done, pending = wait(pending, return_when=FIRST_COMPLETED)
        yield from (future.result() for future in done)


def _executor(stack: ExitStack, engine: str, workers: int, scheduler: str | None) -> tuple[Executor, int]:
    """The executor that runs `score_chunk`, and how many chunks it runs at once."""
    if engine == "dask":
        from distributed import Client, LocalCluster

        if scheduler is None:
            cluster = stack.enter_context(LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                       dashboard_address=None, silence_logs=logging.ERROR))
            client = stack.enter_context(Client(cluster))
        else:
            client = stack.enter_context(Client(scheduler))
        slots = sum(client.nthreads().values())
        return client.get_executor(pure=False), max(1, slots)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn, not fork: a forked copy of a process that has started torch or OpenMP threads can hang.
    return stack.enter_context(ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))), workers


# --- outputs ----------------------------------------------------------------------------------------------

def frequency_tables(codes: list, sections: list, codebook: Codebook) -> dict[str, pd.DataFrame]:
    """Table 3 and (for a codebook with constructs) Table 5 of coded units, split by report section."""
    return {name: frequency_table(codes, codebook, level, groups=sections) for name, level in LEVELS.items()
            if level == "category" or codebook.constructs}


def table_files(tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    """File name -> contents: each table as markdown and as CSV."""
    return {f"{name}.{kind}": to_markdown(table) if kind == "md" else table.to_csv(index=False)
            for name, table in tables.items() for kind in ("md", "csv")}


def construct_chart(table5, codebook: Codebook, path: Path, label: str = "this archive") -> None:
    """The archive's construct proportions beside the paper's (three frameworks and the school reports)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    published = published_table(codebook, "construct")
    series = [(f"{s.id}: {s.name}", published[f"{s.id} prop"].to_numpy()) for s in codebook.samples]
    series.append((f"{label} ({int(table5['all n'].sum())} coded units)", table5["all prop"].to_numpy()))
    names = [c.name for c in codebook.constructs]
    x, width = np.arange(len(names)), 0.8 / len(series)
    fig, ax = plt.subplots(figsize=(11, 6.5))
    for i, (name, values) in enumerate(series):
        ax.bar(x + (i - (len(series) - 1) / 2) * width, values, width, label=name,
               hatch="//" if i == len(series) - 1 else None, edgecolor="black", linewidth=0.4)
    ax.set_xticks(x, [n.replace(" ", "\n", 1) for n in names], fontsize=9)
    ax.set_ylabel("proportion of coded units")
    ax.set_title("Construct proportions (Table 5): this archive beside the paper's samples")
    # The samples' names are long: the legend goes under the plot, not over the bars.
    fig.legend(loc="lower center", fontsize=7.5, frameon=False)
    fig.tight_layout(rect=(0, 0.2, 1, 1))
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=120, format="png"))
    plt.close(fig)


def assemble(out: Path, entries: list[dict], codebook: Codebook, confusion: dict | None = None) -> dict:
    """units.parquet/.csv, the archive's tables and the chart, streamed from the part files one at a time."""
    counts: Counter = Counter()
    constructs = [*codebook.construct_ids, NONE_CODE]
    per_report = np.zeros((len(entries), len(constructs)))
    parquet_tmp, csv_tmp = out / ".units.parquet.tmp", out / ".units.csv.tmp"
    with pq.ParquetWriter(parquet_tmp, SCHEMA) as parquet, pa_csv.CSVWriter(csv_tmp, SCHEMA) as csv:
        for row, entry in enumerate(entries):
            table = pq.read_table(out / "parts" / entry["part"], schema=SCHEMA)
            parquet.write_table(table)
            csv.write_table(table)
            counts.update(zip(table.column("section").to_pylist(), table.column("category").to_pylist()))
            for construct in table.column("construct").to_pylist():
                per_report[row, constructs.index(construct or NONE_CODE)] += 1
    os.replace(parquet_tmp, out / "units.parquet")
    os.replace(csv_tmp, out / "units.csv")
    # The archive tables from counts, not from every unit held in memory.
    pairs = [pair for pair, n in counts.items() for _ in range(n)]
    tables = frequency_tables([c for _, c in pairs], [s for s, _ in pairs], codebook)
    for name, text in table_files(tables).items():
        _write_text(out / "tables" / name, text)
    totals = {"units": sum(counts.values()), "coded_units": sum(n for (_, c), n in counts.items() if c)}
    if "table5" in tables:
        construct_chart(tables["table5"], codebook, out / "constructs.png")
        intervals = construct_interval_table(per_report, codebook, confusion)
        for name, text in table_files({"table5_intervals": intervals}).items():
            _write_text(out / "tables" / name, text)
        totals["table5_intervals"] = intervals.attrs["method"]
    return totals


def _write_errors(path: Path, errors: list[dict]) -> None:
    table = pa.Table.from_pylist(errors, schema=pa.schema([("doc", pa.string()), ("error", pa.string())]))
    atomic_write(path, lambda tmp: pa_csv.write_csv(table, tmp))


def _peak_rss_mib() -> dict[str, float]:
    """Peak resident memory of this process and of the largest local worker process (Linux reports KiB)."""
    return {"main": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "largest_worker": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


# --- the batch --------------------------------------------------------------------------------------------

def run_batch(archive: str | Path, out: str | Path, model_dir: str | Path | None = None,
              codebook_path: str | Path | None = None, backend: str = "torch", engine: str = "local",
              workers: int | None = None, scheduler: str | None = None, chunk_size: int = 8,
              progress: Callable[[int, int], None] | None = None) -> dict:
    """Score every report under `archive` into `out`; returns the run manifest (also `out/manifest.json`).

    `engine` "local" scores in this process (`workers` 1) or a pool of `workers` processes (default: one per
    core); "dask" on a Dask cluster: a local one of `workers` processes, or the one at `scheduler` (which
    implies "dask").
    `progress(done, pending)` is called as reports finish.
    """
    started = time.perf_counter()
    archive, out = Path(archive), Path(out)
    engine = "dask" if scheduler else engine
    if backend not in BACKENDS:
        raise InputError(f"unknown backend {backend!r}; expected one of {', '.join(BACKENDS)}")
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")
    if chunk_size < 1 or (workers or 0) < 0:
        raise InputError("the chunk size must be at least 1 and the number of workers at least 0")
    _check_paths(archive, out)
    cores = os.cpu_count() or 1
    workers = workers or cores
    reports = find_reports(archive, exclude=out.resolve())
    if not reports:
        raise InputError(f"no reports ({', '.join(SUFFIXES)}) in the archive folder", source=str(archive))

    model_dir = Path(model_dir or DEFAULT_MODEL)
    codebook_path = Path(codebook_path or model_codebook_path(model_dir))
    codebook = load_codebook(codebook_path)
    version = CodebookClassifier.load(model_dir, codebook=codebook).version
    codebook_sha = _file_sha256(codebook_path)
    scorer = f"{version}/{backend}/{codebook_sha[:12]}"
    pool = engine == "dask" or workers > 1
    if not pool:
        threads = cores
    elif scheduler:
        threads = None  # the cluster's machines are not this one: each backend takes what its machine has
    else:
        threads = max(1, cores // workers)
    config = ScoringConfig(str(model_dir.resolve()), str(codebook_path.resolve()), backend, threads)

    out.mkdir(parents=True, exist_ok=True)
    with _exclusive(out):
        ledger = Ledger(out / "ledger.jsonl", out / "parts")
        jobs, done_keys, errors = [], [], []
        for path in reports:
            doc = path.relative_to(archive).as_posix()
            sha = _file_sha256(path)
            key = part_key(scorer, doc, sha)
            done_keys.append(key)
            if not ledger.done(key):
                jobs.append(Job(doc, str(path.resolve()), sha))
        skipped = len(reports) - len(jobs)
        if jobs and backend != "torch":
            # Export once, here, before any worker looks for the exported model.
            from .backends import exported_model

            exported_model(encoder_path(model_dir), backend)
        hashed = time.perf_counter()

        stage_seconds: Counter = Counter()
        scored_units = finished = 0
        # Workers end with this block, before the outputs are assembled, so their peak memory is counted.
        with ExitStack() as stack:
            executor, slots = _executor(stack, engine, workers, scheduler) if jobs and pool else (None, 1)
            # Two chunks per worker keep every worker busy while the results of the last are written.
            for result in _results(config, _chunks(jobs, chunk_size), executor, in_flight=2 * slots):
                stage_seconds.update(result.seconds)
                for report in result.reports:
                    finished += 1
                    if report.error is not None:
                        errors.append({"doc": report.doc, "error": report.error})
                        continue
                    key = part_key(scorer, report.doc, report.sha256)
                    _write_part(ledger.parts / f"{key}.parquet", report.records)
                    for name, text in report.tables.items():
                        _write_text(out / "tables" / "reports" / f"{report.doc}.{name}", text)
                    ledger.add({"key": key, "doc": report.doc, "input_sha256": report.sha256, "scorer": scorer,
                                "model": version, "backend": backend, "part": f"{key}.parquet",
                                "units": len(report.records), "warnings": report.warnings})
                    scored_units += len(report.records)
                if progress:
                    progress(finished, len(jobs))
        scoring_done = time.perf_counter()

        entries = sorted((ledger.entries[k] for k in done_keys if ledger.done(k)), key=lambda e: e["doc"])
        confusion = recorded_confusion(model_dir)
        warnings = [w for entry in entries for w in entry.get("warnings", [])]
        totals = assemble(out, entries, codebook, confusion) if entries else {"units": 0, "coded_units": 0}
        _write_errors(out / "errors.csv", sorted(errors, key=lambda e: e["doc"]))
        finished_at = time.perf_counter()
        scoring_seconds = scoring_done - hashed
        manifest = {
            "archive": str(archive.resolve()), "results": str(out.resolve()),
            "model": {"version": version, "directory": str(model_dir.resolve()), "encoder_backend": backend},
            "codebook": {"id": codebook.id, "path": str(codebook_path.resolve()), "sha256": codebook_sha},
            "scorer": scorer, "engine": engine, "workers": workers if pool else 1, "scheduler": scheduler,
            "chunk_size": chunk_size,
            "counts": {"reports_found": len(reports), "reports_in_results": len(entries),
                       "scored_this_run": len(jobs) - len(errors), "already_scored": skipped,
                       "errors": len(errors), "warnings": len(warnings), "units": totals["units"], "coded_units": totals["coded_units"],
                       "units_scored_this_run": scored_units},
            "seconds": {"total": round(finished_at - started, 3), "find_and_hash": round(hashed - started, 3),
                        "scoring": round(scoring_seconds, 3), "assembly": round(finished_at - scoring_done, 3),
                        "worker_stages": {k: round(v, 3) for k, v in sorted(stage_seconds.items())}},
            "units_per_second": round(scored_units / scoring_seconds, 1) if scored_units and scoring_seconds else None,
            "peak_rss_mib": {k: round(v, 1) for k, v in _peak_rss_mib().items()},
            "errors": sorted(errors, key=lambda e: e["doc"]),
            "warnings": warnings,
        }
        _write_text(out / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    return manifest

