"""Find the report sections (strength / development / recommendation) a line of text sits in.

Known headings come from a data table (`autocoder/data/headings.tsv`), matched after normalising a line's
markup: markdown (`## Strengths`), bold (`**Strengths**`), numbering (`2. Strengths`), upper case, a trailing
colon or qualifier (`Priorities (next 12 months):`). A heading may also open a line of text
(`Strengths: pupils are known well`). A line the table does not know is still a heading when it looks like
one: a markdown heading, a short line in capitals, or a short line that a list follows; such a heading starts
the section of a row it opens or closes with (`Trust-wide strengths`), else the section its cue words name
(`heading_cues.tsv`: `Worries`, `Partnerships – GREEN`), else ends the current section.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .types import Section

HEADINGS_TABLE = Path(__file__).resolve().parent / "data" / "headings.tsv"
HEADING_CUES = Path(__file__).resolve().parent / "data" / "heading_cues.tsv"
NO_SECTION = "none"
"""The table's name for a heading that ends the current section without starting a coded one."""
MAX_HEADING_WORDS = 8
"""An unknown heading is at most this long; a longer line is text."""
MAX_TITLE_WORDS = 16
PARAGRAPH_WORDS = 25
"""A line this long after a short one makes the short one its heading."""

BULLET = re.compile(r"^\s*(?:[-*•▪‣◦·–]|\(?\d{1,2}[.)]|\d{1,2}(?:\.\d{1,2})+\.?|\(?[a-z][.)])\s+")
"""A list item's mark: a bullet, a number ("2.", "3)", "1.2"), a letter ("a)")."""
_MARKUP = re.compile(r"^\s*(?:#{1,6}\s*)?(?:\*\*|__)?\s*(?:(?:\d{1,2}|[ivx]{1,4}|[a-h])[.)]\s+)?(?:\*\*|__)?\s*",
                     re.IGNORECASE)
_QUALIFIER = re.compile(r"\s*\([^()]*\)\s*$")
_TRAILING = re.compile(r"[\s*_:.?\-–—]+$")
_INLINE = re.compile(r"^(?P<head>[^:]{2,60}?)\s*(?:\*\*|__)?\s*:\s*(?:\*\*|__)?\s*(?=\S)")
_MD_HEADING = re.compile(r"^\s*#{1,6}\s")
_BOLD_LINE = re.compile(r"^\s*(\*\*|__)[^*_]{2,120}\1\s*$")
_NUMBERED = re.compile(r"^\s*\(?\d{1,2}(?:\.\d{1,2})*[.)]?\s+")
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_NOTE = re.compile(r"[,;]")
_BRACKETED = re.compile(r"\([^()]*\)")
_ENDS_SENTENCE = re.compile(r"[.!?;,]\s*(?:\*\*|__)?\s*$")
_LEAD_IN_ENDINGS = frozenset(
    "a an and are as at be been by can could for from has have in include including is may must of on or should "
    "so such than that the their this to was we were where which who will with would".split())
"""A short line ending in one of these is the start of a sentence that a list completes ("Leaders should:"),
not a heading."""


@dataclass(frozen=True)
class Heading:
    section: Section | None
    """None for a heading that ends the current section without starting a known one."""
    text_start: int | None = None
    """Where text on the heading's own line begins ("EBI: tracking is patchy"); None when the heading is the
    whole line. The guideline keeps such a label inside its unit."""


def normalise(line: str) -> str:
    """A line as the heading table spells it: lower case, no markup, numbering, qualifier or trailing colon."""
    text = _MARKUP.sub("", line, count=1)
    text = _TRAILING.sub("", text)
    text = _QUALIFIER.sub("", text)
    text = _TRAILING.sub("", text)
    return " ".join(text.replace("’", "'").lower().split())


def _read_table(path: Path, key: str) -> dict[str, Section | None]:
    """A tab-separated table of normalised `key` -> section (the table's "none": None)."""
    table: dict[str, Section | None] = {}
    with path.open(encoding="utf-8") as rows:
        for row in csv.DictReader((line for line in rows if not line.startswith("#")), delimiter="\t"):
            text = normalise(row[key])
            if text != row[key]:
                raise ValueError(f"{path}: {row[key]!r} is not in normalised form ({text!r})")
            table[text] = None if row["section"] == NO_SECTION else Section(row["section"])
    return table


@lru_cache(maxsize=1)
def heading_table() -> dict[str, Section | None]:
    """Normalised heading -> its section (None: ends the section)."""
    return _read_table(HEADINGS_TABLE, "heading")


@lru_cache(maxsize=1)
def heading_cues() -> dict[str, Section]:
    """A word or phrase that names a section inside an unknown heading -> that section."""
    return {cue: section for cue, section in _read_table(HEADING_CUES, "cue").items() if section is not None}


def known_heading(line: str) -> Heading | None:
    """A heading the table knows, as the whole line or opening it, or a label opening it that names a section
    (by its cue words or RAG rating); None otherwise."""
    table = heading_table()
    key = normalise(line)
    if key in table:
        return Heading(table[key])
    inline = _INLINE.match(line)
    if inline:
        key = normalise(inline.group("head"))
        if key in table:
            return Heading(table[key], text_start=inline.end())
        if (section := unknown_heading_section(key)) is not None:  # "Where we fall short: ..."
            return Heading(section, text_start=inline.end())
    return None


def _rows_by_affix(key: str) -> set[Section | None]:
    """The sections of the table's rows that a heading the table does not know opens or closes with ("trust-wide
    strengths", "strengths observed", "priority recommendations"; two for "strengths and next steps")."""
    words = key.replace(":", " ").split()
    return {heading_table()[" ".join(part)]
            for n in range(1, len(words))
            for part in (words[:n], words[-n:]) if " ".join(part) in heading_table()}


_CUE_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")


@lru_cache(maxsize=1)
def _cue_words() -> dict[tuple[str, ...], Section]:
    return {tuple(_CUE_WORD.findall(cue)): section for cue, section in heading_cues().items()}


def _section_by_cues(key: str) -> Section | None:
    """The one section the cue words of an unknown heading name, longest first ("the good stuff", "for the slt
    to consider", "less strong areas"); None when it holds none, or names two sections ("strengths and
    concerns")."""
    words, vocabulary = _CUE_WORD.findall(key), _cue_words()
    longest = max(map(len, vocabulary))
    named, i = set(), 0
    while i < len(words):
        n = next((n for n in range(min(longest, len(words) - i), 0, -1) if tuple(words[i:i + n]) in vocabulary), 0)
        if n:
            named.add(vocabulary[tuple(words[i:i + n])])
        i += n or 1
    return named.pop() if len(named) == 1 else None


_RAG_OPENING = re.compile(r"^(?P<rating>[a-z]+(?:\s*/\s*[a-z]+)?)\s*[–—-]")
_RAG_CLOSING = re.compile(r"[–—-]\s*(?P<rating>[a-z]+(?:\s*/\s*[a-z]+)?)$")
RAG_RATINGS = {"green": Section.STRENGTH, "red": Section.DEVELOPMENT, "amber": Section.DEVELOPMENT,
               "amber/red": Section.DEVELOPMENT, "red/amber": Section.DEVELOPMENT, "amber/green": None,
               "green/amber": None}
"""A RAG rating opening or closing a heading ("GREEN – secure", "Teaching – AMBER"): green is met, amber and
red are not, amber with green names no section."""


def rag_rating(key: str) -> str | None:
    """The RAG rating opening or closing a normalised line ("identification, systems – red": "red"), if any."""
    for form in (_RAG_OPENING, _RAG_CLOSING):
        found = form.search(key)
        if found and (rating := found.group("rating").replace(" ", "")) in RAG_RATINGS:
            return rating
    return None


def unknown_heading_section(key: str) -> Section | None:
    """The section of a normalised heading the table does not hold: by its RAG rating, by the rows it opens or
    closes with (none if they differ), else by its cue words."""
    if (rating := rag_rating(key)) is not None:
        return RAG_RATINGS[rating]
    rows = _rows_by_affix(key)
    if rows:
        return rows.pop() if len(rows) == 1 else None
    return _section_by_cues(key)


_SECTION_NUMBER = re.compile(r"^\s*(\d{1,2})[.)]\s")
_ITEM_NUMBER = re.compile(r"^\s*(\d{1,2})\.\d{1,2}[a-z]?[.)]?\s")


def _numbers_its_items(line: str, next_line: str) -> bool:
    """`line` is numbered "2." and `next_line` is its first item, "2.1": a section of a framework."""
    section, item = _SECTION_NUMBER.match(line), _ITEM_NUMBER.match(next_line)
    return bool(section and item) and section.group(1) == item.group(1)


def looks_like_heading(line: str, next_line: str | None, standalone: bool = False, names_a_section: bool = False) -> bool:
    """An unknown heading: a markdown heading, a line in bold, or a short line that is not a sentence or a note
    (no final stop, comma or semicolon) and is in capitals, or stands alone between blank lines, or is followed
    by a list item or a paragraph (a numbered line, by a list item of another kind, "2. Issues raised" then
    "- ...", or by its own first item, "2. Teaching" then "2.1 ..."; before a paragraph only when it
    `names_a_section`, "3. Findings: areas for improvement"). A bracketed qualifier at the end does not count
    towards its length, nor do commas before a RAG rating ("3. Identification, systems – RED"). A row of a table
    (cells split by tabs) is no heading."""
    if "\t" in line.strip():
        return False
    if _MD_HEADING.match(line) or (_BOLD_LINE.match(line) and not _ENDS_SENTENCE.search(line.strip(" *_\n"))):
        return True
    text = line.strip()
    numbered = _NUMBERED.match(line)
    if numbered:
        text = line[numbered.end():].strip()
    words = _WORD.findall(_QUALIFIER.sub("", text))  # "Summary (agreed with the head, 13 May)" is four words
    if (words and len(words) <= MAX_HEADING_WORDS and next_line is not None and _numbers_its_items(line, next_line)
            and not _ENDS_SENTENCE.search(text)):
        return True
    title_case = all(w[0].isupper() for w in words if len(w) > 3)
    if (not words or len(words) > MAX_HEADING_WORDS or _ENDS_SENTENCE.search(text)
            or (_NOTE.search(_BRACKETED.sub("", text)) and not title_case and rag_rating(normalise(line)) is None)
            or (BULLET.match(line) and not numbered)):
        return False
    if text.upper() == text and sum(len(w) for w in words) >= 4 and not numbered:
        return True
    if not text[0].isupper() or (words[-1].lower() in _LEAD_IN_ENDINGS and not names_a_section):
        return False
    if next_line is None:
        return False
    if BULLET.match(next_line):
        return not (numbered and _NUMBERED.match(next_line))
    return (not numbered or names_a_section) and (standalone or len(_WORD.findall(next_line)) >= PARAGRAPH_WORDS)


def looks_like_title(line: str) -> bool:
    """A document's first line that is no sentence ("Minutes – SEND review mtg – Oak School"): its title."""
    text = line.strip()
    return (bool(text) and not BULLET.match(line) and not _ENDS_SENTENCE.search(text)
            and len(_WORD.findall(text)) <= MAX_TITLE_WORDS)


def is_lead_in(line: str) -> bool:
    """A line ending in a colon only introduces what follows ("Leaders ensure that:", "Date completed:"): the
    guideline does not make it a unit."""
    return line.rstrip().rstrip("*_").rstrip().endswith(":")


_SIGNATURE = re.compile(r"^\s*(?:[-*•]\s+)?(?:\*\*|__)?"
                        r"(?:signed\b[^:\n]{0,40}|(?:prepared|completed|compiled|written) by)\s*(?:\*\*|__)?\s*:",
                        re.IGNORECASE)


def is_signature(line: str) -> bool:
    """A signature line ("Signed: Headteacher (Oak)", "Prepared by: director of inclusion"): the guideline does
    not make it a unit, however many words follow."""
    return bool(_SIGNATURE.match(line))


def classify_heading(line: str, next_line: str | None = None, standalone: bool = False) -> Heading | None:
    """The heading on this line, or None for an ordinary line. `next_line` is the next non-blank line and
    `standalone` says the line has a blank line before and after it: they tell a heading the table does not know
    from text."""
    if not line.strip():
        return None
    known = known_heading(line)
    if known is not None:
        return known  # at any length: a paragraph may open with its section's label ("Concerns: The centre ...")
    if len(line) > 200:
        return None
    section = unknown_heading_section(normalise(line))
    if not looks_like_heading(line, next_line, standalone, names_a_section=section is not None):
        return None
    return Heading(section)
