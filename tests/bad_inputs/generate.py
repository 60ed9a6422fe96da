"""The large and binary cases of the bad-input corpus, made at run time (the small ones are files beside this).

    .venv/bin/python -m tests.bad_inputs.generate DIRECTORY

writes them to DIRECTORY: a 100 MB text, a .docx zip bomb (1 MB that unpacks to 1 GiB), a
.docx with no text, a PDF that needs a password and one that is encrypted but opens without one, and UTF-16
copies of the unicode unit files.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from tests.documents import write_docx, write_pdf

HERE = Path(__file__).resolve().parent
HUGE_BYTES = 100 * 1024 * 1024
BOMB_UNPACKED = 1024 * 1024 * 1024
_DOCX_TYPES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
               '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
               '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
               '<Default Extension="xml" ContentType="application/xml"/>'
               '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
               'wordprocessingml.document.main+xml"/></Types>')
_DOCX_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
              '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
              '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
              'officeDocument" Target="word/document.xml"/></Relationships>')


def huge_text(path: Path, size: int = HUGE_BYTES) -> Path:
    line = b"Staff work closely with parents and the SENDCo reviews every plan each term.\n"
    with path.open("wb") as out:
        for _ in range(size // len(line) + 1):
            out.write(line)
    return path


def zip_bomb_docx(path: Path, unpacked: int = BOMB_UNPACKED) -> Path:
    """A well-formed .docx whose document.xml is one paragraph of `unpacked` bytes of repeated text, deflated
    to about a thousandth of that."""
    chunk = b"A" * (1024 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _DOCX_TYPES)
        archive.writestr("_rels/.rels", _DOCX_RELS)
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            part.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://'
                       b'schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>')
            for _ in range(unpacked // len(chunk)):
                part.write(chunk)
            part.write(b"</w:t></w:r></w:p></w:body></w:document>")
    return path


def encrypted_pdf(path: Path, user_password: str) -> Path:
    """A one-page report PDF, encrypted (RC4, pypdf's default); with an empty user password it opens without
    one, as PDFs that only restrict printing or copying do."""
    plain = write_pdf(path.with_suffix(".plain.pdf"))
    writer = PdfWriter(clone_from=PdfReader(plain))
    writer.encrypt(user_password, owner_password="owner-secret")
    with path.open("wb") as out:
        writer.write(out)
    plain.unlink()
    return path


def generate(directory: Path) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    made = {
        "huge.txt": huge_text(directory / "huge.txt"),
        "zip_bomb.docx": zip_bomb_docx(directory / "zip_bomb.docx"),
        "no_text.docx": write_docx(directory / "no_text.docx", []),
        "encrypted.pdf": encrypted_pdf(directory / "encrypted.pdf", "secret"),
        "restricted.pdf": encrypted_pdf(directory / "restricted.pdf", ""),
    }
    for name in ("units_unicode.jsonl", "coded_unicode.jsonl"):
        target = directory / name.replace("unicode", "utf16")
        target.write_bytes((HERE / name).read_text(encoding="utf-8").encode("utf-16"))
        made[target.name] = target
    return made


if __name__ == "__main__":
    for name, path in generate(Path(sys.argv[1])).items():
        print(f"{path} ({path.stat().st_size:,} bytes)")
