"""`autocoder` command line: a thin layer over the library."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Literal, Optional

import typer
from rich.console import Console
from rich.progress import track

from .errors import AutocoderError

app = typer.Typer(help="Auto-coding of units of meaning for qualitative content analysis.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
err = Console(stderr=True, soft_wrap=True)

ModelOption = Annotated[Optional[Path], typer.Option("--model", "-m", help="Model directory (default: the bundled model, autocoder/model).")]
CodebookOption = Annotated[Optional[Path], typer.Option("--codebook", help=(
    "Codebook: JSON, REFI-QDA .qdc, or the codebook of a .qdpx project (default: the model's own; for training, "
    "the --data project's, else the paper's)."))]
OutOption = Annotated[Optional[Path], typer.Option("--output", "-o", help="Output file (.jsonl or .csv); stdout if omitted.")]


def _write(records: list[dict], output: Path | None) -> None:
    from .io import write_csv, write_jsonl

    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
    if output is None:
        for record in records:
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    elif output.suffix.lower() == ".csv":
        write_csv(output, records)
    else:
        write_jsonl(output, records)
    if output is not None:
        err.print(f"wrote {len(records)} units to {output}")


@app.command()
def segment(files: Annotated[Optional[list[Path]], typer.Argument(help="Reports: .txt, .md, .docx, .pdf")] = None,
            output: OutOption = None,
            evaluate: Annotated[Optional[list[Path]], typer.Option(
                "--evaluate", help="Instead of segmenting FILES, score the segmenter against a gold: one unit file "
                                   "per annotator (JSONL: doc, source_file, start, end, text, style, split); "
                                   "give it once per file.")] = None,
            split: Annotated[Optional[str], typer.Option(help="With --evaluate: only the gold documents of this "
                                                              "split (train, test); default: all.")] = None,
            sections: Annotated[Optional[Path], typer.Option(help="The sections the headings of the gold's "
                                                                  "documents mean (JSONL: doc, headings); without "
                                                                  "--evaluate, score only the sections, of the "
                                                                  "documents it names (doc, source_file, style, "
                                                                  "headings).")] = None,
            documents: Annotated[Optional[Path], typer.Option(help="With --evaluate: the folder the gold's "
                                                                   "source_file paths are relative to (default: the "
                                                                   "gold file's nearest ancestor holding them).")] = None,
            json_out: Annotated[Optional[Path], typer.Option("--json", help="With --evaluate: write the figures "
                                                                            "here too.")] = None,
            model: Annotated[Optional[Path], typer.Option("--model", "-m", help=(
                "With --evaluate: also code the segmenter's and each annotator's units with this model and compare "
                "the kappa with the corpus's human codes of the same documents."))] = None) -> None:
    """Split documents into units of meaning with offsets and sections, or score the segmenter against a gold."""
    from .errors import InputError
    from .readers import read_document
    from .segment import Segmenter

    segmenter = Segmenter.load()
    if evaluate:
        _evaluate_segmenter(segmenter, evaluate, split, sections, documents, json_out, model)
        return
    if sections and not files:
        from .segment_evaluation import evaluate_sections, render_sections, write_json

        results = evaluate_sections(sections, segmenter, documents)
        typer.echo(render_sections(results), nl=False)
        if json_out:
            write_json(results, json_out)
        return
    if not files:
        raise InputError("give report files to segment, or --evaluate with gold unit files, or --sections")
    read = [read_document(path) for path in files]
    records = []
    segmented = segmenter.segment_many(read)
    for document, units in track(zip(read, segmented), total=len(read), description="segmenting", console=err,
                                 disable=len(read) < 2):
        records += [u.to_dict() for u in units]
        _warn(document, units)
    _write(records, output)


def _warn(document, units) -> None:
    from .checks import document_warnings

    for warning in document_warnings(document.path or document.id, document.text, units):
        err.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)


def _evaluate_segmenter(segmenter, gold: list[Path], split: str | None, sections: Path | None,
                        documents: Path | None, json_out: Path | None, model: Path | None) -> None:
    from .errors import InputError
    from .segment_evaluation import Coding, evaluate_segmentation, render_segmentation, write_json

    names = {path.stem: path for path in gold}
    if len(names) < len(gold):
        raise InputError("gold files need different names: each file's name (without .jsonl) names its annotator")
    coding = None
    if model is not None:
        from .corpus import SPLITS, load_split
        from .pipeline import Pipeline

        human: dict[str, list[tuple[int, int, str]]] = {}
        for name in SPLITS:
            for r in load_split(name):
                if r.get("category") and r.get("start") is not None:
                    human.setdefault(r["doc"], []).append((r["start"], r["end"], r["category"]))
        coding = Coding(Pipeline.load(model, segmenter=segmenter), human)
    results = evaluate_segmentation(names, segmenter, split=split, sections_path=sections, documents_root=documents,
                                    coding=coding)
    typer.echo(render_segmentation(results), nl=False)
    if json_out:
        write_json(results, json_out)


def _codebook_or_model_own(codebook: Path | None):
    """The codebook given, or None: the model's own."""
    from .io import load_codebook

    return load_codebook(codebook) if codebook else None


@app.command()
def code(files: Annotated[list[Path], typer.Argument(help="Reports: .txt, .md, .docx, .pdf")],
         output: Annotated[Optional[Path], typer.Option("--output", "-o", help=(
             "Output file: .jsonl, .csv, or .qdpx (a REFI-QDA project for NVivo, ATLAS.ti, MAXQDA: the codebook, "
             "the documents and one coding per suggested unit); stdout (JSONL) if omitted."))] = None,
         model: ModelOption = None, codebook: CodebookOption = None) -> None:
    """Segment documents and suggest a code for every unit."""
    from .pipeline import Pipeline

    pipeline = Pipeline.load(model, _codebook_or_model_own(codebook))
    coded = list(track(pipeline.code_files(files), total=len(files), description="coding", console=err,
                       disable=len(files) < 2))
    for document, units, _ in coded:
        _warn(document, units)
    if output is not None and output.suffix.lower() == ".qdpx":
        from .refi import write_suggestions

        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(write_suggestions(output.stem, pipeline.codebook, coded))
        suggested = sum(s.category is not None for _, _, suggestions in coded for s in suggestions)
        err.print(f"wrote {len(coded)} documents, {suggested} suggested codings to {output}")
        return
    _write([{**u.to_dict(), **s.to_dict()} for _, units, suggestions in coded for u, s in zip(units, suggestions)],
           output)


@app.command("code-units")
def code_units(input: Annotated[Path, typer.Argument(help="JSONL or CSV of units: id, text, section (optional)")],
               output: OutOption = None, model: ModelOption = None, codebook: CodebookOption = None) -> None:
    """Suggest a code for pre-segmented units (one output line per input unit, same id), each read with its
    section and the units beside it, as `code` reads the units it cuts."""
    from .io import library_units, read_units
    from .pipeline import Pipeline

    records = read_units(input)
    pipeline = Pipeline.load(model, _codebook_or_model_own(codebook))
    suggestions = pipeline.suggest(library_units(records, input.stem))
    _write([{**r, **s.to_dict()} for r, s in zip(records, suggestions)], output)


@app.command()
def train(output: Annotated[Path, typer.Option("--output", "-o", help="Model directory to write (the bundled model: autocoder/model).")],
          data: Annotated[Optional[Path], typer.Option(help=(
              "Coded units: JSONL/CSV with id, text, category, doc, or a REFI-QDA project (.qdpx: its codebook, "
              "documents and coded selections); default: the corpus's train split."))] = None,
          folds: int = 5, target_precision: float = 0.9,
          context_weight: Annotated[float, typer.Option(help="Weight of the neighbouring units' embedding (0: off).")] = 0.5,
          context_encoding: Annotated[Literal["mean", "joined"], typer.Option(help=(
              "Neighbours as the mean of their own embeddings, or as the embedding of their text joined."))] = "mean",
          section: Annotated[bool, typer.Option("--section/--no-section", help="Use the report section as a feature.")] = True,
          tfidf_weight: Annotated[float, typer.Option(help="Share of a TF-IDF model in the mixed probabilities (0: off).")] = 0.5,
          fine_tune_epochs: Annotated[int, typer.Option(help="Fine-tune the sentence encoder on the coded units for this "
                                                             "many epochs first (0: the shipped encoder as it is).")] = 0,
          calibrate_on: Annotated[Literal["all", "real"], typer.Option(help=(
              "Fit the temperature and abstention threshold on the out-of-fold predictions of all units, or of the "
              "units written by people only (not synthetic), when there are 200 of them."))] = "all",
          experiment: Annotated[Optional[Path], typer.Option(help="Experiment results to add to the model card "
                                                                  "(default: training/results when present).")] = None,
          codebook: CodebookOption = None) -> None:
    """Train a model, fit its temperature and abstention threshold by grouped cross-validation, write it with its
    model card."""
    from .classify import CodebookClassifier
    from .errors import InputError
    from .io import load_codebook
    from .model_card import EXPERIMENT_DIR, write_model_card
    from .train import save_trained, train_and_evaluate

    qdpx = data is not None and data.suffix.lower() == ".qdpx"
    book = load_codebook(codebook if codebook or not qdpx else data)
    train_set = _coded_file(data, book) if data else None
    if train_set is not None and len(train_set.category_coded()) < 2:
        raise InputError("training needs at least two units coded by category (or NONE)", source=str(data))
    model = CodebookClassifier(codebook=book, context_weight=context_weight, context_encoding=context_encoding,
                               use_section=section, tfidf_weight=tfidf_weight, fine_tune_epochs=fine_tune_epochs)
    results = train_and_evaluate(model, book, folds=folds, target_precision=target_precision,
                                 train=train_set, held_out={} if data else None,
                                 calibrate_on_real=calibrate_on == "real")
    if data:
        results["data"] = str(data)
    save_trained(model, results, output)
    write_model_card(output, model, results, book, None if data else experiment or EXPERIMENT_DIR)
    cv = results["cross_validation"]
    err.print(f"model {model.version} written to {output} (codebook {book.id!r}, {results['train_units']} units; "
              + (f"{folds}-fold grouped cross-validation: {_figures(cv)})" if cv else "too few to cross-validate)"),
              highlight=False)


def _figures(result: dict) -> str:
    line = f"n={result['n']}"
    if "category" in result:
        line += f"  category kappa={result['category']['kappa']:.3f}"
    if "construct" in result:
        line += f"  construct kappa={result['construct']['kappa']:.3f}"
    return line + f"  abstained={result['abstention_rate']:.1%}"


def _coded_file(path: Path, codebook):
    """Coded units of a JSONL/CSV file, or of a .qdpx project mapped onto the segmenter's units (reported)."""
    from .train import CodedSet

    if path.suffix.lower() == ".qdpx":
        from .refi import read_project_file

        return CodedSet.from_records(_aligned(read_project_file(path, codebook), str(path)).records(codebook))
    from .io import read_coded_units

    return CodedSet.from_records(read_coded_units(path, codebook))


def _aligned(project, source: str, segmenter=None):
    """A project's selections on the segmenter's units, with what was mapped how said on the console."""
    from .alignment import align
    from .segment import Segmenter

    alignment = align(project, segmenter or Segmenter.load())
    for line in alignment.summary(source):
        err.print(line, highlight=False, markup=False)
    return alignment


@app.command()
def evaluate(model: ModelOption = None,
             data: Annotated[Optional[Path], typer.Option(help="Human-coded units to score against: JSONL/CSV or a "
                                                               "REFI-QDA project (.qdpx); default: the corpus's held-out "
                                                               "splits.")] = None,
             folds: Annotated[int, typer.Option(help="Also cross-validate the model's settings on the train "
                                                     "split with this many document-grouped folds (0: skip).")] = 0,
             codebook: CodebookOption = None,
             json_out: Annotated[Optional[Path], typer.Option("--json", help="Write the full results here.")] = None) -> None:
    """Agreement of a model with human codes: held-out splits or a coding file, and optional cross-validation."""
    from .classify import CodebookClassifier, suggestions_from_proba
    from .corpus import SPLITS
    from .pipeline import DEFAULT_MODEL
    from .train import CodedSet, cross_val_proba, evaluate as evaluate_model, fresh, score

    classifier = CodebookClassifier.load(model or DEFAULT_MODEL, codebook=_codebook_or_model_own(codebook))
    book = classifier.codebook
    sets = {data.name: _coded_file(data, book)} if data else {s: CodedSet.from_split(s) for s in SPLITS if s != "train"}
    results = {name: evaluate_model(classifier, coded, book) for name, coded in sets.items() if len(coded)}
    if folds:
        train_set = CodedSet.from_split("train").category_coded()
        proba, classes = cross_val_proba(fresh(classifier), train_set, folds)
        suggestions = suggestions_from_proba(proba, classes, book, classifier.threshold)
        results[f"train ({folds}-fold grouped CV)"] = score(train_set, [s.category for s in suggestions], book)
    for name, result in results.items():
        typer.echo(f"{name}: {_figures(result)}")
    if json_out:
        json_out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


@app.command("agreement")
def agreement_command(first: Annotated[Path, typer.Argument(help="Coding A: JSONL/CSV (id, category) or a REFI-QDA "
                                                                 "project (.qdpx)")],
                      second: Annotated[Path, typer.Argument(help="Coding B: the same unit ids, or a .qdpx of the "
                                                                  "same documents")],
                      field: Annotated[str, typer.Option(help="Field holding the code in both files.")] = "category",
                      codebook: CodebookOption = None,
                      json_out: Annotated[Optional[Path], typer.Option("--json", help="Write the full report here.")] = None) -> None:
    """Cohen's kappa (overall, per category, per construct), Krippendorff's alpha and confusion of two codings.

    Two .qdpx projects (two coders' exports of the same documents) are compared at unit level (each coder's
    selections mapped onto the segmenter's units) and, per code, over characters as NVivo's coding comparison
    does.
    """
    from .agreement import agreement
    from .io import load_codebook
    from .errors import InputError
    from .io import read_codes
    from .report import render_agreement

    if first.suffix.lower() == ".qdpx" and second.suffix.lower() == ".qdpx":
        _project_agreement(first, second, load_codebook(codebook or first), json_out)
        return
    book = load_codebook(codebook)
    a, b = read_codes(first, book, field), read_codes(second, book, field)
    common = [unit for unit in a if unit in b]
    if not common:
        raise InputError(f"no unit ids in common between {first} and {second}")
    only = len(a) + len(b) - 2 * len(common)
    if only:
        err.print(f"[yellow]{only} units coded in only one file are left out[/yellow]")
    reports = agreement([a[u] for u in common], [b[u] for u in common], book)
    typer.echo(render_agreement(reports))
    if json_out:
        json_out.write_text(json.dumps({k: r.to_dict() for k, r in reports.items()}, indent=2) + "\n", encoding="utf-8")


def _project_agreement(first: Path, second: Path, book, json_out: Path | None) -> None:
    from .agreement import agreement, character_agreement
    from .errors import InputError
    from .refi import read_project_file
    from .report import render_agreement, render_character_agreement
    from .segment import Segmenter

    a, b = read_project_file(first, book), read_project_file(second, book)
    common = [name for name in a.documents if name in b.documents]
    if not common:
        raise InputError(f"no documents (text sources) of the same name in {first} and {second}")
    for name in common:
        if a.documents[name] != b.documents[name]:
            raise InputError(f"document {name!r} has different text in {first} and {second}: coded selections "
                             "of different texts cannot be compared")
    for path, project in ((first, a), (second, b)):
        left_out = sorted(set(project.documents) - set(common))
        if left_out:
            err.print(f"[yellow]{path}: {len(left_out)} documents not in the other file are left out: "
                      f"{', '.join(left_out[:5])}[/yellow]", highlight=False)
    texts = {name: a.documents[name] for name in common}
    segmenter = Segmenter.load()
    aligned = [_aligned(project, str(path), segmenter) for path, project in ((first, a), (second, b))]
    units = [{(u.doc, u.start, u.end): code for u, code in zip(al.units, al.codes) if u.doc in texts} for al in aligned]
    keys = list(units[0])
    reports = agreement([units[0][k] for k in keys], [units[1][k] for k in keys], book)
    spans = [[(u.doc, u.start, u.end, u.code) for u in project.units] for project in (a, b)]
    characters = character_agreement(texts, spans[0], spans[1], book.category_ids)
    typer.echo(f"unit level ({len(keys)} units of {len(texts)} documents; each unit takes the code of the selection "
               "overlapping it most, NONE where none does):")
    typer.echo(render_agreement(reports))
    typer.echo(render_character_agreement(characters, sum(map(len, texts.values()))))
    if json_out:
        json_out.write_text(json.dumps({**{k: r.to_dict() for k, r in reports.items()},
                                        "characters": [vars(c) for c in characters]}, indent=2) + "\n",
                            encoding="utf-8")


@app.command()
def frequencies(coding: Annotated[Optional[Path], typer.Argument(help="Coding file (JSONL/CSV: id, category, section)")] = None,
                level: Annotated[str, typer.Option(help="category (Table 3) or construct (Table 5)")] = "category",
                by_section: Annotated[bool, typer.Option("--by-section", help="One column per report section.")] = False,
                field: Annotated[str, typer.Option(help="Field holding the code.")] = "category",
                published: Annotated[bool, typer.Option("--published", help="The codebook's own published frequencies.")] = False,
                intervals: Annotated[bool, typer.Option("--intervals", help="Construct proportions with 95% intervals "
                                                        "(bootstrap over the file's documents).")] = False,
                model: Annotated[Optional[Path], typer.Option(help="The model that coded the file: its codebook is the "
                                                              "file's; with --intervals, correct the proportions for "
                                                              "the errors it made on held-out units.")] = None,
                fmt: Annotated[str, typer.Option("--format", help="md or csv")] = "md",
                codebook: CodebookOption = None) -> None:
    """Frequency table of a coded corpus in the form of the paper's Table 3 or Table 5."""
    from .classify import model_codebook
    from .errors import InputError
    from .frequencies import frequency_table, published_table, to_markdown
    from .io import load_codebook, read_codes, read_records

    # a model keeps its codebook: the codes of a file it coded are that codebook's
    book = load_codebook(codebook) if codebook or model is None else model_codebook(model)
    if level not in ("category", "construct"):
        raise InputError(f"--level must be 'category' or 'construct', not {level!r}")
    if intervals:
        if coding is None or level != "construct":
            raise InputError("--intervals needs a coding file and --level construct (Table 5)")
        table = _interval_table(coding, book, field, model)
    elif published:
        table = published_table(book, level)
    elif coding is None:
        raise InputError("give a coding file, or --published for the codebook's own frequencies")
    else:
        codes = read_codes(coding, book, field)
        sections = {str(r.get("id")): r.get("section") for _, r in read_records(coding)} if by_section else None
        table = frequency_table(list(codes.values()), book, level,
                                groups=[sections[u] for u in codes] if sections else None)
    typer.echo(to_markdown(table) if fmt == "md" else table.to_csv(index=False), nl=False)
    if "method" in table.attrs:
        err.print(f"intervals: {table.attrs['method']}")


def _interval_table(coding: Path, book, field: str, model: Path | None):
    from .classify import recorded_confusion
    from .errors import InputError
    from .frequencies import construct_intervals, document_of
    from .io import read_codes, read_records

    codes = read_codes(coding, book, field)
    documents = {str(r.get("id")): document_of(r) for _, r in read_records(coding)}
    confusion = None
    if model is not None:
        try:
            confusion = recorded_confusion(model)
        except (OSError, ValueError):
            confusion = None
        if confusion is None:
            raise InputError("the model records no held-out confusion counts (retrain it with this version)",
                             source=str(model))
    return construct_intervals(list(codes.values()), [documents[u] for u in codes], book, confusion)


@app.command("export-corpus")
def export_corpus(output: Annotated[Path, typer.Option("--output", "-o", help="The .qdpx file to write.")],
                  split: Annotated[str, typer.Option(help="Corpus split: train, test_synthetic, …")] = "train",
                  coder: Annotated[str, typer.Option(help=(
                      "Whose codes: category (adjudicated), annotator_1 or annotator_2."))] = "category") -> None:
    """The corpus's documents of a split (synthetic reports and register documents) with one coder's codes, as a
    REFI-QDA project (.qdpx): an NVivo-style project to try `train`, `evaluate` and `agreement` on."""
    from .io import load_codebook
    from .corpus import local_documents
    from .errors import InputError
    from .refi import CodedUnit, write_qdpx

    if coder not in ("category", "annotator_1", "annotator_2"):
        raise InputError(f"--coder must be category, annotator_1 or annotator_2, not {coder!r}")
    documents = local_documents(split, coder)
    if not documents:
        raise InputError(f"split {split!r} has no documents kept under corpora/")
    name = "adjudicated" if coder == "category" else coder
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(write_qdpx(f"{split} ({name})", load_codebook(), (
        (doc, text, [CodedUnit(r["id"], doc, r["start"], r["end"], r["text"], r["section"], r[coder], name)
                     for r in records])
        for doc, text, records in documents)))
    err.print(f"wrote {len(documents)} documents, {sum(len(r) for _, _, r in documents)} coded units to {output}")


@app.command()
def batch(archive: Annotated[Path, typer.Argument(help="Folder of reports (.txt, .md, .docx, .pdf), read recursively.")],
          out: Annotated[Path, typer.Option("--out", help="Results folder (created; a rerun resumes in it).")],
          model: ModelOption = None, codebook: CodebookOption = None,
          backend: Annotated[str, typer.Option(help="Encoder: onnx-int8 (fastest; within 0.01 kappa of torch), "
                                                    "openvino, onnx (fp32: torch's embeddings) or torch. The "
                                                    "exports are made from the local model on first use.")] = "onnx-int8",
          engine: Annotated[str, typer.Option(help="local (processes on this machine) or dask.")] = "local",
          workers: Annotated[int, typer.Option(help="Worker processes (local pool or local Dask cluster); "
                                                    "0: one per core; 1: this process only.")] = 0,
          scheduler: Annotated[Optional[str], typer.Option(help="Dask scheduler address (tcp://host:8786) of an "
                                                              "existing cluster; implies --engine dask.")] = None,
          chunk: Annotated[int, typer.Option(help="Reports per scoring task.")] = 8) -> None:
    """Score an archive: every unit coded, Table 3 and Table 5 per report and for the archive, a chart, a manifest.

    Reports already scored with the same model, backend and file contents are skipped, so an interrupted
    run resumes. Unreadable reports are listed in errors.csv and the batch goes on; the exit status is 1
    only when no report could be scored.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from .batch import run_batch

    with Progress(TextColumn("scoring"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task("scoring", total=None)
        manifest = run_batch(archive, out, model, codebook, backend=backend, engine=engine,
                             workers=workers, scheduler=scheduler, chunk_size=chunk,
                             progress=lambda done, total: bar.update(task, completed=done, total=total))
    counts = manifest["counts"]
    err.print(f"{counts['reports_in_results']} of {counts['reports_found']} reports in {out} "
              f"({counts['scored_this_run']} scored now, {counts['already_scored']} already scored), "
              f"{counts['units']} units; {counts['errors']} errors", highlight=False)
    for error in manifest["errors"]:
        err.print(f"[yellow]skipped:[/yellow] {error['error']}", highlight=False)
    for warning in manifest["warnings"]:
        err.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
    if not counts["reports_in_results"]:
        raise SystemExit(1)


COMMANDS_GROUP = "autocoder.commands"
"""Entry points of this group add commands to the CLI: the review service registers `serve`, `create-admin`,
`backup` and `restore` from its own package, so the library never imports the service."""


def register_commands() -> None:
    from importlib.metadata import entry_points

    for entry in entry_points(group=COMMANDS_GROUP):
        entry.load()(app)


def main() -> None:
    register_commands()
    try:
        app(standalone_mode=False)
    except AutocoderError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise SystemExit(2)
    except ValueError as exc:  # raised by library checks on arguments (e.g. mismatched codings)
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise SystemExit(2)
