"""The bad-input corpus through every entry point: each case gets a clear, specific error or a correct result, no
process crashes, and nothing stored changes when an input is refused (benchmarks/reliability/bad_inputs.py)."""

from __future__ import annotations

from benchmarks.reliability import bad_inputs
from benchmarks.reliability.bad_inputs import (BATCH, CODE, CODE_UNITS, DECISION, EVALUATE, IMPORT, JSON_BODY,
                                               UNITS, UPLOAD)

DOCUMENT_ENTRIES = (CODE, BATCH, UPLOAD)
TEXT_ENTRIES = (*DOCUMENT_ENTRIES, CODE_UNITS, EVALUATE, UNITS, IMPORT)
REQUIRED = {
    # the kinds of bad input, and the entry points each applies to
    "empty file": (*TEXT_ENTRIES, DECISION),
    "whitespace only": (*TEXT_ENTRIES, DECISION),
    "binary": (*TEXT_ENTRIES, DECISION),
    "UTF-16 text": (*TEXT_ENTRIES, DECISION),
    "Latin-1 text": (*TEXT_ENTRIES, DECISION),
    "100 MB text": TEXT_ENTRIES,
    "corrupt PDF": DOCUMENT_ENTRIES,
    "encrypted PDF": DOCUMENT_ENTRIES,
    "zip-bomb DOCX": DOCUMENT_ENTRIES,
    "DOCX with no text": DOCUMENT_ENTRIES,
    "path traversal": (CODE, BATCH, UPLOAD, UNITS, IMPORT),
    "malformed JSONL": (CODE_UNITS, EVALUATE, UNITS, IMPORT, DECISION),
    "unknown category ids": (EVALUATE, IMPORT, DECISION),
    "oversized JSON body": (DECISION, JSON_BODY),
    "unicode edge cases": (*TEXT_ENTRIES, DECISION),
}


def _check(figures: dict, required: dict[str, tuple[str, ...]]) -> None:
    tried = {(case["kind"], case["entry_point"]) for case in figures["cases"]}
    missing = [(kind, entry) for kind, entries in required.items() for entry in entries if (kind, entry) not in tried]
    assert not missing, f"kinds of bad input not tried at an entry point: {missing}"
    assert figures["tried"] == len(figures["cases"]) >= sum(map(len, required.values()))
    assert figures["passed"] == figures["tried"], "\n".join(figures["failures"])


def test_every_bad_input_gets_a_clear_error_or_a_correct_result_everywhere(tmp_path):
    figures = bad_inputs.run(tmp_path)
    print(f"bad inputs tried: {figures['tried']}, passed: {figures['passed']}")
    _check(figures, REQUIRED)


def test_the_service_on_postgresql_refuses_what_it_cannot_store(postgres, tmp_path):
    """PostgreSQL refuses NUL characters and integers past 32 bits that SQLite takes: the same cases there."""
    files = bad_inputs.corpus(tmp_path / "corpus")
    results = bad_inputs.api_cases(files, tmp_path / "service", postgres.new_database())
    figures = bad_inputs.figures(results)
    print(f"bad inputs on PostgreSQL tried: {figures['tried']}, passed: {figures['passed']}")
    _check(figures, {kind: [e for e in entries if e.startswith("api")] for kind, entries in REQUIRED.items()})
