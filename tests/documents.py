"""Real files of each supported type, written for tests."""

from __future__ import annotations

from pathlib import Path

import docx

REPORT_LINES = [
    "SEND Peer Challenge report",
    "Areas of strength",
    "- The SENDCo and headteacher work very closely together; this is very effective.",
    "- Pupil passports are used by all teachers and parents contribute to them.",
    "Areas for development",
    "- Tracking of interventions is not yet consistent across year groups.",
    "Recommendations",
    "- Ensure that all teachers are responsible for teaching pupils with SEND.",
]


def write_docx(path: Path, lines: list[str] = REPORT_LINES) -> Path:
    document = docx.Document()
    for line in lines:
        if line.startswith("- "):
            document.add_paragraph(line[2:], style="List Bullet")
        elif line in ("Areas of strength", "Areas for development", "Recommendations"):
            document.add_heading(line, level=2)
        else:
            document.add_paragraph(line)
    document.save(str(path))
    return path


def write_pdf(path: Path, lines: list[str] = REPORT_LINES) -> Path:
    """A one-page PDF with a text layer, built by hand: no PDF-writing library needed."""
    def escape(s: str) -> str:
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    body = "BT /F1 10 Tf 40 800 Td 14 TL " + " ".join(f"({escape(line)}) Tj T*" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(body)} >>\nstream\n{body}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{obj}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))
    return path
