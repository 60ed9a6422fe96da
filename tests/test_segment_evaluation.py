"""`autocoder segment --evaluate`: the segmenter against two annotators' units of the same documents."""

import json

import pytest

from autocoder.segment_evaluation import section_figures
from autocoder.types import Section, Unit

from .commands import run_cli as run

REPORT = """# Oak Lane: SEND Peer Challenge
The review took place over two days in March.
## Things we liked
- Parents are partners in planning.
- The SENDCo knows every pupil well.
## Areas for development
- Tracking of interventions is not yet consistent.
"""
NOTES = "Strengths: the offer is clear to parents.\nEBI: staff shared the plans with pupils.\n"


def unit(doc, source, text, piece, style, split="test"):
    start = text.index(piece)
    return {"doc": doc, "source_file": source, "start": start, "end": start + len(piece), "text": piece,
            "style": style, "split": split}


@pytest.fixture()
def gold(tmp_path):
    """Annotator a draws the units the segmenter draws; b joins the two strengths into one unit."""
    (tmp_path / "documents").mkdir()
    (tmp_path / "documents" / "oak.md").write_text(REPORT, encoding="utf-8")
    (tmp_path / "documents" / "notes.md").write_text(NOTES, encoding="utf-8")
    a_pieces = ["The review took place over two days in March.", "Parents are partners in planning.",
                "The SENDCo knows every pupil well.", "Tracking of interventions is not yet consistent."]
    b_pieces = ["The review took place over two days in March.",
                "Parents are partners in planning.\n- The SENDCo knows every pupil well.",
                "Tracking of interventions is not yet consistent."]
    notes = ["Strengths: the offer is clear to parents.", "EBI: staff shared the plans with pupils."]
    folder = tmp_path / "unitizing"
    folder.mkdir()
    for name, pieces in (("annotator_a", a_pieces), ("annotator_b", b_pieces)):
        records = [unit("oak", "documents/oak.md", REPORT, p, "bulleted") for p in pieces]
        records += [unit("notes", "documents/notes.md", NOTES, p, "terse") for p in notes]
        records.append(unit("other", "documents/oak.md", REPORT, a_pieces[0], "bulleted", split="train"))
        (folder / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    headings = [{"doc": "oak", "heading": "# Oak Lane: SEND Peer Challenge", "section": None},
                {"doc": "oak", "heading": "## Things we liked", "section": "strength"},
                {"doc": "oak", "heading": "## Areas for development", "section": "development"},
                {"doc": "notes", "heading": "Strengths", "section": "strength"},
                {"doc": "notes", "heading": "EBI", "section": "development"}]
    # One document's headings one per line, the other's as a list on one line: both shapes are read.
    lines = [json.dumps(h) for h in headings[:3]] + [json.dumps({"doc": "notes", "headings": [
        {"text": h["heading"], "section": h["section"]} for h in headings[3:]]})]
    (folder / "sections.jsonl").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return folder


def test_evaluate_prints_and_writes_the_figures_per_style(gold, tmp_path):
    out = tmp_path / "figures.json"
    result = run("segment", "--evaluate", gold / "annotator_a.jsonl", "--evaluate", gold / "annotator_b.jsonl",
                 "--sections", gold / "sections.jsonl", "--split", "test", "--json", out)
    figures = json.loads(out.read_text())
    assert figures["annotators"] == ["annotator_a", "annotator_b"] and figures["split"] == "test"
    assert set(figures["styles"]) == {"all", "bulleted", "terse"}
    everything = {(p["first"], p["second"]): p for p in figures["styles"]["all"]["pairs"]}
    machine_a = everything["segmenter", "annotator_a"]
    assert (machine_a["first_units"], machine_a["second_units"]) == (6, 6)
    assert machine_a["first_matched"] == machine_a["second_matched"] == 1.0
    assert machine_a["alpha_u"] == pytest.approx(1.0)
    a_b = everything["annotator_a", "annotator_b"]
    assert (a_b["first_units"], a_b["second_units"]) == (6, 5)
    assert a_b["first_matched"] == pytest.approx(4 / 6) and a_b["second_matched"] == pytest.approx(4 / 5)
    assert 0 < a_b["alpha_u"] < 1
    assert figures["styles"]["terse"]["documents"] == 1
    # "Things we liked" is no heading the table knows: its two units lose their section; the other three keep it.
    sections = figures["styles"]["all"]["sections"]
    assert (sections["units_under_a_known_section"], sections["right_section"]) == (5, 3)
    assert (sections["units_under_no_section"], sections["given_a_section"]) == (1, 0)
    assert "| bulleted | 1 | segmenter | annotator_a | 4 / 4 | 100.0% | 100.0% | 1.000 |" in result.stdout


def test_units_put_in_a_section_under_a_heading_without_one_are_counted():
    units = [Unit("d", 0, 10, "x" * 10, "strength"), Unit("d", 20, 30, "y" * 10, None),
             Unit("d", 40, 50, "z" * 10, "development")]
    figures = section_figures(units, {"d": [(0, None), (35, Section.DEVELOPMENT)]})
    assert figures == {"units_under_a_known_section": 1, "right_section": 1, "accuracy": 1.0,
                       "units_under_no_section": 2, "given_a_section": 1}


def test_a_gold_unit_that_does_not_match_its_document_is_a_clear_error(gold):
    path = gold / "annotator_a.jsonl"
    records = [json.loads(line) for line in path.read_text().splitlines()]
    records[1]["text"] = "something else"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    result = run("segment", "--evaluate", path, "--evaluate", gold / "annotator_b.jsonl", check=False)
    assert result.returncode == 2
    assert "does not match the document's text" in result.stderr and "annotator_a.jsonl" in result.stderr


def test_segment_warns_on_stderr_of_a_line_not_in_english(tmp_path):
    report = tmp_path / "oak.md"
    report.write_text("## Strengths\n- Parents are partners in planning.\n- يتم دعم التلاميذ بشكل جيد من قبل الموظفين\n",
                      encoding="utf-8")
    result = run("segment", report, "-o", tmp_path / "units.jsonl")
    units = [json.loads(line) for line in (tmp_path / "units.jsonl").read_text().splitlines()]
    assert len(units) == 2
    assert f"{report}:3: unit in Arabic script" in result.stderr


def test_a_giant_unit_is_named_with_its_document_and_offsets(tmp_path):
    """A paragraph with no sentence punctuation is kept as one unit, and the warning says where it is."""
    words = " ".join(f"pupils with plans are supported by staff in class {i}" for i in range(60))
    report = tmp_path / "notes.txt"
    report.write_text(f"A short first line of notes here.\n{words}\n", encoding="utf-8")
    result = run("segment", report, "-o", tmp_path / "units.jsonl")
    giant = [json.loads(line) for line in (tmp_path / "units.jsonl").read_text().splitlines()][-1]
    assert giant["end"] - giant["start"] == len(words) > 2_000
    assert f"{report}: characters {giant['start']}-{giant['end']}: a unit of {len(words):,} characters" in result.stderr
    assert result.stderr.count("a unit of") == 1


@pytest.mark.slow  # many command-line processes
def test_sections_alone_score_heading_detection_on_documents_without_a_gold(gold, tmp_path):
    refused = run("segment", "--sections", gold / "sections.jsonl", check=False)  # its records name no file
    assert refused.returncode == 2 and "has no source_file" in refused.stderr and "Traceback" not in refused.stderr
    sections = tmp_path / "own_sections.jsonl"
    sections.write_text(json.dumps({"doc": "oak", "source_file": "documents/oak.md", "style": "bulleted", "headings": [
        {"heading": "## Things we liked", "section": "strength"},
        {"heading": "## Areas for development", "section": "development"}]}) + "\n", encoding="utf-8")
    out = tmp_path / "sections.json"
    result = run("segment", "--sections", sections, "--json", out)
    figures = json.loads(out.read_text())["styles"]
    assert figures["all"] == figures["bulleted"]
    assert (figures["all"]["units_under_a_known_section"], figures["all"]["right_section"]) == (3, 1)
    assert "| bulleted | 3 | 33.3% | 0 | 0 |" in result.stdout
    missing = tmp_path / "missing_heading.jsonl"
    missing.write_text(json.dumps({"doc": "oak", "source_file": "documents/oak.md", "headings": [
        {"heading": "## Nowhere in the report", "section": "strength"}]}) + "\n", encoding="utf-8")
    lost = run("segment", "--sections", missing, check=False)
    assert lost.returncode == 2 and "not found in the document's lines" in lost.stderr


def test_coding_cost_compares_the_segmenters_units_with_each_annotators(gold, small_model_dir, segmenter):
    """The small model codes the units of each side; each unit takes the human code of the coded unit it overlaps
    most. Annotator a draws the segmenter's units, so the segmenter loses nothing against a."""
    from pathlib import Path

    from autocoder.pipeline import Pipeline
    from autocoder.segment_evaluation import Coding, evaluate_segmentation

    text = REPORT
    human = {"oak": [(text.index(p), text.index(p) + len(p), code) for p, code in (
        ("The review took place over two days in March.", "NONE"),
        ("Parents are partners in planning.", "partnership_parents_pupils"),
        ("The SENDCo knows every pupil well.", "sendco_role"),
        ("Tracking of interventions is not yet consistent.", "tracking_impact"))]}
    pipeline = Pipeline.load(small_model_dir, segmenter=segmenter)
    results = evaluate_segmentation({n: Path(gold) / f"{n}.jsonl" for n in ("annotator_a", "annotator_b")},
                                    segmenter, coding=Coding(pipeline, human))
    cost = results["styles"]["all"]["coding"]
    assert cost["documents"] == 1  # the notes have no human codes
    assert cost["segmenter"] == cost["annotator_a"] and cost["segmenter"]["units"] == 4
    assert cost["annotator_b"]["units"] == 3
    assert cost["loss"] == round((cost["annotator_a"]["kappa"] + cost["annotator_b"]["kappa"]) / 2
                                 - cost["segmenter"]["kappa"], 4)
