"""A research team's journeys through the real `autocoder` command: train, evaluate and compare on their NVivo
(REFI-QDA) projects, give suggestions back to NVivo, and run everything with a codebook of their own."""

from __future__ import annotations

import csv
import dataclasses
import json
import zipfile

import pytest
from lxml import etree

from autocoder.agreement import agreement, character_agreement
from autocoder.alignment import align
from autocoder.classify import model_codebook
from autocoder.io import load_codebook
from autocoder.corpus import CORPORA_DIR, load_split
from autocoder.refi import SCHEMAS, read_project, read_project_file, write_qdc, write_qdpx
from autocoder.segment import Segmenter
from benchmarks.reliability.server import Server

from .commands import run_cli as run

pytestmark = pytest.mark.slow  # trains models through the command line

SPLIT = "test_synthetic"
"""Six synthetic reports, 197 units: small enough to train on in a test."""
REPORT = CORPORA_DIR / "documents" / "synthetic" / "report_01.md"


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """The corpus's reports of SPLIT as NVivo-style projects: adjudicated codes and each annotator's."""
    folder = tmp_path_factory.mktemp("qdpx")
    paths = {}
    for coder in ("category", "annotator_1", "annotator_2"):
        paths[coder] = folder / f"{coder}.qdpx"
        run("export-corpus", "--split", SPLIT, "--coder", coder, "-o", paths[coder])
    return paths


def misaligned(path, out):
    """The project with selections as a person makes them: two units' selections merged into one, one cut
    short, and one on a heading (no unit there)."""
    book = load_codebook(path)
    project = read_project_file(path, book)
    doc = next(iter(project.documents))
    first, second, third, *rest = [u for u in project.units if u.doc == doc]
    merged = dataclasses.replace(first, end=second.end, text=project.documents[doc][first.start:second.end])
    cut = dataclasses.replace(third, end=third.end - 5, text=third.text[:-5])
    heading_end = project.documents[doc].index("\n")
    heading = dataclasses.replace(first, start=0, end=heading_end, text=project.documents[doc][:heading_end])
    units = [merged, cut, heading, *rest, *(u for u in project.units if u.doc != doc)]
    out.write_bytes(write_qdpx("misaligned", book, (
        (name, text, [u for u in units if u.doc == name]) for name, text in project.documents.items())))
    return out, [(u.doc, u.start, u.end) for u in (merged, cut, heading)]


def test_train_and_evaluate_on_an_nvivo_project_with_selections_that_are_not_units(exports, tmp_path):
    data, (merged, cut, heading) = misaligned(exports["category"], tmp_path / "our_project.qdpx")
    alignment = align(read_project_file(data, load_codebook(data)), Segmenter.load())  # as the command line cuts
    mapped = {(u.doc, u.start, u.end) for u in (*alignment.by_overlap, *alignment.outweighed)}
    assert {merged, cut} <= mapped and [(u.doc, u.start, u.end) for u in alignment.unmatched] == [heading]
    trained = run("train", "--data", data, "--folds", "2", "-o", tmp_path / "model")
    report = trained.stderr.replace("\n", " ")
    assert f"{len(alignment.by_overlap)} mapped to the units they overlap" in report and "1 overlap no unit" in report
    assert "codes no unit" in report and "not a unit" in report
    assert "model our_project-lr-" in report
    book = model_codebook(tmp_path / "model")
    assert book.id == "our_project" and len(book.categories) == 27 and len(book.constructs) == 6
    evaluated = run("evaluate", "--model", tmp_path / "model", "--data", exports["category"]).stdout
    assert evaluated.startswith(f"category.qdpx: n={len(alignment.units)}  category kappa=")  # the same documents


def test_agreement_of_two_coders_projects_per_unit_and_per_code_over_characters(exports, tmp_path):
    book = load_codebook()
    (tmp_path / "book.qdc").write_bytes(write_qdc(book))
    result = run("agreement", exports["annotator_1"], exports["annotator_2"], "--codebook", tmp_path / "book.qdc",
                 "--json", tmp_path / "agreement.json")
    assert "character level, per code (as NVivo's coding comparison" in result.stdout
    saved = json.loads((tmp_path / "agreement.json").read_text())
    # Both coders' selections land on the segmenter's units of the same documents, compared unit by unit...
    first, second = (align(read_project_file(exports[c], book), Segmenter.load()) for c in ("annotator_1", "annotator_2"))
    direct = agreement(first.codes, second.codes, book)
    assert saved["category"]["n"] == len(first.units) == len(second.units)
    assert saved["category"]["kappa"] == pytest.approx(direct["category"].kappa)
    assert saved["construct"]["kappa"] == pytest.approx(direct["construct"].kappa)
    # ... and agree about as well as on the corpus's own units, which the segmenter cuts a little differently.
    units = load_split(SPLIT)
    stored = agreement([u["annotator_1"] for u in units], [u["annotator_2"] for u in units], book)
    assert saved["category"]["kappa"] == pytest.approx(stored["category"].kappa, abs=0.05)
    by_code = {row["code"]: row for row in saved["characters"]}
    assert set(by_code) == {c.id for c in load_codebook(tmp_path / "book.qdc").categories}
    assert all(row["kappa"] is None or -1 <= row["kappa"] <= 1 for row in by_code.values())


def test_character_agreement_is_kappa_over_characters_one_code_against_the_rest():
    # A codes X on characters 0-4, B on 2-6, of 10: both 3, A only 2, B only 2, neither 3
    [x, y] = character_agreement({"d": "abcdefghij"}, [("d", 0, 5, "X")], [("d", 2, 7, "X")], ["X", "Y"])
    assert (x.characters_a, x.characters_b, x.characters_both, x.agreement) == (5, 5, 3, 0.6)
    assert x.kappa == pytest.approx((0.6 - 0.5) / (1 - 0.5))
    assert y.kappa is None


def test_suggestions_go_back_to_nvivo_as_a_valid_project(small_model_dir, tmp_path):
    run("code", REPORT, "-o", tmp_path / "suggestions.qdpx", "--model", small_model_dir)
    run("code", REPORT, "-o", tmp_path / "suggestions.jsonl", "--model", small_model_dir)
    data = (tmp_path / "suggestions.qdpx").read_bytes()
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "Project.xsd")))
    with zipfile.ZipFile(tmp_path / "suggestions.qdpx") as archive:
        assert schema.validate(etree.fromstring(archive.read("project.qde"))), schema.error_log
    project = read_project(data, model_codebook(small_model_dir), "suggestions.qdpx", 10**8)
    assert project.documents == {"report_01": REPORT.read_text(encoding="utf-8")}
    lines = [json.loads(line) for line in (tmp_path / "suggestions.jsonl").read_text().splitlines()]
    suggested = {(u["start"], u["end"]): u for u in lines if u["category"]}
    assert len(project.units) == len(suggested) > 0
    for unit in project.units:
        line = suggested[(unit.start, unit.end)]
        assert (unit.code, unit.confidence, unit.section, unit.coder) == \
            (line["category"], line["confidence"], line["section"], line["model"])


CATEGORIES = {
    "co_constructivism": "voice", "collectivism": "together", "learner_centredness": "child_first",
    "reciprocal_vigilance": "checks", "operational_diligence": "checks",
    "transformative_professional_learning": "growth",
}
"""An invented codebook of five categories and no constructs, its codes taken from the corpus's constructs."""


def test_a_codebook_of_our_own_through_train_code_batch_and_serve(tmp_path):
    ours = {"id": "our_study", "name": "Our study", "categories": [
        {"id": "voice", "name": "Pupil and parent voice", "principle": "Pupils and parents shape what the school does."},
        {"id": "together", "name": "Working together", "principle": "Staff, leaders and partners share the work."},
        {"id": "child_first", "name": "The child first", "principle": "Teaching and support fit each child."},
        {"id": "checks", "name": "Checks and systems", "principle": "Tracking, resources and procedures."},
        {"id": "growth", "name": "Staff growth", "principle": "Training and professional learning of staff."}]}
    (tmp_path / "mine.json").write_text(json.dumps(ours))
    mine = {c["id"] for c in ours["categories"]}
    coded = [{"id": u["id"], "doc": u["doc"], "start": u["start"], "end": u["end"], "text": u["text"],
              "section": u["section"], "category": CATEGORIES.get(u["construct"], "NONE" if u["category"] else None)}
             for u in load_split(SPLIT)]
    (tmp_path / "coded.jsonl").write_text("".join(json.dumps(u) + "\n" for u in coded if u["category"]))
    run("train", "--codebook", tmp_path / "mine.json", "--data", tmp_path / "coded.jsonl", "--folds", "2",
        "-o", tmp_path / "model")
    card = (tmp_path / "model" / "MODEL_CARD.md").read_text()
    assert "5 categories, 0 constructs" in card and "construct" not in card.split("## Agreement")[1]
    # no constructs, so no Table 5 to correct: the model keeps no construct confusion, intervals are refused
    assert "construct_confusion" not in json.loads((tmp_path / "model" / "model.json").read_text())
    refused = run("frequencies", tmp_path / "coded.jsonl", "--codebook", tmp_path / "mine.json", "--level",
                  "construct", "--intervals", check=False)
    assert refused.returncode == 2 and "has no constructs" in refused.stderr and "Traceback" not in refused.stderr

    def codes_in(records, *fields) -> set:
        return {r[f] for r in records for f in fields if r[f]} | {c for r in records for c, _ in r.get("ranked", [])}

    run("code", REPORT, "--model", tmp_path / "model", "-o", tmp_path / "out.jsonl")
    lines = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert codes_in(lines, "category") <= mine and not any(line["construct"] for line in lines)
    assert {c for line in lines for c, _ in line["ranked"]} <= mine

    archive = tmp_path / "archive"
    archive.mkdir()
    for name in ("report_01.md", "report_02.md"):
        (archive / name).write_bytes((REPORT.parent / name).read_bytes())
    run("batch", archive, "--out", tmp_path / "results", "--model", tmp_path / "model", "--backend", "torch",
        "--workers", "1")
    with (tmp_path / "results" / "units.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert rows and {r["category"] for r in rows if r["category"]} <= mine and not any(r["construct"] for r in rows)
    tables = sorted(p.name for p in (tmp_path / "results" / "tables").glob("*.md"))
    assert tables == ["table3.md"] and not (tmp_path / "results" / "constructs.png").exists()
    manifest = json.loads((tmp_path / "results" / "manifest.json").read_text())
    assert manifest["codebook"]["id"] == "our_study"

    with Server(tmp_path / "data", model_dir=tmp_path / "model").start() as server:
        with server.client(server.create_admin()) as admin:
            project = admin.post("/projects", json={"name": "ours"}).json()
            assert (project["codebook_id"], project["categories"]) == ("our_study", 5)
            assert project["model_version"].startswith("our_study-lr-")
            pid = project["id"]
            assert {c["id"] for c in admin.get(f"/projects/{pid}/codebook").json()["categories"]} == mine
            upload = admin.post(f"/projects/{pid}/documents", files={"file": (REPORT.name, REPORT.read_bytes())})
            assert upload.status_code == 201, upload.text
            units = admin.get(f"/projects/{pid}/units", params={"limit": 1000}).json()["items"]
            suggestions = [u["suggestion"] for u in units]
            assert codes_in(suggestions, "category") <= mine and not any(s["construct"] for s in suggestions)
            table = admin.get(f"/projects/{pid}/frequencies", params={"level": "category"}).json()
            assert {row["category"] for row in table["rows"]} == mine
            refused = admin.get(f"/projects/{pid}/frequencies", params={"level": "construct"})
            assert refused.status_code == 400 and "no constructs" in refused.json()["detail"]
