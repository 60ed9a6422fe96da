"""Units per second, stage by stage and end to end, per encoder backend, beside the TF-IDF baseline.

One run measures, on one generated archive (benchmarks/make_archive.py):

- stages, in this process: segmentation (`Segmenter`), encoding (each report on its own, as the batch does: the
  units and, for a model that reads context, their neighbours' text), the classifier head on those embeddings,
  and the whole `suggest` (encoding + head), per backend; the TF-IDF baseline's classification (TF-IDF +
  logistic regression, trained on the train split) for comparison;
- end to end: the `autocoder batch` command (read, segment, code, write parts, assemble tables) with 1 and 2
  worker processes, per backend, with the peak memory of its whole process tree; and the TF-IDF baseline's
  read-segment-classify loop in one process (no files written: the floor that segmentation sets);
- ratios: each backend against the plain torch encoder, and against the TF-IDF baseline.

    .venv/bin/python benchmarks/throughput.py [--reports 200] [--backends torch onnx onnx-int8 openvino]
                                              [--workers 1 2] [--archive DIR]

Writes benchmarks/results/throughput.json and .md. Figures move with the machine's load (recorded in the
results): rerun on an idle machine for numbers to quote.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _measure import Stopwatch, batch_command, machine, write_results  # noqa: E402
from make_archive import make_archive  # noqa: E402

from autocoder.backends import BACKENDS  # noqa: E402
from autocoder.batch import encode_batch_size, find_reports  # noqa: E402
from autocoder.classify import CodebookClassifier, suggestions_from_proba, with_context  # noqa: E402
from autocoder.io import load_codebook  # noqa: E402
from autocoder.embed import Encoder  # noqa: E402
from autocoder.pipeline import DEFAULT_MODEL  # noqa: E402
from autocoder.readers import read_document  # noqa: E402
from autocoder.segment import Segmenter  # noqa: E402
from autocoder.train import CodedSet  # noqa: E402


def rate(units: int, seconds: float) -> float:
    return round(units / seconds, 1) if seconds else float("inf")


def tfidf_baseline(codebook):
    """The experiment's TF-IDF + logistic regression candidate (training/candidates.py), on the train split."""
    from training.candidates import TfidfClassifier

    train = CodedSet.from_split("train").category_coded()
    return TfidfClassifier(codebook).fit(train.inputs, train.codes)


def stages(documents, backends: list[str], codebook) -> dict:
    segmenter = Segmenter()
    segmenter.segment(documents[0])  # loads the pipeline
    with Stopwatch() as clock:
        per_report = list(segmenter.segment_many(documents))
    inputs = [with_context(units) for units in per_report]
    n = sum(len(units) for units in per_report)
    result = {"units": n, "reports": len(documents), "segmentation": rate(n, clock.seconds), "backends": {},
              "model": CodebookClassifier.load(DEFAULT_MODEL, codebook=codebook).version}
    for backend in backends:
        shared = Encoder(backend=backend)
        shared.encode(["warm up the model"])
        classifier = CodebookClassifier.load(DEFAULT_MODEL, codebook=codebook)
        # As the batch scores: each report on its own, a fresh encoder for each.
        encoders = [Encoder(model=shared.model, batch_size=encode_batch_size(backend)) for _ in per_report]
        with Stopwatch() as encoding:  # the units and, for a model that reads context, their neighbours' text
            for encoder, report in zip(encoders, inputs):
                classifier.set_params(encoder=encoder).features(report)
        with Stopwatch() as head:  # the embeddings are in each encoder's cache: this is the classifier head alone
            for encoder, report in zip(encoders, inputs):
                classifier.set_params(encoder=encoder).suggest(report)
        with Stopwatch() as whole:
            for report in inputs:
                classifier.set_params(encoder=Encoder(model=shared.model, batch_size=encode_batch_size(backend)))
                classifier.suggest(report)
        result["backends"][backend] = {"encoding": rate(n, encoding.seconds), "classifier_head": rate(n, head.seconds),
                                       "suggest": rate(n, whole.seconds)}
    tfidf = tfidf_baseline(codebook)
    with Stopwatch() as clock:
        for report in inputs:
            suggestions_from_proba(tfidf.predict_proba(report), tfidf.classes_, codebook, 0.0)
    result["tfidf_classification"] = rate(n, clock.seconds)
    return result


def end_to_end(archive: Path, backends: list[str], workers: list[int], work: Path, codebook) -> dict:
    runs = {}
    for backend in backends:
        for count in workers:
            run = batch_command(archive, work / f"{backend}-{count}", "--backend", backend, "--workers", str(count))
            units = run["manifest"]["counts"]["units"]
            runs[f"{backend} x{count}"] = {"backend": backend, "workers": count, "units": units,
                                           "units_per_second": run["manifest"]["units_per_second"],
                                           "units_per_second_wall": rate(units, run["seconds"]),
                                           "seconds": run["seconds"], "peak_memory_mib": run["peak_memory_mib"]}
    segmenter, tfidf = Segmenter(), tfidf_baseline(codebook)
    with Stopwatch() as clock:
        units = 0
        for path in find_reports(archive):
            found = segmenter.segment(read_document(path, doc_id=path.relative_to(archive).as_posix()))
            if found:
                suggestions_from_proba(tfidf.predict_proba(with_context(found)), tfidf.classes_, codebook, 0.0)
            units += len(found)
    runs["tfidf x1"] = {"backend": "tfidf", "workers": 1, "units": units, "units_per_second": rate(units, clock.seconds),
                        "units_per_second_wall": rate(units, clock.seconds), "seconds": round(clock.seconds, 1),
                        "peak_memory_mib": None}
    return runs


def ratios(runs: dict) -> dict:
    out = {}
    for name, run in runs.items():
        torch = runs.get(f"torch x{run['workers']}")
        out[name] = {"vs_torch_same_workers": round(run["units_per_second"] / torch["units_per_second"], 2) if torch else None,
                     "vs_tfidf": round(run["units_per_second"] / runs["tfidf x1"]["units_per_second"], 2)}
    return out


def to_markdown(result: dict) -> str:
    s = result["stages"]
    lines = [f"Machine: {result['machine']['cpus']} cores, load average {result['machine']['load_average']} at start, "
             f"{result['load_average_at_end']} at end ({result['machine']['date']}). Archive: {result['archive_reports']} "
             f"generated reports. Model: {s['model']}.", "",
             f"Stages, one process ({s['units']} units of {s['reports']} reports), units per second:", "",
             "| backend | segmentation | encoding | classifier head | encoding + head |", "|---|---|---|---|---|"]
    for backend, b in s["backends"].items():
        lines.append(f"| {backend} | {s['segmentation']} | {b['encoding']} | {b['classifier_head']} | {b['suggest']} |")
    lines.append(f"| tfidf baseline | {s['segmentation']} | - | - | {s['tfidf_classification']} |")
    lines += ["", "End to end (`autocoder batch`: read, segment, code, write; units per second of the scoring phase, "
                  "and of the whole command with start-up, model loading and assembly):", "",
              "| run | units | units/s | units/s (whole run) | seconds | peak memory MiB | × torch | × tfidf |",
              "|---|---|---|---|---|---|---|---|"]
    for name, run in result["end_to_end"].items():
        r = result["ratios"][name]
        lines.append(f"| {name} | {run['units']} | {run['units_per_second']} | {run['units_per_second_wall']} | "
                     f"{run['seconds']} | {run['peak_memory_mib'] or '-'} | {r['vs_torch_same_workers'] or '-'} | {r['vs_tfidf']} |")
    lines += ["", "`tfidf x1` reads, segments and classifies in one process and writes nothing: the floor set by "
                  "segmentation."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=200, help="size of the generated archive")
    parser.add_argument("--stage-reports", type=int, default=60, help="reports used for the stage figures")
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("--workers", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--archive", type=Path, help="an existing archive instead of a generated one")
    args = parser.parse_args()
    codebook = load_codebook()
    start = machine()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        archive = args.archive or make_archive(work / "archive", args.reports)
        paths = find_reports(archive)
        documents = [read_document(p, doc_id=p.relative_to(archive).as_posix()) for p in paths[:args.stage_reports]]
        result = {"machine": start, "archive_reports": len(paths),
                  "stages": stages(documents, args.backends, codebook),
                  "end_to_end": end_to_end(archive, args.backends, args.workers, work, codebook)}
    result["ratios"] = ratios(result["end_to_end"])
    result["load_average_at_end"] = machine()["load_average"]
    write_results("throughput", result, to_markdown(result))


if __name__ == "__main__":
    main()
