"""The model experiment: every candidate trained and scored the same way, side by side.

    python -m training.experiment                      # all candidates, 5 folds -> training/results/
    python -m training.experiment --folds 2 --subset 300 --candidates tfidf_lr,minilm_lr --out /tmp/x   # a quick run

Each candidate runs in its own process so its training time and peak memory are its own. For each: out-of-fold
predictions on `train` (folds grouped by document) choose the abstention threshold (maximum kappa), then the
candidate is fitted on all of `train` and scored on every held-out split (`autocoder.corpus.HELD_OUT`), all by
`autocoder.train.train_and_evaluate`, the function that trains the shipped model.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np

from autocoder.io import load_codebook
from autocoder.corpus import HELD_OUT
from autocoder.embed import Encoder
from autocoder.train import CodedSet, train_and_evaluate

from .candidates import BY_NAME, CANDIDATES

RESULTS_DIR = Path(__file__).resolve().parent / "results"
TARGETS = {"category kappa": 0.75, "construct kappa": 0.80, "construct-proportion error": 0.03}


def load_data(subset: int | None, seed: int = 0) -> tuple[CodedSet, dict[str, CodedSet]]:
    """The train split (optionally a random subset of its documents, for quick runs) and the held-out splits."""
    train = CodedSet.from_split("train").category_coded()
    if subset:
        rng = np.random.default_rng(seed)
        docs = sorted(set(train.groups))
        rng.shuffle(docs)
        keep, total = set(), 0
        for doc in docs:
            if total >= subset:
                break
            keep.add(doc)
            total += train.groups.count(doc)
        train = train.subset([i for i, g in enumerate(train.groups) if g in keep])
    return train, {name: CodedSet.from_split(name) for name in HELD_OUT}


def run_candidate(name: str, folds: int, subset: int | None) -> dict:
    """A candidate trained and scored exactly as the shipped model is (`autocoder.train.train_and_evaluate`)."""
    codebook = load_codebook()
    train, held_out = load_data(subset)
    candidate = BY_NAME[name]
    trained = train_and_evaluate(candidate.build(codebook, Encoder()), codebook, folds=folds, train=train,
                                 held_out=held_out)
    return {"name": name, "description": candidate.description, "threshold": trained["threshold"]["threshold"],
            "temperature": trained["temperature"], "train_units": trained["train_units"], "folds": folds,
            "train_seconds": trained["train_seconds"], "cross_validation": trained["cross_validation"],
            **trained["held_out"],
            "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def _row(result: dict, part: str) -> str:
    r = result[part]
    cat, con = r["category"], r["construct"]
    return (f"| {result['name']} | {part} | {cat['kappa']:.3f} | {cat['macro_f1']:.3f} | {con['kappa']:.3f} | "
            f"{con['macro_f1']:.3f} | {cat['percent_agreement']:.3f} | {r['abstention_rate']:.1%} | "
            f"{r['construct_proportion_error']:.3f} |")


def render_table(results: list[dict]) -> str:
    lines = ["| candidate | data | category kappa | category macro-F1 | construct kappa | construct macro-F1 | "
             "accuracy | no category suggested | construct-proportion error |", "|" + "---|" * 9]
    for result in results:
        for part in ("cross_validation", *HELD_OUT):
            lines.append(_row(result, part))
    lines += ["", "| candidate | what | threshold | train units | train + CV time (s) | peak memory (MB) |",
              "|---|---|---|---|---|---|"]
    lines += [f"| {r['name']} | {r['description']} | {r['threshold']:.2f} | {r['train_units']} | "
              f"{r['train_seconds']} | {r['peak_memory_mb']} |" for r in results]
    best = max(results, key=lambda r: r["cross_validation"]["category"]["kappa"])
    lines += ["", f"Best by cross-validated category kappa: **{best['name']}**. Against the targets on the held-out "
              "real `test` split:", ""]
    test = best["test"]
    got = {"category kappa": test["category"]["kappa"], "construct kappa": test["construct"]["kappa"],
           "construct-proportion error": test["construct_proportion_error"]}
    for metric, target in TARGETS.items():
        reached = got[metric] <= target if "error" in metric else got[metric] >= target
        gap = "reached" if reached else f"missed by {abs(got[metric] - target):.3f}"
        lines.append(f"- {metric}: {got[metric]:.3f} (target {'≤' if 'error' in metric else '≥'} {target}): {gap}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidates", default=",".join(c.name for c in CANDIDATES))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--subset", type=int, default=None, help="use about this many train units (whole documents)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    parser.add_argument("--keep", action="store_true",
                        help="keep the other candidates' results already in OUT/results.json (rerun only these)")
    parser.add_argument("--run-one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run_one:
        json.dump(run_candidate(args.run_one, args.folds, args.subset), sys.stdout)
        return
    args.out.mkdir(parents=True, exist_ok=True)
    names = args.candidates.split(",")
    previous = json.loads((args.out / "results.json").read_text()) if args.keep else []
    results = [r for r in previous if r["name"] not in names]
    for name in names:
        if name not in BY_NAME:
            parser.error(f"unknown candidate {name!r}; known: {', '.join(BY_NAME)}")
        command = [sys.executable, "-m", "training.experiment", "--run-one", name, "--folds", str(args.folds)]
        if args.subset:
            command += ["--subset", str(args.subset)]
        print(f"running {name} ...", file=sys.stderr, flush=True)
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            raise SystemExit(f"candidate {name} failed:\n{completed.stderr[-3000:]}")
        results.append(json.loads(completed.stdout))
        print(f"  {name}: CV category kappa {results[-1]['cross_validation']['category']['kappa']:.3f}, "
              f"{results[-1]['train_seconds']} s", file=sys.stderr, flush=True)
    order = [c.name for c in CANDIDATES]
    results.sort(key=lambda r: order.index(r["name"]))
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    (args.out / "results.md").write_text(render_table(results), encoding="utf-8")
    print(render_table(results))


if __name__ == "__main__":
    main()
