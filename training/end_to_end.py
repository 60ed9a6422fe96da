"""End to end on the held-out documents: the default model's agreement with the adjudicated codes when it codes
the corpus's own units (cut by the segmenter the corpus was built with) and when it codes the units today's
segmenter cuts from the same documents, each human unit then taking the suggestion of the unit that overlaps it
most (NONE where none does).

    .venv/bin/python -m training.end_to_end      # -> training/results/end_to_end.{md,json}
"""

from __future__ import annotations

import json
from pathlib import Path

from autocoder.agreement import agreement
from autocoder.corpus import CORPORA_DIR, load_split
from autocoder.pipeline import Pipeline
from autocoder.readers import read_document
from autocoder.types import NONE_CODE, Unit

SPLITS = ("test_bulleted", "test_paragraph", "test_terse", "test_framework", "test_synthetic")
RESULTS = Path(__file__).resolve().parent / "results"


def _overlap(a: Unit, start: int, end: int) -> int:
    return max(0, min(a.end, end) - max(a.start, start))


def split_figures(pipeline: Pipeline, split: str) -> dict:
    records = [r for r in load_split(split) if r.get("category")]
    stored = [Unit(r["doc"], r["start"], r["end"], r["text"], r.get("section")) for r in records]
    before = [s.category for s in pipeline.suggest(stored)]
    documents = {r["doc"]: read_document(CORPORA_DIR / r["source_file"], doc_id=r["doc"]) for r in records}
    cut = {document.id: list(zip(units, suggestions))
           for document, units, suggestions in pipeline.code_documents(documents.values())}
    after, covered = [], []
    for r in records:
        best = max(cut[r["doc"]], key=lambda pair: _overlap(pair[0], r["start"], r["end"]), default=None)
        covered.append(best is not None and _overlap(best[0], r["start"], r["end"]) > 0)
        after.append(best[1].category if covered[-1] else NONE_CODE)
    human = [r["category"] for r in records]
    # A human unit today's segmenter does not make (a title, a lead-in) is mostly NONE, and NONE agrees for free:
    # the figures over the covered units alone leave those out.
    only = [i for i, c in enumerate(covered) if c]
    scored = {name: agreement([human[i] for i in keep], [codes[i] for i in keep], pipeline.codebook)
              for name, codes, keep in (("before", before, range(len(human))), ("after", after, range(len(human))),
                                        ("before_covered", before, only), ("after_covered", after, only))}
    return {"human_units": len(records), "documents": len(documents),
            "segmenter_units": sum(len(units) for units in cut.values()),
            "human_units_no_unit_overlaps": len(records) - len(only),
            **{f"{name}_{level}_kappa": round(report.kappa, 3) for name, reports in scored.items()
               for level, report in reports.items()}}


def main() -> None:
    pipeline = Pipeline.load()
    figures = {split: split_figures(pipeline, split) for split in SPLITS}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "end_to_end.json").write_text(json.dumps({"model": pipeline.model.version, "splits": figures},
                                                        indent=2) + "\n", encoding="utf-8")
    lines = [f"# End to end: the corpus's units against today's segmenter's (model `{pipeline.model.version}`)", "",
             "Category / construct kappa with the adjudicated codes over the human units; with today's segmenter "
             "a human unit takes the suggestion of the unit overlapping it most. Reproduce: "
             "`.venv/bin/python -m training.end_to_end`.", "",
             "| split | documents | human units | today's units | category kappa, corpus units → today's | "
             "construct kappa, corpus units → today's | human units no unit overlaps | category kappa over the "
             "others, corpus units → today's |", "|---|---|---|---|---|---|---|---|"]
    for split, f in figures.items():
        lines.append(f"| `{split}` | {f['documents']} | {f['human_units']} | {f['segmenter_units']} | "
                     f"{f['before_category_kappa']:.3f} → {f['after_category_kappa']:.3f} | "
                     f"{f['before_construct_kappa']:.3f} → {f['after_construct_kappa']:.3f} | "
                     f"{f['human_units_no_unit_overlaps']} | "
                     f"{f['before_covered_category_kappa']:.3f} → {f['after_covered_category_kappa']:.3f} |")
    (RESULTS / "end_to_end.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
