"""Units per second of the segmenter, beside the segmenter as it was before the unitizing guideline.

Both segment the same documents in this process, all of them in one `segment_many` call, after a warm-up: a
generated archive (benchmarks/make_archive.py) unless a folder of reports is given. The earlier segmenter
(spaCy's full parser on every block) is read from git at `--baseline` (default: the last commit before it was
replaced) into a temporary package, so both run from the same checkout.

    .venv/bin/python benchmarks/segmentation.py [--reports 200] [--documents DIR] [--repeats 3] [--baseline REV]

Writes benchmarks/results/segmentation.json and .md. Figures move with the machine's load (recorded in the
results): rerun on an idle machine for numbers to quote.
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _measure import Stopwatch, machine, write_results  # noqa: E402
from make_archive import make_archive  # noqa: E402

from autocoder.batch import find_reports  # noqa: E402
from autocoder.readers import read_document  # noqa: E402
from autocoder.segment import Segmenter  # noqa: E402

BASELINE = "0a96bce"
"""The last commit with the parser-based segmenter."""
BASELINE_MODULES = ("types", "sections", "segment")


def baseline_segmenter(revision: str, folder: Path):
    """The `Segmenter` of autocoder at `revision`, imported from its files as a package of its own."""
    package = folder / "autocoder_baseline"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    for module in BASELINE_MODULES:
        source = subprocess.run(["git", "-C", str(ROOT), "show", f"{revision}:autocoder/{module}.py"],
                                capture_output=True, text=True, check=True).stdout
        (package / f"{module}.py").write_text(source, encoding="utf-8")
    sys.path.insert(0, str(folder))
    return importlib.import_module("autocoder_baseline.segment").Segmenter()


def units_per_second(segmenter, documents, repeats: int) -> dict:
    segmenter.segment(documents[0])  # loads the pipeline
    rates, units = [], 0
    for _ in range(repeats):
        with Stopwatch() as clock:
            units = sum(len(found) for found in segmenter.segment_many(documents))
        rates.append(units / clock.seconds)
    return {"units": units, "units_per_second": round(statistics.median(rates), 1),
            "runs": [round(r, 1) for r in rates]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=200)
    parser.add_argument("--documents", type=Path, help="a folder of reports instead of a generated archive")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline", default=BASELINE, help="git revision of the segmenter to compare with")
    args = parser.parse_args()
    start = machine()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.documents or make_archive(Path(tmp) / "archive", args.reports)
        documents = [read_document(p, doc_id=p.relative_to(folder).as_posix()) for p in find_reports(folder)]
        current = units_per_second(Segmenter.load(), documents, args.repeats)
        rules = units_per_second(Segmenter(), documents, args.repeats)
        baseline = units_per_second(baseline_segmenter(args.baseline, Path(tmp)), documents, args.repeats)
    result = {"machine": start, "load_average_at_end": machine()["load_average"],
              "documents": len(documents), "source": str(args.documents or f"generated archive of {args.reports}"),
              "segmenter": current, "clause_rules": rules, "baseline": {"revision": args.baseline, **baseline},
              "speed_up": round(current["units_per_second"] / baseline["units_per_second"], 2)}
    markdown = (f"Segmentation of {len(documents)} documents ({result['source']}), one process:\n\n"
                f"| segmenter | units | units/s (median of {args.repeats}) |\n|---|---|---|\n"
                f"| learned cuts + tagger on candidate sentences (the bundled unitizer) | {current['units']} | "
                f"**{current['units_per_second']}** |\n"
                f"| clause rules + tagger on candidate sentences (`Segmenter()`) | {rules['units']} | "
                f"{rules['units_per_second']} |\n"
                f"| spaCy parser on every block (at {args.baseline}) | {baseline['units']} | "
                f"{baseline['units_per_second']} |\n\n"
                f"Speed-up {result['speed_up']}x. Machine: {start['cpus']} cores, load average {start['load_average']} "
                f"at start, {result['load_average_at_end']} at end ({start['date']}).\n")
    write_results("segmentation", result, markdown)


if __name__ == "__main__":
    main()
