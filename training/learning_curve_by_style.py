"""Does more register data still help? The default model's settings (its threshold and temperature as shipped)
refitted on all of the train split's non-register units plus a growing share of its register documents (the
same share of each style's documents, drawn at random), scored on each style's held-out documents.

    .venv/bin/python -m training.learning_curve_by_style      # -> training/results/learning_curve_by_style.{md,json}
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from sklearn.base import clone

from autocoder.classify import CodebookClassifier
from autocoder.io import load_codebook
from autocoder.corpus import STYLES
from autocoder.embed import Encoder
from autocoder.pipeline import DEFAULT_MODEL
from autocoder.train import CodedSet, score

SHARES = (0.0, 0.25, 0.5, 1.0)
RESULTS = Path(__file__).resolve().parent / "results"


def style_of(document: str) -> str | None:
    parts = document.split("/")
    return parts[1] if parts[0] == "registers" and len(parts) > 2 else None


def main(seed: int = 0) -> None:
    codebook, encoder = load_codebook(), Encoder()
    shipped = CodebookClassifier.load(DEFAULT_MODEL, codebook=codebook, encoder=encoder)
    train = CodedSet.from_split("train").category_coded()
    held_out = {style: CodedSet.from_split(f"test_{style}") for style in STYLES}
    documents = {style: sorted({g for g in train.groups if style_of(g) == style}) for style in STYLES}
    order = {style: random.Random(seed).sample(docs, len(docs)) for style, docs in documents.items()}
    curve = []
    for share in SHARES:
        kept = {d for style in STYLES for d in order[style][:round(share * len(order[style]))]}
        subset = train.subset([i for i, g in enumerate(train.groups) if style_of(g) is None or g in kept])
        model = clone(shipped).set_params(encoder=encoder).fit(subset.inputs, subset.codes)
        point = {"share": share, "register_documents": len(kept), "train_units": len(subset)}
        for style, data in held_out.items():
            point[style] = round(score(data, model.predict(data.inputs), codebook)["category"]["kappa"], 3)
        curve.append(point)
        print(point, flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "learning_curve_by_style.json").write_text(json.dumps({"seed": seed, "curve": curve}, indent=2) + "\n",
                                                         encoding="utf-8")
    lines = ["# Learning curve by style", "",
             "Category kappa on each style's held-out documents, with the default model's settings refitted on the "
             "train split's non-register units and a share of its register documents (the same share of each "
             "style). Reproduce: `.venv/bin/python -m training.learning_curve_by_style`.", "",
             "| share of register documents | documents | train units | " + " | ".join(STYLES) + " |",
             "|---|---|---|" + "---|" * len(STYLES)]
    lines += [f"| {p['share']:.0%} | {p['register_documents']} | {p['train_units']} | "
              + " | ".join(f"{p[s]:.3f}" for s in STYLES) + " |" for p in curve]
    (RESULTS / "learning_curve_by_style.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
