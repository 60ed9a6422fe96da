"""Find the report sections (strength / development / recommendation) a line of text sits in."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .types import Section

_HEADINGS: dict[Section, str] = {
    Section.STRENGTH: r"(key |main |areas? of |particular )?strengths?|areas? of (particular )?strength|"
                      r"what (is|'s|’s) (working|going) well|what went well|www",
    Section.DEVELOPMENT: r"(key |main )?areas? (for|to|of|needing) (further )?(develop(ment)?|improve(ment)?|focus)|"
                         r"areas? to (develop|improve)|development (areas?|points?|priorities)|"
                         r"(areas? of )?difficult(y|ies)|even better if|ebi|areas? for consideration",
    Section.RECOMMENDATION: r"(key |main )?recommendations?( for (priority )?action)?|recommended (priority )?actions?|"
                            r"(key |agreed |next |priority )?(next steps|actions?( points)?)|priorities for action",
}
_PATTERNS = {section: re.compile(rf"^(?:{pattern})$", re.IGNORECASE) for section, pattern in _HEADINGS.items()}
_MARKUP = re.compile(r"^\s*(#{1,6}\s*|\*\*|__)?\s*(\d+[.)]\s*)?")
_TRAILING = re.compile(r"(\*\*|__)?\s*[:.\-–—]?\s*$")
_MD_HEADING = re.compile(r"^\s*#{1,6}\s")


@dataclass(frozen=True)
class Heading:
    section: Section | None
    """None for a heading that ends the current section without starting a known one."""


def classify_heading(line: str) -> Heading | None:
    """A line that is a section heading, or None for an ordinary line.

    A recognised heading may be bare ("Strengths"), marked up ("## Areas for development:", "**Next steps**")
    or numbered ("2. Recommendations"). Any other markdown heading closes the section.
    """
    stripped = _TRAILING.sub("", _MARKUP.sub("", line, count=1)).strip()
    if stripped and len(stripped) <= 60:
        for section, pattern in _PATTERNS.items():
            if pattern.match(stripped):
                return Heading(section)
    if _MD_HEADING.match(line):
        return Heading(None)
    return None
