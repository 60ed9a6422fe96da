"""Train the learned unitizer (`autocoder.cuts.CutModel`) on the unitizing gold's train documents; score it.

Every candidate cut of every train document is an example, labelled by each annotator (two examples per
candidate); the regularisation and the threshold are chosen by document-grouped cross-validation on the train
documents alone (the segmenter's units against the annotators', as `autocoder segment --evaluate` matches them),
then the model is fitted on all of them. The gold's test split is scored once with the chosen model, beside the
clause rules.

    python -m training.unitizer [--gold corpora/unitizing/gold] [--out autocoder/data/unitizer.json]

Writes the unitizer and training/results/unitizer.{md,json}.
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import statistics
import tempfile
from collections import defaultdict
from pathlib import Path

from autocoder.corpus import CORPORA_DIR
from autocoder.cuts import CutModel, labelled_examples
from autocoder.segment import BUNDLED_UNITIZER, Segmenter
from autocoder.segment_evaluation import evaluate_segmentation, render_segmentation
from autocoder.types import Document

from .unitizing_rules import match_score

RESULTS_DIR = Path(__file__).resolve().parent / "results"
GOLD_DIR = CORPORA_DIR / "unitizing" / "gold"
GRID = {"lexical": (False, True), "C": (0.3, 1.0, 3.0), "threshold": (0.4, 0.5, 0.6)}
FOLDS = 4


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def examples_by_document(annotators: dict[str, Path], lexical: bool, split: str = "train") -> dict[str, list]:
    """Each train document's labelled candidates, under every annotator's units."""
    tagger = Segmenter(cut_model=CutModel())  # tags every sentence a cut could be made in
    ends: dict[str, dict[str, set[int]]] = defaultdict(dict)
    sources = {}
    for name, path in annotators.items():
        for record in read(path):
            if record["split"] == split:
                ends[record["doc"]].setdefault(name, set()).add(record["end"])
                sources[record["doc"]] = record["source_file"]
    found = {}
    for doc, by_annotator in sorted(ends.items()):
        text = (CORPORA_DIR / sources[doc]).read_text(encoding="utf-8")
        sentences = tagger.tagged_sentences(Document(doc, text))
        found[doc] = [example for gold in by_annotator.values() for offset, sentence in sentences
                      for example in labelled_examples(sentence, gold, offset, lexical)]
    return found


def restricted(annotators: dict[str, Path], documents: set[str], folder: Path) -> dict[str, Path]:
    """The annotators' gold files cut down to `documents`, as evaluation inputs."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, path in annotators.items():
        out = folder / path.name
        out.write_text("".join(json.dumps(r) + "\n" for r in read(path) if r["doc"] in documents), encoding="utf-8")
        paths[name] = out
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, default=GOLD_DIR)
    parser.add_argument("--out", type=Path, default=BUNDLED_UNITIZER)
    parser.add_argument("--results", type=Path, default=RESULTS_DIR)
    args = parser.parse_args()
    annotators = {path.stem: path for path in sorted(args.gold.glob("annotator_*.jsonl"))}
    examples = {lexical: examples_by_document(annotators, lexical) for lexical in GRID["lexical"]}
    documents = sorted(examples[True])
    folds = [documents[k::FOLDS] for k in range(FOLDS)]
    scratch = Path(tempfile.mkdtemp(prefix="unitizer-cv-"))  # each fold's gold, cut down to its held documents
    grid = []
    for lexical, C, threshold in itertools.product(GRID["lexical"], GRID["C"], GRID["threshold"]):
        scores = []
        for k, held in enumerate(folds):
            fitted = CutModel.fit([e for d in documents if d not in held for e in examples[lexical][d]], C=C,
                                  threshold=threshold, lexical=lexical)
            gold = restricted(annotators, set(held), scratch / f"fold{k}")
            scores.append(match_score(evaluate_segmentation(gold, Segmenter(cut_model=fitted), split="train",
                                                            documents_root=CORPORA_DIR)))
        grid.append({"lexical": lexical, "C": C, "threshold": threshold, "cv_score": round(statistics.mean(scores), 4)})
        print(grid[-1], flush=True)
    shutil.rmtree(scratch)
    best = max(grid, key=lambda g: g["cv_score"])
    model = CutModel.fit([e for d in documents for e in examples[best["lexical"]][d]], C=best["C"],
                         threshold=best["threshold"], lexical=best["lexical"])
    segmenter = Segmenter(cut_model=model)
    segmenter.save(args.out)
    sections = args.gold / "sections.jsonl"
    test = evaluate_segmentation(annotators, segmenter, split="test", sections_path=sections,
                                 documents_root=CORPORA_DIR)
    rules = evaluate_segmentation(annotators, Segmenter(), split="test", sections_path=sections,
                                  documents_root=CORPORA_DIR)
    results = {"train_documents": len(documents), "examples": sum(map(len, examples[True].values())), "grid": grid,
               "chosen": best, "test": test, "test_clause_rules": rules,
               "test_score": round(match_score(test), 4), "test_score_clause_rules": round(match_score(rules), 4)}
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "unitizer.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    (args.results / "unitizer.md").write_text(
        "# The learned unitizer on the gold's test split (not blind: the gold's test split was read before)\n\n"
        f"Chosen by {FOLDS}-fold document-grouped cross-validation on {len(documents)} train documents: "
        f"lexical={best['lexical']}, C={best['C']}, threshold={best['threshold']} (score {best['cv_score']}).\n\n"
        "## Learned cuts\n\n"
        + render_segmentation(test) + "\n## Clause rules\n\n" + render_segmentation(rules), encoding="utf-8")
    print(f"test: learned {results['test_score']} against clause rules {results['test_score_clause_rules']}")


if __name__ == "__main__":
    main()
