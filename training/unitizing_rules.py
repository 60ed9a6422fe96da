"""Choose the segmenter's clause rules on the unitizing gold's train split; report them on its test split.

Every combination of `ClauseRules` switches segments the train documents; the one whose units match the annotators'
best (the mean of the matched-unit shares, both ways, against each annotator, over the styles) is chosen, and the
test split is scored with it, as `autocoder segment --evaluate` scores it.

    python -m training.unitizing_rules GOLD_DIR      # GOLD_DIR holds annotator_*.jsonl and sections.jsonl

Writes training/results/unitizing_rules.{md,json}.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
from dataclasses import asdict
from pathlib import Path

from autocoder.clauses import ClauseRules
from autocoder.segment import Segmenter, SegmenterConfig
from autocoder.segment_evaluation import ALL_STYLES, SEGMENTER, evaluate_segmentation, render_segmentation

RESULTS_DIR = Path(__file__).resolve().parent / "results"
SWITCHES = ("semicolon", "coordinated", "contrast")


def match_score(results: dict) -> float:
    """Mean over the styles (not all of them together, so that every style counts alike) of the segmenter's
    matched-unit shares both ways against each annotator."""
    shares = []
    for style, entry in results["styles"].items():
        if style == ALL_STYLES:
            continue
        for pair in entry["pairs"]:
            if pair["first"] == SEGMENTER:
                shares += [pair["first_matched"] or 0.0, pair["second_matched"] or 0.0]
    return statistics.mean(shares)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gold", type=Path, help="folder with annotator_*.jsonl and sections.jsonl")
    parser.add_argument("--documents", type=Path, help="folder the gold's source_file paths are relative to")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args()
    annotators = {path.stem: path for path in sorted(args.gold.glob("annotator_*.jsonl"))}
    sections = args.gold / "sections.jsonl"
    sections = sections if sections.exists() else None
    candidates = []
    for values in itertools.product((False, True), repeat=len(SWITCHES)):
        rules = ClauseRules(**dict(zip(SWITCHES, values)))
        train = evaluate_segmentation(annotators, Segmenter(SegmenterConfig(clauses=rules)), split="train",
                                      sections_path=sections, documents_root=args.documents)
        candidates.append({"rules": asdict(rules), "train_score": round(match_score(train), 4)})
        print(candidates[-1])
    best = max(candidates, key=lambda c: c["train_score"])
    chosen = Segmenter(SegmenterConfig(clauses=ClauseRules(**best["rules"])))
    test = evaluate_segmentation(annotators, chosen, split="test", sections_path=sections,
                                 documents_root=args.documents)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "unitizing_rules.json").write_text(
        json.dumps({"candidates": candidates, "chosen": best, "test": test}, indent=2) + "\n", encoding="utf-8")
    lines = ["Clause rules on the unitizing gold's train split (mean matched-unit share of the segmenter against "
             "each annotator, both ways, averaged over styles):", "", "| semicolon | coordinated | contrast | train |",
             "|---|---|---|---|"]
    lines += [f"| {c['rules']['semicolon']} | {c['rules']['coordinated']} | {c['rules']['contrast']} | "
              f"{c['train_score']:.3f} |" for c in candidates]
    lines += ["", f"Chosen: {best['rules']}. On the test split:", "", render_segmentation(test)]
    (args.out / "unitizing_rules.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
