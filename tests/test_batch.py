"""`autocoder batch` on archives of real files: outputs, tables, errors, resume after kill -9, and the same
results in one process, a local pool, a Dask cluster, and a run resumed after a kill."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from autocoder.batch import SCHEMA, assemble, frequency_tables, run_batch, table_files
from autocoder.segment import Segmenter
from benchmarks.reliability.server import CLI

from .commands import run_cli as cli
from .documents import write_docx, write_pdf

ROOT = Path(__file__).resolve().parent.parent
SYNTHETIC = sorted((ROOT / "corpora" / "documents" / "synthetic").glob("report_*.md"))
BACKEND = "onnx-int8"  # the command's default
BAD_FILES = {
    "bad/empty.txt": (b"", "document has no text"),
    "bad/binary.txt": (b"\x00\x01\x02\xff" * 50, "binary file"),
    "bad/latin1.txt": ("Caf\u00e9 provision is good for pupils.".encode("latin-1"), "not UTF-8"),
    "bad/broken.pdf": (b"%PDF-1.4 nonsense", "not a readable PDF"),
    "bad/broken.docx": (b"PK nonsense", "not a readable .docx"),
}


def units(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "units.parquet")


def assert_same_results(a: Path, b: Path) -> None:
    """Same units with the same codes; confidences may differ in the last digits when the encoder batched
    the units differently (another chunking, another process)."""
    left, right = units(a), units(b)
    exact = ["id", "doc", "start", "end", "text", "section", "category", "construct", "model", "input_sha256"]
    assert len(left) == len(right) and left["id"].is_unique
    pd.testing.assert_frame_equal(left[exact], right[exact])
    assert (left["confidence"] - right["confidence"]).abs().max() < 1e-3
    for table in ("table3.csv", "table5.csv"):
        assert (a / "tables" / table).read_text() == (b / "tables" / table).read_text()


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """Real reports of every type, in subfolders, and five that cannot be read."""
    root = tmp_path_factory.mktemp("archive")
    for path in SYNTHETIC[:4]:
        shutil.copy(path, root / path.name)
    (root / "2024" / "spring").mkdir(parents=True)
    shutil.copy(SYNTHETIC[4], root / "2024" / "spring" / "report_05.txt")
    write_docx(root / "2024" / "birch.docx")
    write_pdf(root / "2024" / "spring" / "elm.pdf")
    for name, (content, _) in BAD_FILES.items():
        (root / name).parent.mkdir(exist_ok=True)
        (root / name).write_bytes(content)
    (root / "notes.json").write_text("{}")  # not a report type: not looked at
    return root


@pytest.fixture(scope="module")
def clean_run(archive, tmp_path_factory):
    out = tmp_path_factory.mktemp("clean") / "results"
    return out, run_batch(archive, out, backend=BACKEND, workers=1)


def test_every_report_is_scored_with_offsets_sections_and_model(archive, clean_run):
    out, manifest = clean_run
    table = units(out)
    assert table.columns.tolist() == SCHEMA.names
    assert sorted(table["doc"].unique()) == ["2024/birch.docx", "2024/spring/elm.pdf", "2024/spring/report_05.txt",
                                              "report_01.md", "report_02.md", "report_03.md", "report_04.md"]
    for doc in ("report_01.md", "2024/spring/report_05.txt"):
        text = (archive / doc).read_text(encoding="utf-8")
        for row in table[table["doc"] == doc].itertuples():
            assert text[row.start:row.end] == row.text and row.id == f"{doc}:{row.start}-{row.end}"
    birch = table[table["doc"] == "2024/birch.docx"]
    assert birch["section"].dropna().unique().tolist() == ["strength", "development", "recommendation"]
    assert set(table["model"]) == {manifest["model"]["version"]}
    assert table["confidence"].between(0, 1).all()
    assert (table["construct"].isna() == table["category"].isna()).all()
    assert all(len(json.loads(r)) == 3 for r in table["ranked"])
    csv = pd.read_csv(out / "units.csv", keep_default_na=False)
    assert csv["id"].tolist() == table["id"].tolist()

    counts = manifest["counts"]
    assert (counts["reports_found"], counts["reports_in_results"], counts["errors"]) == (12, 7, 5)
    assert counts["units"] == len(table) and counts["scored_this_run"] == 7 and counts["already_scored"] == 0
    assert manifest["codebook"]["id"] == "send_peer_challenge" and manifest["model"]["encoder_backend"] == BACKEND
    assert json.loads((out / "manifest.json").read_text()) == manifest
    assert (out / "constructs.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for doc in table["doc"].unique():
        for name in ("table3.md", "table3.csv", "table5.md", "table5.csv"):
            assert (out / "tables" / "reports" / f"{doc}.{name}").exists()


def test_unreadable_reports_are_listed_and_the_batch_goes_on(clean_run):
    out, manifest = clean_run
    errors = pd.read_csv(out / "errors.csv")
    assert errors["doc"].tolist() == sorted(BAD_FILES)
    for doc, error in zip(errors["doc"], errors["error"]):
        assert BAD_FILES[doc][1] in error and doc.split("/")[1] in error
    assert manifest["errors"] == errors.to_dict("records")


def test_archive_tables_are_the_counts_of_the_units(clean_run, codebook):
    out, _ = clean_run
    table = units(out)
    coded = table[table["category"].notna()]
    table3 = pd.read_csv(out / "tables" / "table3.csv").set_index("category")
    assert table3["all n"].to_dict() == {c: int((coded["category"] == c).sum()) for c in codebook.category_ids}
    table5 = pd.read_csv(out / "tables" / "table5.csv").set_index("construct")
    for section in ("strength", "development", "recommendation"):
        in_section = Counter(coded.loc[coded["section"] == section, "construct"])
        assert table5[f"{section} n"].to_dict() == {k: in_section.get(k, 0) for k in codebook.construct_ids}
    report = pd.read_csv(out / "tables" / "reports" / "report_02.md.table5.csv").set_index("construct")
    assert report["all n"].sum() == coded["doc"].eq("report_02.md").sum()


def test_tables_against_hand_computed_counts(tmp_path, codebook):
    """Two reports whose codes are known: the archive's tables and a report's own must show what was counted
    by hand."""
    def unit(doc, i, section, category):
        return {"id": f"{doc}:{i}-{i + 1}", "doc": doc, "start": i, "end": i + 1, "text": "x", "section": section,
                "category": category, "construct": codebook.construct_of(category), "confidence": 0.9,
                "ranked": "[]", "model": "m", "input_sha256": "0"}

    parts = {
        "a.md": [unit("a.md", 0, "strength", "quality_teaching"), unit("a.md", 2, "strength", "quality_teaching"),
                 unit("a.md", 4, "development", "tracking_impact"), unit("a.md", 6, None, None)],
        "b.md": [unit("b.md", 0, "strength", "sendco_role"), unit("b.md", 2, "recommendation", "quality_teaching"),
                 unit("b.md", 4, "recommendation", "curriculum_breadth")],
    }
    (tmp_path / "parts").mkdir()
    for doc, records in parts.items():
        pq.write_table(pa.Table.from_pylist(records, schema=SCHEMA), tmp_path / "parts" / f"{doc}.parquet")
    totals = assemble(tmp_path, [{"doc": d, "part": f"{d}.parquet"} for d in parts], codebook)
    assert totals == {"units": 7, "coded_units": 6,
                      "table5_intervals": "bootstrap over documents, 2 documents"}
    intervals = pd.read_csv(tmp_path / "tables" / "table5_intervals.csv").set_index("construct")
    assert intervals.loc["learner_centredness", "all n"] == 4 and intervals["all n"].sum() == 6
    assert (intervals["95% low"] <= intervals["estimate"]).all() and (intervals["estimate"] <= intervals["95% high"]).all()

    table3 = pd.read_csv(tmp_path / "tables" / "table3.csv").set_index("category")
    assert table3.loc["quality_teaching", ["all n", "strength n", "development n", "recommendation n"]].tolist() == [3, 2, 0, 1]
    assert table3.loc["quality_teaching", "all prop"] == 0.5  # 3 of the 6 coded units
    assert table3.loc["tracking_impact", "development prop"] == 1.0
    assert table3["all n"].sum() == 6
    table5 = pd.read_csv(tmp_path / "tables" / "table5.csv").set_index("construct")
    # quality_teaching and curriculum_breadth are learner centredness; sendco_role operational diligence;
    # tracking_impact reciprocal vigilance.
    assert table5.loc["learner_centredness", ["all n", "all rank", "strength n", "recommendation n"]].tolist() == [4, "1st", 2, 2]
    assert table5.loc["operational_diligence", "strength prop"] == round(1 / 3, 3)
    assert table5.loc["reciprocal_vigilance", "all n"] == 1
    b_tables = frequency_tables([r["category"] for r in parts["b.md"]], [r["section"] for r in parts["b.md"]], codebook)
    per_report = b_tables["table5"].set_index("construct")
    assert per_report["all n"].to_dict() == {"co_constructivism": 0, "collectivism": 0, "learner_centredness": 2,
                                             "reciprocal_vigilance": 0, "operational_diligence": 1,
                                             "transformative_professional_learning": 0}
    assert per_report.loc["learner_centredness", "recommendation n"] == 2
    assert (tmp_path / "tables" / "table5.md").read_text().startswith("| construct | name | all n | all prop | all rank |")
    assert table_files(b_tables)["table5.csv"] == b_tables["table5"].to_csv(index=False)


def test_rerun_skips_what_is_scored_and_rescores_a_changed_report(archive, clean_run, tmp_path):
    out = tmp_path / "results"
    shutil.copytree(clean_run[0], out)
    again = run_batch(archive, out, backend=BACKEND, workers=1)
    assert again["counts"]["already_scored"] == 7 and again["counts"]["scored_this_run"] == 0
    assert_same_results(clean_run[0], out)

    changed = tmp_path / "archive"
    shutil.copytree(archive, changed)
    (changed / "report_03.md").write_text((changed / "report_03.md").read_text() + "\n- Staff are trained well.\n")
    third = run_batch(changed, out, backend=BACKEND, workers=1)
    assert third["counts"]["scored_this_run"] == 1 and third["counts"]["already_scored"] == 6
    table = units(out)
    assert table["id"].is_unique and "Staff are trained well." in table["text"].tolist()


def test_kill_9_then_resume_gives_the_clean_result(tmp_path):
    """A real kill: the batch is started as a process and sent SIGKILL after some reports are done."""
    archive = tmp_path / "archive"
    for folder in ("north", "south"):
        (archive / folder).mkdir(parents=True)
        for path in SYNTHETIC[:12]:
            shutil.copy(path, archive / folder / path.name)
    out = tmp_path / "results"
    args = ["batch", archive, "--out", out, "--backend", BACKEND, "--workers", "1", "--chunk", "1"]
    process = subprocess.Popen([*CLI, *map(str, args)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ledger = out / "ledger.jsonl"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        if ledger.exists() and ledger.read_bytes().count(b"\n") >= 3:
            break
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    done = ledger.read_bytes().count(b"\n")
    assert 3 <= done < 24, "the kill must land mid-run"
    assert not (out / "units.parquet").exists()

    cli(*args)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["already_scored"] == done and manifest["counts"]["reports_in_results"] == 24
    clean = tmp_path / "clean"
    run_batch(archive, clean, backend=BACKEND, workers=1)
    assert_same_results(clean, out)


def test_local_pool_and_dask_cluster_give_the_same_results(archive, clean_run, tmp_path):
    pool = run_batch(archive, tmp_path / "pool", backend=BACKEND, workers=2, chunk_size=2)
    assert pool["workers"] == 2
    assert_same_results(clean_run[0], tmp_path / "pool")
    dask = run_batch(archive, tmp_path / "dask", backend=BACKEND, engine="dask", workers=2, chunk_size=2)
    assert dask["engine"] == "dask" and dask["counts"]["errors"] == 5
    assert_same_results(clean_run[0], tmp_path / "dask")


def test_a_running_dask_cluster_is_reached_by_its_scheduler_address(archive, clean_run, tmp_path):
    """As with a real cluster: the scheduler and its worker run apart from the batch, which only connects."""
    import logging

    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster:
        manifest = run_batch(archive, tmp_path / "remote", backend=BACKEND, scheduler=cluster.scheduler_address)
    assert manifest["engine"] == "dask" and manifest["scheduler"].startswith("tcp://127.0.0.1:")
    assert_same_results(clean_run[0], tmp_path / "remote")


@pytest.mark.slow  # many command-line processes
def test_command_line_errors_are_one_line(tmp_path, archive):
    missing = cli("batch", tmp_path / "nowhere", "--out", tmp_path / "r", check=False)
    assert missing.returncode == 2 and "archive folder not found" in missing.stderr
    (tmp_path / "empty").mkdir()
    empty = cli("batch", tmp_path / "empty", "--out", tmp_path / "r", check=False)
    assert empty.returncode == 2 and "no reports" in empty.stderr
    (tmp_path / "file").write_text("x")
    is_file = cli("batch", archive, "--out", tmp_path / "file", check=False)
    assert is_file.returncode == 2 and "results path exists and is not a folder" in is_file.stderr
    backend = cli("batch", archive, "--out", tmp_path / "r", "--backend", "gpu", check=False)
    assert backend.returncode == 2 and "unknown backend 'gpu'" in backend.stderr
    for result in (missing, empty, is_file, backend):
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_exit_status_1_when_nothing_could_be_scored(tmp_path):
    (tmp_path / "archive").mkdir()
    for name, (content, _) in list(BAD_FILES.items())[:2]:
        (tmp_path / "archive" / Path(name).name).write_bytes(content)
    result = cli("batch", tmp_path / "archive", "--out", tmp_path / "out", "--workers", "1", check=False)
    assert result.returncode == 1
    assert "0 of 2 reports" in result.stderr and "binary file" in result.stderr
    assert len(pd.read_csv(tmp_path / "out" / "errors.csv")) == 2


def test_segmenter_is_what_the_batch_uses(clean_run, archive):
    """The batch composes the library: its units are the segmenter's, unit for unit."""
    from autocoder.readers import read_document

    document = read_document(archive / "report_04.md", doc_id="report_04.md")
    expected = [u.id for u in Segmenter.load().segment(document)]  # the bundled unitizer, as the model has none of its own
    assert units(clean_run[0]).query("doc == 'report_04.md'")["id"].tolist() == expected


def test_a_half_written_ledger_line_is_dropped_and_a_missing_part_rescored(tmp_path):
    from autocoder.batch import Ledger

    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "a.parquet").write_bytes(b"")
    (tmp_path / "ledger.jsonl").write_text('{"key": "a", "part": "a.parquet"}\n{"key": "b", "part": "b.parq')
    ledger = Ledger(tmp_path / "ledger.jsonl", tmp_path / "parts")
    assert list(ledger.entries) == ["a"] and ledger.done("a")
    ledger.add({"key": "c", "part": "c.parquet"})
    lines = (tmp_path / "ledger.jsonl").read_text().splitlines()
    assert [json.loads(line)["key"] for line in lines] == ["a", "c"]
    assert not ledger.done("c")  # recorded, but its part is gone: scored again


def test_one_batch_at_a_time_per_results_folder(archive, tmp_path):
    import fcntl

    from autocoder.errors import InputError

    out = tmp_path / "results"
    out.mkdir()
    with (out / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with pytest.raises(InputError, match="another batch is writing to this results folder"):
            run_batch(archive, out, backend=BACKEND, workers=1)


def test_a_line_not_in_english_is_kept_and_named_in_the_manifest_also_after_a_resume(tmp_path):
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "oak.md").write_text("## Strengths\n- Parents are partners in planning.\n"
                                    "- يتم دعم التلاميذ بشكل جيد من قبل الموظفين\n", encoding="utf-8")
    first = run_batch(archive, tmp_path / "out", backend=BACKEND, workers=1)
    assert first["counts"]["units"] == 2 and first["counts"]["warnings"] == 1
    assert first["warnings"][0].startswith("oak.md:3: unit in Arabic script")
    resumed = run_batch(archive, tmp_path / "out", backend=BACKEND, workers=1)
    assert resumed["counts"]["already_scored"] == 1 and resumed["warnings"] == first["warnings"]
