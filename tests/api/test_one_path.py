"""Every door codes through `Pipeline`: the same units get the same codes from `autocoder code`, `code-units`,
batch scoring and the service's uploads (a report, or its units pre-segmented)."""

from __future__ import annotations

import json

import pandas as pd

from autocoder.batch import run_batch

from ..commands import run_cli
from .conftest import REPORT


def coded(path) -> dict[str, dict]:
    return {r["id"]: r for r in map(json.loads, path.read_text(encoding="utf-8").splitlines())}


def codes(records) -> list[tuple]:
    return [(r["text"], r["category"], round(r["confidence"], 3)) for r in records]


def test_the_same_units_get_the_same_codes_from_every_door(make_team, small_model_dir, tmp_path):
    report = tmp_path / "oak_lane.md"
    report.write_text(REPORT, encoding="utf-8")
    model = ["--model", small_model_dir]

    run_cli("code", report, "-o", tmp_path / "code.jsonl", *model)
    by_code = coded(tmp_path / "code.jsonl")
    assert len(by_code) >= 5 and {r["section"] for r in by_code.values()} - {None}

    # the units `segment` cuts, coded pre-segmented: read at their offsets, with their sections and neighbours
    run_cli("segment", report, "-o", tmp_path / "units.jsonl")
    run_cli("code-units", tmp_path / "units.jsonl", "-o", tmp_path / "code_units.jsonl", *model)
    assert codes(coded(tmp_path / "code_units.jsonl").values()) == codes(by_code.values())

    run_batch(tmp_path, tmp_path / "batch", small_model_dir, backend="torch", workers=1)
    batch = pd.read_csv(tmp_path / "batch" / "units.csv", keep_default_na=False)
    assert [(t, c or None, round(p, 3)) for t, c, p in zip(batch["text"], batch["category"], batch["confidence"])] \
        == codes(by_code.values())

    # the same units without offsets: read one after another, by code-units and by the service's units upload
    plain = tmp_path / "plain.jsonl"
    plain.write_text("".join(json.dumps({"id": r["id"], "text": r["text"], "section": r["section"]}) + "\n"
                             for r in by_code.values()), encoding="utf-8")
    run_cli("code-units", plain, "-o", tmp_path / "plain_coded.jsonl", *model)
    by_code_units = coded(tmp_path / "plain_coded.jsonl")

    with make_team(reviewers=(), projects={"doors": ()}) as service:
        pid, rita = service.projects["doors"].id, service.as_("rita")

        def suggested(upload) -> list[tuple]:
            assert upload.status_code == 201, upload.text
            units = rita.get(f"/projects/{pid}/units", params={"document_id": upload.json()["id"],
                                                               "limit": 1000}).json()["items"]
            return [(u["text"], u["suggestion"]["category"], round(u["suggestion"]["confidence"], 3))
                    for u in sorted(units, key=lambda u: u["position"])]

        assert suggested(rita.post(f"/projects/{pid}/documents", files={"file": ("oak_lane.md", REPORT.encode())})) \
            == codes(by_code.values())
        assert suggested(rita.post(f"/projects/{pid}/documents/units",
                                   files={"file": ("plain.jsonl", plain.read_bytes())})) \
            == codes(by_code_units.values())
