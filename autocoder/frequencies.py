"""Frequency tables of a coded corpus, in the form of the paper's Table 3 (categories) and Table 5 (constructs).

A proportion is a code's frequency over all coded units of the column (units coded NONE or not coded
are left out, as in the paper). Columns are "all" and, when groups are given, one per group (for
example report sections); the codebook's published frequencies give one column per sample.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .codebook import Codebook
from .errors import InputError
from .quantify import estimate_from_counts, estimate_proportions
from .types import NONE_CODE, Section

ALL = "all"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _table(counts: Mapping[str, Counter], codebook: Codebook, level: str) -> pd.DataFrame:
    if level == "category":
        rows = [{**({"construct": c.construct} if codebook.constructs else {}), "category": c.id, "name": c.name}
                for c in codebook.categories]
        key = "category"
    elif level == "construct":
        if not codebook.constructs:
            raise InputError(f"codebook {codebook.id!r} has no constructs: only category tables (Table 3)")
        rows = [{"construct": c.id, "name": c.name} for c in codebook.constructs]
        key = "construct"
    else:
        raise ValueError(f"level must be 'category' or 'construct', not {level!r}")
    table = pd.DataFrame(rows)
    for column, counter in counts.items():
        total = sum(counter.values())
        frequency = table[key].map(lambda k: counter.get(k, 0)).astype(int)
        table[f"{column} n"] = frequency
        table[f"{column} prop"] = (frequency / total).round(3) if total else 0.0
        if level == "construct":
            ranks = frequency.rank(method="min", ascending=False).astype(int)
            table[f"{column} rank"] = ranks.map(ordinal)
    return table


def _count(codes: Sequence[str | None], codebook: Codebook, level: str) -> Counter:
    coded = [c for c in codes if c and c != NONE_CODE]
    if level == "construct":
        coded = [codebook.construct_of(c) for c in coded]
    return Counter(coded)


def frequency_table(codes: Sequence[str | None], codebook: Codebook, level: str = "category",
                    groups: Sequence[str | None] | None = None) -> pd.DataFrame:
    """Frequencies and proportions of `codes` (category ids, NONE or None), optionally split by `groups`."""
    counts = {ALL: _count(codes, codebook, level)}
    if groups is not None:
        order = [s.value for s in Section]
        for group in sorted({g for g in groups if g}, key=lambda g: (order.index(g) if g in order else len(order), g)):
            counts[group] = _count([c for c, g in zip(codes, groups) if g == group], codebook, level)
    return _table(counts, codebook, level)


def published_table(codebook: Codebook, level: str = "category") -> pd.DataFrame:
    """The codebook's own published frequencies (for the paper: Table 3, and Table 5 at construct level)."""
    counts = {}
    for sample in codebook.samples:
        by_category = Counter({c.id: c.frequencies.get(sample.id, 0) for c in codebook.categories})
        if level == "construct":
            by_category = Counter({k: sum(by_category[c.id] for c in codebook.categories_of(k))
                                   for k in codebook.construct_ids})
        counts[sample.id] = by_category
    return _table(counts, codebook, level)


def to_markdown(table: pd.DataFrame) -> str:
    columns = list(table.columns)
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    for row in table.itertuples(index=False):
        lines.append("| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row) + " |")
    return "\n".join(lines) + "\n"


def construct_intervals(codes: Sequence[str | None], documents: Sequence[str], codebook: Codebook,
                        confusion: Mapping | None = None, resamples: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Table 5 with 95% intervals: construct proportions of a set of reports, bootstrapped over its documents,
    and corrected for the model's errors when `confusion` (a model's held-out construct confusion counts:
    `{"labels": [...constructs, "NONE"], "counts": [[...]]}`) is given."""
    labels = _construct_labels(codebook)
    constructs = [codebook.construct_of(c) if c and c != NONE_CODE else NONE_CODE for c in codes]
    estimate = estimate_proportions(constructs, documents, labels, _confusion_counts(confusion, labels),
                                    resamples=resamples, seed=seed)
    return _interval_table(estimate, codebook)


def construct_interval_table(per_document: np.ndarray, codebook: Codebook, confusion: Mapping | None = None,
                             resamples: int = 2000, seed: int = 0) -> pd.DataFrame:
    """`construct_intervals` from a documents x (constructs, NONE) matrix of counts."""
    labels = _construct_labels(codebook)
    return _interval_table(estimate_from_counts(per_document, labels, _confusion_counts(confusion, labels),
                                                resamples, seed), codebook)


def _construct_labels(codebook: Codebook) -> list[str]:
    if not codebook.constructs:
        raise InputError(f"codebook {codebook.id!r} has no constructs: no Table 5 to give intervals for")
    return [*codebook.construct_ids, NONE_CODE]


def _confusion_counts(confusion: Mapping | None, labels: list[str]) -> np.ndarray | None:
    if confusion is None:
        return None
    if list(confusion["labels"]) != labels:
        raise ValueError("the model's confusion counts are not over this codebook's constructs")
    return np.asarray(confusion["counts"], dtype=float)


def _interval_table(estimate, codebook: Codebook) -> pd.DataFrame:
    table = _table({ALL: Counter(dict(zip(estimate.labels, estimate.n.astype(int).tolist())))}, codebook, "construct")
    table["estimate"] = estimate.estimate.round(3)
    table["95% low"] = estimate.low.round(3)
    table["95% high"] = estimate.high.round(3)
    table.attrs["method"] = f"{estimate.method}, {estimate.documents} documents"
    return table


def document_of(record: Mapping) -> str:
    """The report a coded unit comes from: its `doc`, else the part of its id before `:start-end`."""
    return str(record.get("doc") or str(record.get("id", "")).rsplit(":", 1)[0])
