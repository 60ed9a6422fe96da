"""The records that flow through the pipeline: document -> units -> suggestions -> decisions."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum


class Section(str, Enum):
    """The report sections the study coded (areas of strength, for development, recommendations)."""

    STRENGTH = "strength"
    DEVELOPMENT = "development"
    RECOMMENDATION = "recommendation"


NONE_CODE = "NONE"
"""The code for a unit that fits no category of the codebook."""


@dataclass(frozen=True)
class Document:
    id: str
    text: str
    path: str | None = None


@dataclass(frozen=True)
class Unit:
    """A unit of meaning: `document.text[start:end] == text`."""

    doc: str
    start: int
    end: int
    text: str
    section: str | None = None

    @property
    def id(self) -> str:
        return f"{self.doc}:{self.start}-{self.end}"

    def to_dict(self) -> dict:
        return {"id": self.id, **asdict(self)}


@dataclass(frozen=True)
class Suggestion:
    """The model's code for one unit; `category` is None when the model abstains or finds no category fits."""

    category: str | None
    construct: str | None
    confidence: float
    ranked: list[tuple[str, float]] = field(default_factory=list)
    model: str | None = None

    def to_dict(self) -> dict:
        return {
            "category": self.category,
            "construct": self.construct,
            "confidence": round(self.confidence, 4),
            "ranked": [[c, round(p, 4)] for c, p in self.ranked],
            "model": self.model,
        }
