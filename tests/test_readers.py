import codecs

import pytest
from pypdf import PdfReader, PdfWriter

from autocoder.errors import InputError
from autocoder.readers import read_document

from .documents import REPORT_LINES, write_docx, write_pdf


def test_txt_and_md_are_read_verbatim(tmp_path):
    text = "\n".join(REPORT_LINES) + "\n"
    for suffix in (".txt", ".md"):
        path = tmp_path / f"report{suffix}"
        path.write_text(text, encoding="utf-8")
        document = read_document(path)
        assert document.text == text
        assert document.id == "report"


def test_utf8_bom_and_utf16_are_decoded(tmp_path):
    text = "Pupils’ voice is heard — café."
    (tmp_path / "bom.txt").write_bytes(codecs.BOM_UTF8 + text.encode("utf-8"))
    (tmp_path / "u16.txt").write_bytes(text.encode("utf-16"))
    assert read_document(tmp_path / "bom.txt").text == text
    assert read_document(tmp_path / "u16.txt").text == text


def test_docx_keeps_paragraphs_and_headings_as_lines(tmp_path):
    document = read_document(write_docx(tmp_path / "report.docx"))
    assert document.text.splitlines() == [line.removeprefix("- ") for line in REPORT_LINES]


def test_pdf_text_layer_is_read(tmp_path):
    document = read_document(write_pdf(tmp_path / "report.pdf"))
    for line in REPORT_LINES:
        assert line.removeprefix("- ") in document.text


@pytest.mark.parametrize("name, content, message", [
    ("empty.txt", b"", "no text"),
    ("blank.md", b"  \n\t\n", "no text"),
    ("binary.txt", bytes(range(256)) * 4, "binary file"),
    ("latin1.txt", "Caf\u00e9 provision is good.".encode("latin-1"), "not UTF-8"),
    ("corrupt.pdf", b"%PDF-1.4\nthis is not really a pdf", "not a readable PDF"),
    ("corrupt.docx", b"PK\x03\x04 truncated zip", "not a readable .docx"),
    ("notes.rtf", b"{\\rtf1 hello}", "unsupported file type"),
])
def test_bad_files_get_a_clear_error_naming_the_file(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as raised:
        read_document(path)
    assert str(path) in str(raised.value)


def test_encrypted_pdf_is_refused(tmp_path):
    plain = write_pdf(tmp_path / "plain.pdf")
    writer = PdfWriter(clone_from=PdfReader(plain))
    writer.encrypt("secret")
    with open(tmp_path / "locked.pdf", "wb") as out:
        writer.write(out)
    with pytest.raises(InputError, match="encrypted PDF"):
        read_document(tmp_path / "locked.pdf")


def test_oversized_and_missing_files(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text("word " * 1000)
    with pytest.raises(InputError, match="over the limit"):
        read_document(path, max_bytes=100)
    with pytest.raises(InputError, match="not found"):
        read_document(tmp_path / "missing.txt")


def test_wrong_encoding_error_names_the_line(tmp_path):
    path = tmp_path / "mixed.txt"
    path.write_bytes(b"first line\nsecond line\nthird \xe9 line\n")
    with pytest.raises(InputError, match=r"mixed\.txt:3:"):
        read_document(path)
