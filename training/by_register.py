"""A model's agreement on the held-out field documents, per register, and on the text written by people first.

    .venv/bin/python -m training.by_register [--model DIR ...]   # -> training/results/by_register.{md,json}

Each model codes the held-out splits with its own threshold; category kappa with its 95% bootstrap interval.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from autocoder.classify import CodebookClassifier
from autocoder.corpus import load_split
from autocoder.pipeline import DEFAULT_MODEL
from autocoder.train import CodedSet, score

from .end_to_end import RESULTS

REAL = ("test", "test_study")
REGISTERS = ("inspection", "area_send", "peer_review", "info_report", "governors", "annual_review", "sef",
             "guidance")


def figures(model: CodebookClassifier) -> dict:
    book = model.codebook
    out = {}
    for split in REAL:
        data = CodedSet.from_split(split)
        out[split] = score(data, model.predict(data.inputs), book)
    field = load_split("test_field")
    for register in REGISTERS:
        data = CodedSet.from_records([r for r in field if r["register"] == register])
        out[f"test_field: {register}"] = score(data, model.predict(data.inputs), book)
    data = CodedSet.from_records(field)
    out["test_field: all"] = score(data, model.predict(data.inputs), book)
    return out


def cell(result: dict, level: str) -> str:
    if level not in result:
        return "-"
    r = result[level]
    return f"{r['kappa']:.3f} ({r['kappa_ci95'][0]:.3f}-{r['kappa_ci95'][1]:.3f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, action="append", help="model directories (default: the bundled)")
    args = parser.parse_args()
    models = {str(path): CodebookClassifier.load(path) for path in (args.model or [DEFAULT_MODEL])}
    results = {name: {"version": model.version, "figures": figures(model)} for name, model in models.items()}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "by_register.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    names = list(results)
    lines = ["# Held out: the text written by people first, then the field registers (writers unseen in training)", "",
             "Category kappa (95% CI); construct kappa for `test_study` (coded by construct). Reproduce: "
             "`.venv/bin/python -m training.by_register " + " ".join(f"--model {n}" for n in names) + "`.", "",
             "| held out | units | " + " | ".join(f"`{results[n]['version']}`" for n in names) + " |",
             "|---|---|" + "---|" * len(names)]
    for part in results[names[0]]["figures"]:
        level = "construct" if part == "test_study" else "category"
        units = results[names[0]]["figures"][part]["n"]
        lines.append(f"| {part} | {units} | " + " | ".join(cell(results[n]["figures"][part], level) for n in names)
                     + " |")
    (RESULTS / "by_register.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
