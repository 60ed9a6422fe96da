"""The codebook: categories, the constructs they roll up into, and their published frequencies."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from .errors import CodebookError
from .types import NONE_CODE

DEFAULT_CODEBOOK = Path(__file__).resolve().parent / "data" / "codebooks" / "send_peer_challenge.json"


@dataclass(frozen=True)
class Construct:
    id: str
    name: str
    definition: str = ""
    description: str = ""


@dataclass(frozen=True)
class Category:
    id: str
    name: str
    construct: str | None
    """None in a codebook without constructs."""
    principle: str = ""
    theories: tuple[str, ...] = ()
    frequencies: dict[str, int] = field(default_factory=dict)
    examples: tuple[str, ...] = ()

    @property
    def description(self) -> str:
        """The category's own words, used to suggest it when coded units are scarce."""
        return f"{self.name}. {self.principle}".strip()


@dataclass(frozen=True)
class Sample:
    """A coded sample the codebook reports frequencies for (a framework, the school reports)."""

    id: str
    name: str
    units: int | None = None


@dataclass(frozen=True)
class Codebook:
    id: str
    name: str
    constructs: tuple[Construct, ...]
    categories: tuple[Category, ...]
    samples: tuple[Sample, ...] = ()
    description: str = ""
    reference: str = ""
    source: dict = field(default_factory=dict, compare=False, hash=False, repr=False)
    """The JSON object the codebook was read from, written back by `to_dict` (a model keeps its codebook)."""

    @cached_property
    def category_ids(self) -> list[str]:
        return [c.id for c in self.categories]

    @cached_property
    def construct_ids(self) -> list[str]:
        return [c.id for c in self.constructs]

    @cached_property
    def _categories(self) -> dict[str, Category]:
        return {c.id: c for c in self.categories}

    @cached_property
    def _constructs(self) -> dict[str, Construct]:
        return {c.id: c for c in self.constructs}

    def category(self, category_id: str) -> Category:
        try:
            return self._categories[category_id]
        except KeyError:
            raise CodebookError(f"unknown category id {category_id!r} (codebook {self.id!r})") from None

    def construct(self, construct_id: str) -> Construct:
        try:
            return self._constructs[construct_id]
        except KeyError:
            raise CodebookError(f"unknown construct id {construct_id!r} (codebook {self.id!r})") from None

    def construct_of(self, code: str | None) -> str | None:
        """The construct a category rolls up to; None for no code, NONE, or a codebook without constructs."""
        if code is None or code == NONE_CODE:
            return None
        return self.category(code).construct

    def is_code(self, code: str) -> bool:
        return code == NONE_CODE or code in self._categories

    def categories_of(self, construct_id: str | None) -> list[Category]:
        return [c for c in self.categories if c.construct == construct_id]

    def to_dict(self) -> dict:
        return self.source

    @classmethod
    def from_dict(cls, data: dict, source: str = "<codebook>") -> "Codebook":
        try:
            constructs = tuple(
                Construct(id=c["id"], name=c["name"], definition=c.get("definition", ""),
                          description=c.get("description", ""))
                for c in data.get("constructs") or ()
            )
            categories = tuple(
                Category(
                    id=c["id"], name=c["name"], construct=c.get("construct"),
                    principle=c.get("principle", ""), theories=tuple(c.get("theories", ())),
                    frequencies=dict(c.get("frequencies", {})),
                    examples=tuple(e["text"] if isinstance(e, dict) else e for e in c.get("examples", ())),
                )
                for c in data["categories"]
            )
            samples = tuple(Sample(id=s["id"], name=s["name"], units=s.get("units")) for s in data.get("samples", ()))
            book = cls(id=data["id"], name=data.get("name", data["id"]), constructs=constructs,
                       categories=categories, samples=samples, description=data.get("description", ""),
                       reference=data.get("reference", ""), source=data)
        except (KeyError, TypeError) as exc:
            raise CodebookError(f"not a codebook: missing or malformed field {exc}", source=source) from None
        book._validate(source)
        return book

    def _validate(self, source: str) -> None:
        for ids, what in ((self.category_ids, "category"), (self.construct_ids, "construct")):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                raise CodebookError(f"duplicate {what} ids: {', '.join(dupes)}", source=source)
        if NONE_CODE in self.category_ids:
            raise CodebookError(f"{NONE_CODE!r} is reserved for units that fit no category", source=source)
        for c in self.categories:
            if self.constructs and c.construct not in self.construct_ids:
                raise CodebookError(f"category {c.id!r} names unknown construct {c.construct!r}", source=source)
            if not self.constructs and c.construct is not None:
                raise CodebookError(f"category {c.id!r} names construct {c.construct!r}, but the codebook has no "
                                    "constructs", source=source)
        if not self.categories:
            raise CodebookError("codebook has no categories", source=source)


def read_codebook_json(path: str | Path | None = None) -> Codebook:
    """A codebook in the library's JSON form; the paper's when no path is given. `autocoder.io.load_codebook`
    reads REFI-QDA codebooks too."""
    path = Path(path) if path is not None else DEFAULT_CODEBOOK
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CodebookError("codebook file not found", source=str(path)) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CodebookError(f"not valid JSON: {exc}", source=str(path)) from None
    if not isinstance(data, dict):
        raise CodebookError("not a codebook: expected a JSON object", source=str(path))
    return Codebook.from_dict(data, source=str(path))
