"""Make an archive of report-like files for the benchmarks, by sampling and recombining real units.

Each report has a title, an opening paragraph of units from the public source documents (NCSL), and the three
sections the study coded, whose bullets are units from the corpus's report-style text of the same section,
under one of the heading variants reports use. Most reports are Markdown, some plain text, some .docx, in
one folder per year. The same seed gives the same archive.

    .venv/bin/python benchmarks/make_archive.py OUT_DIR [--reports 1000] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autocoder.corpus import SPLITS, load_split  # noqa: E402

HEADINGS = {
    "strength": ["Areas of strength", "Strengths", "What is working well"],
    "development": ["Areas for development", "Even better if", "Areas to develop"],
    "recommendation": ["Recommendations", "Next steps", "Recommended actions"],
}
BULLETS = {"strength": (6, 14), "development": (4, 10), "recommendation": (4, 10)}


def unit_pools() -> dict[str | None, list[str]]:
    pools = defaultdict(list)
    for split in SPLITS:
        for unit in load_split(split):
            pools[unit.get("section")].append(unit["text"])
    return pools


def report(rng: random.Random, pools: dict, number: int) -> list[tuple[str, str]]:
    """(kind, text) lines: kind is "title", "paragraph", "heading" or "bullet"."""
    lines = [("title", f"SEND Peer Challenge report: school {number:04d}"),
             ("paragraph", " ".join(rng.sample(pools[None], rng.randint(2, 6))))]
    for section, (low, high) in BULLETS.items():
        lines.append(("heading", rng.choice(HEADINGS[section])))
        for _ in range(rng.randint(low, high)):
            # Now and then two units in one bullet, as reports often write them.
            lines.append(("bullet", " ".join(rng.sample(pools[section], 2 if rng.random() < 0.15 else 1))))
    return lines


def write_markdown(path: Path, lines: list[tuple[str, str]]) -> None:
    prefix = {"title": "# ", "paragraph": "", "heading": "\n## ", "bullet": "- "}
    path.write_text("\n".join(prefix[kind] + text for kind, text in lines) + "\n", encoding="utf-8")


def write_text(path: Path, lines: list[tuple[str, str]]) -> None:
    prefix = {"title": "", "paragraph": "", "heading": "\n", "bullet": "* "}
    path.write_text("\n".join(prefix[kind] + text for kind, text in lines) + "\n", encoding="utf-8")


def write_docx(path: Path, lines: list[tuple[str, str]]) -> None:
    import docx

    document = docx.Document()
    for kind, text in lines:
        if kind == "title":
            document.add_heading(text, level=1)
        elif kind == "heading":
            document.add_heading(text, level=2)
        else:
            document.add_paragraph(text, style="List Bullet" if kind == "bullet" else None)
    document.save(str(path))


def make_archive(out: Path, reports: int, seed: int = 7) -> Path:
    rng = random.Random(seed)
    pools = unit_pools()
    for number in range(1, reports + 1):
        folder = out / str(2019 + number % 6)
        folder.mkdir(parents=True, exist_ok=True)
        kind = rng.random()
        writer, suffix = (write_docx, ".docx") if kind < 0.1 else (write_text, ".txt") if kind < 0.2 else (write_markdown, ".md")
        writer(folder / f"report_{number:04d}{suffix}", report(rng, pools, number))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    make_archive(args.out, args.reports, args.seed)
    print(f"{args.reports} reports in {args.out}")


if __name__ == "__main__":
    main()
