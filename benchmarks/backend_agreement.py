"""Does an optimised encoder backend code as the plain torch model does?

For each backend, the bundled model (autocoder/model) codes the corpus's held-out splits; the script reports
Cohen's kappa with the human codes (category and construct level) and its difference from the torch
backend's, and the kappa between the backend's codes and torch's own codes. The issue's bar: within 0.01
kappa of the plain model.

    .venv/bin/python benchmarks/backend_agreement.py [--backends torch onnx onnx-int8 openvino]

Writes benchmarks/results/backend_agreement.json and .md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _measure import machine, write_results  # noqa: E402

from sklearn.metrics import cohen_kappa_score  # noqa: E402

from autocoder.backends import BACKENDS  # noqa: E402
from autocoder.classify import CodebookClassifier  # noqa: E402
from autocoder.io import load_codebook  # noqa: E402
from autocoder.corpus import SPLITS  # noqa: E402
from autocoder.embed import Encoder  # noqa: E402
from autocoder.pipeline import DEFAULT_MODEL  # noqa: E402
from autocoder.train import CodedSet, score  # noqa: E402
from autocoder.types import NONE_CODE  # noqa: E402


def held_out() -> CodedSet:
    """The three held-out splits together: every unit no model learnt from."""
    sets = [CodedSet.from_split(s) for s in SPLITS if s != "train"]
    return CodedSet.concat(sets)


def backend_agreement(backends: list[str], data: CodedSet, model_dir: Path = DEFAULT_MODEL) -> dict:
    codebook = load_codebook()
    predictions, scores = {}, {}
    for backend in backends:
        classifier = CodebookClassifier.load(model_dir, codebook=codebook, encoder=Encoder(backend=backend))
        predictions[backend] = classifier.predict(data.inputs)
        result = score(data, predictions[backend], codebook)
        scores[backend] = {"category_kappa": result["category"]["kappa"], "construct_kappa": result["construct"]["kappa"]}
    reference = predictions[backends[0]]
    for backend in backends:
        same = [a or NONE_CODE for a in reference], [b or NONE_CODE for b in predictions[backend]]
        scores[backend].update({
            "category_kappa_minus_reference": scores[backend]["category_kappa"] - scores[backends[0]]["category_kappa"],
            "construct_kappa_minus_reference": scores[backend]["construct_kappa"] - scores[backends[0]]["construct_kappa"],
            "kappa_with_reference_codes": float(cohen_kappa_score(*same)),
            "same_code_as_reference": sum(a == b for a, b in zip(*same)) / len(data),
        })
    model = CodebookClassifier.load(model_dir, codebook=codebook)
    return {"model": model.version, "model_params": model.get_params(deep=False) | {"codebook": None, "encoder": None},
            "reference": backends[0], "units": len(data), "backends": scores}


def to_markdown(result: dict) -> str:
    lines = [f"Model {result['model']}; held-out units: {result['units']}; reference backend: {result['reference']}.", "",
             "| backend | category kappa | Δ | construct kappa | Δ | kappa with reference's codes | same code |",
             "|---|---|---|---|---|---|---|"]
    for backend, s in result["backends"].items():
        lines.append(f"| {backend} | {s['category_kappa']:.3f} | {s['category_kappa_minus_reference']:+.3f} | "
                     f"{s['construct_kappa']:.3f} | {s['construct_kappa_minus_reference']:+.3f} | "
                     f"{s['kappa_with_reference_codes']:.3f} | {s['same_code_as_reference']:.1%} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS,
                        help="the first is the reference (default: torch)")
    args = parser.parse_args()
    result = {**backend_agreement(args.backends, held_out()), "machine": machine()}
    write_results("backend_agreement", result, to_markdown(result))


if __name__ == "__main__":
    main()
