"""The `autocoder` command as a user runs it: a real process, real files, the real model."""

import json
import shutil

import pytest

from .commands import run_cli as run
from .documents import write_docx

REPORT = """# SEND Peer Challenge report
## Areas of strength
- Staff engage in high quality professional development on inclusive practice.
- Parents are welcomed into school and help shape the support their children receive.
## Recommendations
- Ensure that all teachers are responsible for teaching pupils with SEND.
"""


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    path = tmp_path_factory.mktemp("docs") / "oak_lane.md"
    path.write_text(REPORT, encoding="utf-8")
    return path


def test_segment_writes_units_with_offsets_and_sections(report, tmp_path):
    out = tmp_path / "units.jsonl"
    run("segment", report, "-o", out)
    units = [json.loads(line) for line in out.read_text().splitlines()]
    assert [u["section"] for u in units] == ["strength", "strength", "recommendation"]
    for unit in units:
        assert REPORT[unit["start"]:unit["end"]] == unit["text"]
        assert unit["id"] == f"oak_lane:{unit['start']}-{unit['end']}"


def test_code_writes_jsonl_and_csv_with_suggestions(report, small_model_dir, tmp_path):
    docx_path = write_docx(tmp_path / "birch.docx")
    run("code", report, docx_path, "-o", tmp_path / "coded.jsonl", "--model", small_model_dir)
    lines = [json.loads(line) for line in (tmp_path / "coded.jsonl").read_text().splitlines()]
    assert {line["doc"] for line in lines} == {"oak_lane", "birch"}
    for line in lines:
        assert {"doc", "start", "end", "text", "section", "category", "construct", "confidence", "ranked", "model"} <= set(line)
    run("code", report, "-o", tmp_path / "coded.csv", "--model", small_model_dir)
    header = (tmp_path / "coded.csv").read_text().splitlines()[0]
    assert header.startswith("id,doc,start,end,text,section,category,construct,confidence,ranked")


def test_code_units_contract(small_model_dir, tmp_path):
    units = [{"id": 7, "text": "Staff engage in high quality professional development on inclusive practice."},
             {"id": "u-2", "text": "The SENDCo tracks progress of pupils on the register.", "section": "strength"}]
    (tmp_path / "in.jsonl").write_text("\n".join(json.dumps(u) for u in units) + "\n")
    run("code-units", tmp_path / "in.jsonl", "-o", tmp_path / "out.jsonl", "--model", small_model_dir)
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [o["id"] for o in out] == [7, "u-2"]
    assert out[0]["category"] == "professional_development"
    assert out[0]["construct"] == "transformative_professional_learning"
    for line in out:
        assert 0.0 <= line["confidence"] <= 1.0
        assert len(line["ranked"]) == 3 and all(len(pair) == 2 for pair in line["ranked"])
        assert line["category"] is None or line["category"] == line["ranked"][0][0]


def test_agreement_and_frequencies_commands(tmp_path):
    a = [{"id": i, "category": c, "section": s} for i, (c, s) in enumerate(
        [("quality_teaching", "strength"), ("tracking_impact", "development"), ("rights", "strength"), (None, None)])]
    b = [{"id": i, "category": c} for i, c in enumerate(["quality_teaching", "tracking_barriers", "rights", "NONE"])]
    (tmp_path / "a.jsonl").write_text("\n".join(map(json.dumps, a)))
    (tmp_path / "b.jsonl").write_text("\n".join(map(json.dumps, b)))
    result = run("agreement", tmp_path / "a.jsonl", tmp_path / "b.jsonl", "--json", tmp_path / "agree.json")
    assert "category level: n=4" in result.stdout and "construct level: n=4" in result.stdout
    saved = json.loads((tmp_path / "agree.json").read_text())
    assert saved["construct"]["kappa"] == pytest.approx(1.0)
    assert saved["category"]["percent_agreement"] == pytest.approx(0.75)
    table = run("frequencies", tmp_path / "a.jsonl", "--level", "construct", "--by-section", "--format", "csv").stdout
    header, *rows = table.splitlines()
    assert header.split(",")[:5] == ["construct", "name", "all n", "all prop", "all rank"]
    assert "strength n" in header and "development n" in header
    published = run("frequencies", "--published", "--level", "construct").stdout
    assert "| co_constructivism |" in published and "0.298" in published


@pytest.mark.slow  # many command-line processes
def test_frequencies_with_intervals_and_their_bad_cases(tmp_path, small_model_dir):
    coded = [{"id": f"r{d}:{i}-{i + 1}", "category": c}
             for d in range(4) for i, c in enumerate(["quality_teaching", "rights", "sendco_role", "NONE"])]
    (tmp_path / "c.jsonl").write_text("\n".join(map(json.dumps, coded)))
    result = run("frequencies", tmp_path / "c.jsonl", "--level", "construct", "--intervals", "--format", "csv")
    header, *rows = result.stdout.splitlines()
    assert header.endswith("estimate,95% low,95% high") and "bootstrap over documents, 4 documents" in result.stderr
    refused = run("frequencies", tmp_path / "c.jsonl", "--level", "category", "--intervals", check=False)
    assert refused.returncode == 2 and "--intervals needs a coding file and --level construct" in refused.stderr
    corrected = run("frequencies", tmp_path / "c.jsonl", "--level", "construct", "--intervals", "--model",
                    small_model_dir)
    assert "with misclassification correction, 4 documents" in corrected.stderr
    older = shutil.copytree(small_model_dir, tmp_path / "older_model")  # a model saved before confusion counts
    meta = json.loads((older / "model.json").read_text(encoding="utf-8"))
    del meta["construct_confusion"]
    (older / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    untrained = run("frequencies", tmp_path / "c.jsonl", "--level", "construct", "--intervals", "--model", older,
                    check=False)
    assert untrained.returncode == 2 and "records no held-out confusion counts" in untrained.stderr


@pytest.mark.parametrize("content, message", [
    ('{"id": 1, "category": "quality_teaching"}\n{"id": 2, "category": "no_such_code"}\n', "b.jsonl:2: unknown category id 'no_such_code'"),
    ('{"id": 1, "category": "quality_teaching"}\n{"id": 2, "category": \n', "b.jsonl:2: malformed JSON"),
    ('{"id": 1}\n', "b.jsonl:1: missing field 'category'"),
])
def test_bad_coding_files_name_file_and_line(tmp_path, content, message):
    (tmp_path / "a.jsonl").write_text('{"id": 1, "category": "quality_teaching"}\n{"id": 2, "category": "rights"}\n')
    (tmp_path / "b.jsonl").write_text(content)
    result = run("agreement", tmp_path / "a.jsonl", tmp_path / "b.jsonl", check=False)
    assert result.returncode == 2
    assert message in result.stderr.replace("\n", "")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("name, content, message", [
    ("empty.txt", b"", "no text"),
    ("binary.txt", b"\x00\x01\x02\xff" * 50, "binary file"),
    ("latin1.txt", "Caf\u00e9 provision.".encode("latin-1"), "not UTF-8"),
    ("broken.pdf", b"%PDF-1.4 nonsense", "not a readable PDF"),
    ("broken.docx", b"PK nonsense", "not a readable .docx"),
])
def test_bad_documents_get_a_clear_error(tmp_path, small_model_dir, name, content, message):
    (tmp_path / name).write_bytes(content)
    result = run("code", tmp_path / name, "--model", small_model_dir, check=False)
    assert result.returncode == 2
    assert message in result.stderr and name in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_units_file_names_the_line(tmp_path, small_model_dir):
    (tmp_path / "in.jsonl").write_text('{"id": 1, "text": "Fine unit here."}\n{"id": 2}\n')
    result = run("code-units", tmp_path / "in.jsonl", "--model", small_model_dir, check=False)
    assert result.returncode == 2 and "in.jsonl:2: missing field 'text'" in result.stderr


@pytest.mark.parametrize("offsets, message", [
    ('"start": "x", "end": 10', "in.jsonl:1: 'start' and 'end' must be whole numbers"),
    ('"start": -1, "end": 10', "in.jsonl:1: 'start' and 'end' must be from 0 to"),
])
def test_bad_offsets_of_pre_segmented_units_name_the_line(tmp_path, small_model_dir, offsets, message):
    (tmp_path / "in.jsonl").write_text('{"id": 1, "doc": "d", ' + offsets + ', "text": "Fine unit here."}\n')
    result = run("code-units", tmp_path / "in.jsonl", "-o", tmp_path / "out.jsonl", "--model", small_model_dir,
                 check=False)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out.jsonl").exists()
