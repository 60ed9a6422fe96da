"""Confidence, learning from reviewers and corpus proportions, for one candidate (the default model's).

    python -m training.analysis [--candidate NAME] [--out training/results]

Writes analysis.json, analysis.md and three plots: reliability.png (calibration), coverage.png
(coverage/precision against the abstention threshold), learning_curve.png (kappa against reviewed units,
least-certain-first against random order).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import cohen_kappa_score  # noqa: E402

from autocoder.io import load_codebook  # noqa: E402
from autocoder.embed import Encoder  # noqa: E402
from autocoder.quantify import adjusted_proportions, misclassification_rates, proportions  # noqa: E402
from autocoder.classify import apply_temperature  # noqa: E402
from autocoder.train import (CodedSet, coverage_curve, cross_val_proba, fit_temperature, fresh,  # noqa: E402
                             top_code_calibration)
from autocoder.types import NONE_CODE  # noqa: E402

from .candidates import BY_NAME  # noqa: E402
from .experiment import RESULTS_DIR, load_data  # noqa: E402


def top(proba: np.ndarray, classes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    best = proba.argmax(axis=1)
    return classes[best], proba[np.arange(len(proba)), best]


def aligned(model, data: CodedSet, classes: np.ndarray) -> np.ndarray:
    out = np.zeros((len(data), len(classes)))
    out[:, np.searchsorted(classes, model.classes_)] = model.predict_proba(data.inputs)
    return out


def learning_curve(build, train: CodedSet, evaluate_on: CodedSet, batch: int, steps: int, seed: int = 0) -> dict:
    """Reviewing simulated: start from a model trained on the real-text part of `train`; the report-style documents
    the project wrote (synthetic reports and register documents) are the pool a reviewer works through; each batch of reviewed units (their adjudicated codes stand for the
    reviewer's accept or recode) is added and the model retrained."""
    pool_idx = [i for i, g in enumerate(train.groups) if g.startswith(("synthetic/", "registers/"))]
    base_idx = [i for i in range(len(train)) if i not in set(pool_idx)]
    curves = {}
    for strategy in ("random", "least_certain"):
        rng = np.random.default_rng(seed)
        reviewed: list[int] = []
        remaining = list(pool_idx)
        points = []
        for step in range(steps + 1):
            model = fresh(build).fit(*_xy(train.subset(base_idx + reviewed)))
            predicted = model.predict_proba(evaluate_on.inputs).argmax(axis=1)
            kappa = cohen_kappa_score(evaluate_on.codes, model.classes_[predicted])
            points.append({"reviewed": len(reviewed), "kappa": float(kappa)})
            if step == steps or not remaining:
                break
            if strategy == "random":
                chosen = list(rng.choice(remaining, size=min(batch, len(remaining)), replace=False))
            else:
                confidence = model.predict_proba(train.subset(remaining).inputs).max(axis=1)
                chosen = [remaining[i] for i in np.argsort(confidence)[:batch]]
            reviewed += chosen
            remaining = [i for i in remaining if i not in set(chosen)]
        curves[strategy] = points
    return curves


def _xy(data: CodedSet):
    return data.inputs, data.codes


def quantification(oof_pred: np.ndarray, train: CodedSet, model, held_out: dict[str, CodedSet], codebook) -> dict:
    """Construct proportions of each held-out split: human, classify-and-count, adjusted classify-and-count."""
    labels = [*codebook.construct_ids, NONE_CODE]
    to_construct = lambda codes: [codebook.construct_of(c) or NONE_CODE for c in codes]  # noqa: E731
    rates = misclassification_rates(to_construct(train.codes), to_construct(oof_pred), labels)
    out = {}
    for name, data in held_out.items():
        predicted = to_construct(model.classes_[model.predict_proba(data.inputs).argmax(axis=1)])
        human = proportions(to_construct(data.codes), labels)[:-1]
        counted = proportions(predicted, labels)[:-1]
        adjusted = adjusted_proportions(predicted, rates, labels)[:-1]
        # Table 5 proportions are over units coded to a construct: renormalise without NONE.
        human, counted, adjusted = (v / v.sum() for v in (human, counted, adjusted))
        out[name] = {"constructs": codebook.construct_ids, "human": human.round(3).tolist(),
                     "classify_and_count": counted.round(3).tolist(), "adjusted": adjusted.round(3).tolist(),
                     "error_classify_and_count": float(np.abs(counted - human).mean()),
                     "error_adjusted": float(np.abs(adjusted - human).mean())}
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidate", default=None, help="default: the best in OUT/results.json")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--subset", type=int, default=None)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    name = args.candidate or max(json.loads((args.out / "results.json").read_text()),
                                 key=lambda r: r["cross_validation"]["category"]["kappa"])["name"]
    codebook = load_codebook()
    train, held_out = load_data(args.subset)
    build = BY_NAME[name].build(codebook, Encoder())
    raw_proba, classes = cross_val_proba(build, train, args.folds)
    # The temperature is fitted on out-of-fold predictions, as `autocoder train` fits it; `test` stays unseen.
    temperature = fit_temperature(raw_proba, classes, train.codes)
    proba = apply_temperature(raw_proba, temperature)
    model = fresh(build).fit(train.inputs, train.codes)
    raw_test = aligned(model, held_out["test"], classes)
    model.set_params(temperature=temperature)

    oof_code, _ = top(proba, classes)
    ece, bins = {}, {}
    for label, (p, codes) in {"cross_validation, raw": (raw_proba, train.codes),
                              "cross_validation, scaled": (proba, train.codes),
                              "test, raw": (raw_test, held_out["test"].codes),
                              "test, scaled": (apply_temperature(raw_test, temperature), held_out["test"].codes)}.items():
        ece[label], bins[label] = top_code_calibration(p, classes, codes)
    curve_oof = coverage_curve(proba, classes, train.codes)
    curves_held = {n: coverage_curve(aligned(model, d, classes), classes, d.codes) for n, d in held_out.items()}
    at90 = next((p for p in curve_oof if p["precision"] is not None and p["precision"] >= 0.9), None)
    at90_held = {n: next(p for p in c if p["threshold"] == at90["threshold"]) for n, c in curves_held.items()} if at90 else {}
    learning = learning_curve(build, train, held_out["test_synthetic"], args.batch, args.steps)
    quant = quantification(oof_code, train, model, held_out, codebook)

    results = {"candidate": name, "temperature": temperature, "ece": ece, "reliability": bins,
               "coverage": {"cross_validation": curve_oof, **curves_held},
               "threshold_at_90_precision": at90, "at_that_threshold_held_out": at90_held,
               "learning_curve": learning, "quantification": quant}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "analysis.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    _plots(results, args.out)
    (args.out / "analysis.md").write_text(render(results), encoding="utf-8")
    print(render(results))


def _line_plot(path: Path, series: dict[str, tuple[list, list]], xlabel: str, ylabel: str, title: str,
               reference: tuple[str, list, list] | None = None) -> None:
    fig, ax = plt.subplots(figsize=(6, 4.5))
    if reference:
        label, xs, ys = reference
        ax.plot(xs, ys, color="grey", linestyle=":", label=label)
    for label, (xs, ys) in series.items():
        ax.plot(xs, ys, marker="o", markersize=3, label=label)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _plots(results: dict, out: Path) -> None:
    _line_plot(out / "reliability.png",
               {f"{name} (ECE {results['ece'][name]:.3f})": ([b["confidence"] for b in bins], [b["accuracy"] for b in bins])
                for name, bins in results["reliability"].items()},
               "confidence of the top code", "share correct", "Reliability", ("perfect calibration", [0, 1], [0, 1]))
    coverage = {name: ([p["coverage"] for p in curve if p["precision"] is not None],
                       [p["precision"] for p in curve if p["precision"] is not None])
                for name, curve in results["coverage"].items()}
    _line_plot(out / "coverage.png", coverage, "coverage (share of units given a category)",
               "precision of suggestions", "Coverage against precision as the threshold rises",
               ("90% precision", [0, 1], [0.9, 0.9]))
    _line_plot(out / "learning_curve.png",
               {strategy.replace("_", " "): ([p["reviewed"] for p in points], [p["kappa"] for p in points])
                for strategy, points in results["learning_curve"].items()},
               "reviewed units added to training", "category kappa on test_synthetic", "Learning from reviewers")


def render(results: dict) -> str:
    lines = [f"# Analysis of `{results['candidate']}`", "",
             f"Expected calibration error of the top code's probability, before (raw) and after temperature "
             f"scaling (T = {results['temperature']:.2f}, fitted on the out-of-fold predictions): "
             + ", ".join(f"{label} {value:.3f}" for label, value in results["ece"].items())
             + ". ![reliability](reliability.png)", ""]
    at90 = results["threshold_at_90_precision"]
    if at90:
        held = ", ".join(f"`{n}`: precision {_f(p['precision'])} at coverage {p['coverage']:.1%}"
                         for n, p in results["at_that_threshold_held_out"].items())
        lines.append(f"The lowest threshold with 90% precision out-of-fold is {at90['threshold']:.2f}, where the "
                     f"model still suggests a category for {at90['coverage']:.1%} of units. At that threshold on the "
                     f"held-out splits: {held}.")
    else:
        lines.append("No threshold reaches 90% precision out-of-fold.")
    lines += ["", "![coverage](coverage.png)", "", "## Learning from reviewers", "",
              "| reviewed units | " + " | ".join(results["learning_curve"]) + " |", "|---|---|---|"]
    curves = list(results["learning_curve"].values())
    for i, point in enumerate(curves[0]):
        lines.append(f"| {point['reviewed']} | " + " | ".join(_f(c[i]["kappa"]) if i < len(c) else "-" for c in curves) + " |")
    lines += ["", "![learning curve](learning_curve.png)", "", "## Construct proportions (Table 5 form)", "",
              "| split | error: classify and count | error: adjusted | human | counted | adjusted |", "|---|---|---|---|---|---|"]
    for name, q in results["quantification"].items():
        lines.append(f"| {name} | {q['error_classify_and_count']:.3f} | {q['error_adjusted']:.3f} | "
                     f"{q['human']} | {q['classify_and_count']} | {q['adjusted']} |")
    lines += ["", f"Constructs in order: {', '.join(results['quantification']['test']['constructs'])}.", ""]
    return "\n".join(lines)


def _f(value) -> str:
    return "-" if value is None else f"{value:.3f}"


if __name__ == "__main__":
    main()
