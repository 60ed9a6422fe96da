"""Shared fixtures: the real codebook, spaCy pipeline, encoder and a small model trained on real data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sklearn.metrics import confusion_matrix

from autocoder.agreement import to_constructs
from autocoder.classify import CodebookClassifier
from autocoder.corpus import source_documents, sources_dir
from autocoder.io import load_codebook
from autocoder.embed import Encoder
from autocoder.segment import Segmenter
from autocoder.types import NONE_CODE

ROOT = Path(__file__).resolve().parent.parent
STUDY_UNITS = ROOT / "corpora" / "study" / "units.jsonl"


SLOW_FOLDERS = ("e2e", "reliability")
"""The browser tests and the reliability runs (real servers, soak, fuzzing, faults) are slow as a whole."""


def pytest_collection_modifyitems(items):
    tests = Path(__file__).parent
    for item in items:
        if Path(item.fspath).relative_to(tests).parts[0] in SLOW_FOLDERS:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def seed_sources():
    """The public source documents the corpus points into (`../shared/sources`, or AUTOCODER_SOURCES_DIR): a
    clone without them skips the tests that read them, saying why; CI has them and runs those tests."""
    missing = [d.file for d in source_documents() if not (sources_dir() / d.file).is_file()]
    if missing:
        pytest.skip(f"the seed source documents are not in {sources_dir()} (set AUTOCODER_SOURCES_DIR): "
                    + ", ".join(missing))


@pytest.fixture(scope="session")
def codebook():
    return load_codebook()


@pytest.fixture(scope="session")
def segmenter():
    return Segmenter()


@pytest.fixture(scope="session")
def encoder():
    return Encoder()


@pytest.fixture(scope="session")
def study_units():
    return [json.loads(line) for line in STUDY_UNITS.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="session")
def small_model(codebook, encoder, study_units):
    """The default configuration, trained on the paper's framework examples (the study's own coding) plus the
    codebook text."""
    coded = [u for u in study_units if u["category"]]
    return CodebookClassifier(codebook=codebook, encoder=encoder, context_weight=0.5, context_encoding="mean",
                              use_section=True, tfidf_weight=0.5).fit(
        [u["text"] for u in coded], [u["category"] for u in coded])


@pytest.fixture(scope="session")
def small_model_dir(small_model, codebook, study_units, tmp_path_factory):
    """The small model saved, with construct confusion counts as `autocoder train` records them (here from its
    own training units, not out of fold: enough for tests of what reads them)."""
    coded = [u for u in study_units if u["category"]]
    predicted = small_model.predict([u["text"] for u in coded])
    labels = [*codebook.construct_ids, NONE_CODE]
    counts = confusion_matrix(to_constructs([u["category"] for u in coded], codebook),
                              to_constructs(predicted, codebook), labels=labels)
    return small_model.save(tmp_path_factory.mktemp("model"),
                            extra={"construct_confusion": {"labels": labels, "counts": counts.tolist()}})
