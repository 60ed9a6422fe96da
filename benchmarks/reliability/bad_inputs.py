"""Bad inputs through every entry point: the command's `code`, `batch`, `code-units` and `evaluate --data` (its
import of human-coded units), and the service's document upload, units upload, training-data import, decisions
and every JSON body. Each case must get a clear, specific error or a correct result, leave the process running,
and, when refused, leave what is stored as it was.

    .venv/bin/python -m benchmarks.reliability.bad_inputs

The corpus is tests/bad_inputs/ (small cases, as files) and what `tests.bad_inputs.generate` makes at run time
(a 100 MB text, a zip-bomb .docx, encrypted PDFs, ...). The command runs in this process, through the same
`main()` as `autocoder`, except `batch`, which scores every report case in one real process, and the cases
that test the process's own resources (the 100 MB text, the zip bomb), which `code` runs as real processes.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import shutil
import subprocess
import sys
import tempfile
import traceback
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from fastapi import params
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from starlette.routing import BaseRoute

from api import Settings, create_app
from api.orm import Decision, Document, Project, Token, TrainingExample, Unit, User
from autocoder.cli import main as cli_main
from autocoder.pipeline import DEFAULT_MODEL
from tests.api.conftest import REPORT, Service
from tests.bad_inputs.generate import generate
from tests.documents import REPORT_LINES

from .server import CLI, add_admin

CORPUS = Path(__file__).resolve().parents[2] / "tests" / "bad_inputs"

CODE, BATCH, CODE_UNITS, EVALUATE = "cli code", "cli batch", "cli code-units", "cli evaluate --data"
UPLOAD, UNITS, IMPORT, DECISION, JSON_BODY = ("api document upload", "api units upload", "api training import",
                                              "api decision", "api JSON body")
OVER_LIMIT = "over the limit"
UNICODE = "unicode edge cases"
UNICODE_NEEDLES = ["\u0627\u0644\u0645\u062f\u0631\u0633\u0629", "\U0001F468\u200d\U0001F469\u200d\U0001F467",
                   "Staff\u200b work\u200d", "e\u0301valuation", "\U0001F642\U0001F3FD"]
"""RTL script, a zero-width-joined emoji sequence, zero-width space and joiner, a combining accent, a skin tone:
what a correct reading keeps, character for character."""


@dataclass(frozen=True)
class Case:
    kind: str
    """One of the issue's kinds of bad input."""
    variant: str
    file: str
    """In tests/bad_inputs/, or made by `generate`."""
    error: str | None
    """Words the error must contain; None: the input is good and must be read correctly."""
    needles: tuple[str, ...] = ()
    """Text a correct reading must contain."""

    @property
    def name(self) -> str:
        return f"{self.kind}: {self.variant}" if self.variant else self.kind


DOCUMENTS = [
    Case("empty file", "", "empty.txt", "document has no text"),
    Case("whitespace only", "spaces, tabs, no-break spaces", "whitespace.md", "document has no text"),
    Case("whitespace only", "zero-width characters", "zero_width.md", "document has no text"),
    Case("binary", "", "binary.txt", "binary file, not text"),
    Case("UTF-16 text", "", "utf16.txt", None, ("Pupils\u2019 voice is heard \u2014 the caf\u00e9 club",)),
    Case("Latin-1 text", "", "latin1.txt", "not UTF-8 text (byte 0xe9 at offset 25; it looks like Windows-1252"),
    Case("100 MB text", "", "huge.txt", OVER_LIMIT),
    Case("corrupt PDF", "", "corrupt.pdf", "not a readable PDF"),
    Case("encrypted PDF", "needs a password", "encrypted.pdf", "encrypted PDF"),
    Case("encrypted PDF", "opens without a password", "restricted.pdf", None, ("headteacher work very closely",)),
    Case("zip-bomb DOCX", "1 GiB unpacked", "zip_bomb.docx", "zip bomb"),
    Case("DOCX with no text", "", "no_text.docx", "document has no text"),
    Case(UNICODE, "RTL, zero-width, emoji, combining", "unicode.md", None, tuple(UNICODE_NEEDLES)),
]
UNIT_FILES = [
    Case("empty file", "", "empty.txt", "no units in file"),
    Case("whitespace only", "", "whitespace.md", "no units in file"),
    Case("whitespace only", "zero-width characters", "zero_width.md", ":1: malformed JSON"),
    Case("binary", "", "binary.txt", "binary file, not text"),
    Case("UTF-16 text", "", "units_utf16.jsonl", None, tuple(UNICODE_NEEDLES[:3])),
    Case("Latin-1 text", "", "units_latin1.jsonl", "not UTF-8 text (byte 0xe9"),
    Case("100 MB text", "", "huge.txt", ":1: malformed JSON"),
    Case("malformed JSONL", "", "units_malformed.jsonl", ":2: malformed JSON"),
    Case(UNICODE, "RTL, zero-width, emoji, combining", "units_unicode.jsonl", None, tuple(UNICODE_NEEDLES[:3])),
    Case(UNICODE, "NUL escape", "units_nul.jsonl", ":2: text contains a NUL character"),
    Case(UNICODE, "unpaired surrogate escape", "units_surrogate.jsonl", ":1: text contains an unpaired surrogate"),
]
CODED_FILES = [
    Case("empty file", "", "empty.txt", "no coded units"),
    Case("whitespace only", "", "whitespace.md", "no coded units"),
    Case("binary", "", "binary.txt", "binary file, not text"),
    Case("UTF-16 text", "", "coded_utf16.jsonl", None, tuple(UNICODE_NEEDLES[:3])),
    Case("Latin-1 text", "", "coded_latin1.csv", "not UTF-8 text (byte 0xe9"),
    Case("100 MB text", "", "huge.txt", ":1: malformed JSON"),
    Case("malformed JSONL", "not an object", "coded_malformed.jsonl", ":2: expected a JSON object"),
    Case("malformed JSONL", "offset out of range", "coded_bad_offsets.jsonl",
         ":1: 'start' and 'end' must be from 0 to 2,147,483,647"),
    Case("malformed JSONL", "coder not a string", "coded_bad_coder.jsonl", ":1: field 'coder' must be a name"),
    Case("unknown category ids", "", "coded_unknown_category.csv", ":3: unknown category id 'made_up_category'"),
    Case(UNICODE, "RTL, zero-width, emoji, combining", "coded_unicode.jsonl", None, tuple(UNICODE_NEEDLES[:3])),
    Case(UNICODE, "NUL escape", "units_nul.jsonl", ":2: text contains a NUL character"),
]
TRAVERSAL = [
    # (upload file name, the name it must be recorded under; None: refused)
    ("../../../../../../../{stem}-up{suffix}", "{stem}-up{suffix}"),
    ("{outside}/{stem}-abs{suffix}", "{stem}-abs{suffix}"),
    ("..\\..\\..\\..\\..\\{stem}-back{suffix}", "{stem}-back{suffix}"),
    ("C:\\Users\\me\\Documents\\{stem}-win{suffix}", "{stem}-win{suffix}"),
    ("{stem}\x00nul{suffix}", None),
    ("{stem}" + "t" * 300 + "{suffix}", "{stem}" + "t" * 300 + "{suffix}"),
]


@dataclass
class Result:
    case: str
    kind: str
    entry_point: str
    passed: bool
    outcome: str
    message: str

    def as_dict(self) -> dict:
        return {"case": self.case, "kind": self.kind, "entry_point": self.entry_point, "passed": self.passed,
                "outcome": self.outcome, "message": self.message[:300]}


def _run_isolated(kind: str, case: str, entry_point: str, check: Callable[[], tuple[bool, str, str]]) -> Result:
    """A case whose checking code itself raising (the service or the command crashing in this process) is a
    failure with the traceback as its message, not the end of the run."""
    try:
        passed, outcome, message = check()
    except Exception:  # noqa: BLE001 - any exception here is the crash being looked for
        return Result(case, kind, entry_point, False, "crashed", traceback.format_exc(limit=-3))
    return Result(case, kind, entry_point, passed, outcome, message)


# --- the command --------------------------------------------------------------------------------------------

def run_command(*args: str) -> tuple[int, str, str]:
    """`autocoder ARGS` in this process, through the command's own `main()`: (exit status, stdout, stderr).
    Any exception other than the exit is left to the caller: it is a crash."""
    out, err = io.StringIO(), io.StringIO()
    argv = sys.argv
    sys.argv = ["autocoder", *args]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                cli_main()
                status = 0
            except SystemExit as exc:
                status = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = argv
    return status, out.getvalue(), err.getvalue()


def run_process(*args: str) -> tuple[int, str, str]:
    """`autocoder ARGS` as its own process."""
    done = subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=600)
    return done.returncode, done.stdout, done.stderr


def _refused(status: int, stderr: str, case: Case, source: Path) -> tuple[bool, str, str]:
    """Exit status 2 and one line naming the file and the problem; no traceback."""
    message = stderr.strip().splitlines()[-1] if stderr.strip() else ""
    ok = status == 2 and case.error in stderr and source.name in stderr and "Traceback" not in stderr
    return ok, f"exit {status}", message


def _source_text(path: Path) -> str | None:
    """The text of a text file as the corpus wrote it (None for PDFs and DOCX: their text is checked by needles)."""
    raw = path.read_bytes()
    if path.suffix in (".pdf", ".docx"):
        return None
    return raw.decode("utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else raw.decode("utf-8")


def _units_read_correctly(units: list[dict], text: str | None, needles: tuple[str, ...]) -> str | None:
    """None if every unit is its document's text at its offsets and the needles survived; else what is wrong."""
    if not units:
        return "no units"
    if text is not None:
        wrong = [u for u in units if text[u["start"]:u["end"]] != u["text"]]
        if wrong:
            return f"{len(wrong)} units' offsets do not give their text, e.g. {wrong[0]['text']!r}"
    joined = "\n".join(u["text"] for u in units)
    missing = [n for n in needles if n not in joined]
    return f"lost {missing!r}" if missing else None


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in _source_text(path).splitlines() if line.strip()]


def cli_cases(files: dict[str, Path], work: Path) -> list[Result]:
    results = []
    for case in DOCUMENTS:
        source = files[case.file]
        output = work / f"code-{case.file}.jsonl"
        real_process = case.kind in ("100 MB text", "zip-bomb DOCX")

        def check(case=case, source=source, output=output, real_process=real_process):
            status, _, stderr = (run_process if real_process else run_command)("code", str(source), "-o", str(output))
            if case.error:
                ok, outcome, message = _refused(status, stderr, case, source)
                return ok and not output.exists(), outcome, message
            units = _jsonl(output) if status == 0 and output.exists() else []
            problem = _units_read_correctly(units, _source_text(source), case.needles) if status == 0 else stderr
            return problem is None, f"exit {status}, {len(units)} units", problem or "read correctly"

        results.append(_run_isolated(case.kind, case.name, CODE, check))
    missing = Case("path traversal", "a path out of the working folder", "", "file not found")
    traversal = Path("../" * 12 + "no-such-folder/report.md")

    def check_traversal():
        status, _, stderr = run_command("code", str(traversal))
        return _refused(status, stderr, missing, traversal)

    results.append(_run_isolated(missing.kind, missing.name, CODE, check_traversal))
    for entry_point, cases, command in ((CODE_UNITS, UNIT_FILES, ("code-units",)),
                                        (EVALUATE, CODED_FILES, ("evaluate", "--data"))):
        for case in cases:
            source = work / entry_point.split()[1] / _unit_file_name(case.file)
            source.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(files[case.file], source)

            def check(case=case, source=source, command=command):
                status, stdout, stderr = run_command(*command, str(source))
                if case.error:
                    return _refused(status, stderr, case, source)
                if command[0] == "evaluate":
                    expected = len(_jsonl(source))
                    ok = status == 0 and f"n={expected}" in stdout
                    return ok, f"exit {status}", stdout.strip() or stderr.strip()
                given, coded = _jsonl(source), [json.loads(line) for line in stdout.splitlines()]
                same = [(u["id"], u["text"]) for u in given] == [(u["id"], u["text"]) for u in coded]
                problem = None if same else "ids or texts changed"
                return status == 0 and same, f"exit {status}, {len(coded)} units", problem or "read correctly"

            results.append(_run_isolated(case.kind, case.name, entry_point, check))
    return results


def _unit_file_name(name: str) -> str:
    """A case's file named as a unit or coding file (.jsonl unless it is a .csv)."""
    return Path(name).stem + (".csv" if name.endswith(".csv") else ".jsonl")


def batch_cases(files: dict[str, Path], work: Path) -> list[Result]:
    """One `autocoder batch` process over every report case: the bad ones listed in errors.csv, the good ones
    scored, and nothing written outside its output folder."""
    archive, out = work / "archive", work / "batch-out"
    archive.mkdir()
    docs = {}
    for case in DOCUMENTS:
        shutil.copyfile(files[case.file], archive / case.file)
        docs[case.file] = case
    traversal = Case("path traversal", "backslashes and dots in a report's name", "", None, (REPORT_LINES[3][2:],))
    odd_name = "a\\..\\..\\..\\trav.md"
    (archive / odd_name).write_text("\n".join(REPORT_LINES) + "\n", encoding="utf-8")
    docs[odd_name] = traversal
    before = {p for p in work.rglob("*") if p.is_file()}
    status, _, stderr = run_process("batch", str(archive), "--out", str(out), "--backend", "torch", "--workers", "1")
    errors, units = {}, defaultdict(list)
    if (out / "errors.csv").exists():
        errors = dict(pd.read_csv(out / "errors.csv", dtype=str).itertuples(index=False, name=None))
        for row in pd.read_csv(out / "units.csv", dtype={"text": str}, keep_default_na=False).to_dict("records"):
            units[row["doc"]].append(row)
    outside = sorted(str(p) for p in work.rglob("*") if p.is_file() and p not in before
                     and not p.resolve().is_relative_to(out.resolve()))
    crashed = status not in (0, 1) or "Traceback" in stderr
    results = []
    for doc, case in docs.items():
        if case.error:
            message = errors.get(doc, "not in errors.csv")
            ok = case.error in message and doc not in units
        else:
            text = _source_text(archive / doc)
            message = _units_read_correctly(units[doc], text, case.needles) or "read correctly"
            ok = doc not in errors and message == "read correctly"
        ok = ok and not crashed and not outside
        note = f"; wrote outside its folder: {outside}" if outside else ""
        results.append(Result(case.name, case.kind, BATCH, ok, f"exit {status}", message + note))
    return results


# --- the service ----------------------------------------------------------------------------------------------

class ServiceUnderTest:
    """The service on its own data directory, nested deep inside `root` so that a path escaping it would land
    in `root` where it is seen; a project with a reviewed report, an admin, a researcher and a reviewer."""

    def __init__(self, root: Path, database_url: str | None):
        self.root = root
        self.settings = Settings(data_dir=root / "a" / "b" / "c" / "data", database_url=database_url,
                                 model_dir=DEFAULT_MODEL)
        self.outside = root / "outside"

    def __enter__(self) -> "ServiceUnderTest":
        app = create_app(self.settings)
        self.client = TestClient(app, raise_server_exceptions=False).__enter__()
        self.context = app.state.context
        self.service = Service(self.settings, self.client)
        self.service.tokens["admin"] = add_admin(app, "admin")
        self.service.add_user("rita", "researcher")
        self.service.add_user("ann", "reviewer")
        admin = self.service.as_("admin")
        pid = admin.post("/projects", json={"name": "bad inputs"}).json()["id"]
        admin.post(f"/projects/{pid}/members", json={"user_id": self.service.ids["ann"]})
        self.service.as_("rita").post(f"/projects/{pid}/documents", files={"file": ("seed.md", REPORT.encode())})
        unit = self.service.as_("rita").get(f"/projects/{pid}/units").json()["items"][0]
        self.ids = {"project_id": pid, "unit_id": unit["id"], "user_id": self.service.ids["ann"]}
        return self

    def __exit__(self, *exc) -> None:
        self.client.__exit__(*exc)

    def stored(self) -> dict:
        """Row counts, a digest of the decision log, and every file under the root but the database's own."""
        with self.context.sessions() as session:
            counts = {table.__tablename__: session.scalar(select(func.count()).select_from(table))
                      for table in (Document, Unit, Decision, TrainingExample, User, Project, Token)}
            log = session.execute(select(Decision.id, Decision.unit_id, Decision.version, Decision.action,
                                         Decision.code, Decision.reviewer_id, Decision.comment)
                                  .order_by(Decision.id)).all()
        files = sorted(str(p.relative_to(self.root)) for p in self.root.rglob("*")
                       if p.is_file() and not p.name.startswith("autocoder.db"))
        return {**counts, "decision_log": hashlib.sha256(json.dumps([list(r) for r in log]).encode()).hexdigest(),
                "files": files}

    def call(self, case: Case, entry_point: str, request: Callable, status: int,
             correct: Callable[[object], str | None] | None = None) -> Result:
        """Send one request: a refusal must have `status`, the case's words, leave everything stored as it was
        and not show the server's paths; a good input must get `status` and pass `correct`."""
        def check():
            before = self.stored()
            response = request()
            alive = self.client.get("/health").status_code == 200
            detail = response.text
            if case.error:
                message = json.dumps(response.json().get("detail")) if _is_json(response) else detail
                ok = (response.status_code == status and case.error in message and self.stored() == before
                      and str(self.settings.data_dir.resolve()) not in detail)
                return ok and alive, f"HTTP {response.status_code}", message
            problem = (detail if response.status_code != status else correct(response) if correct else None)
            new_files = set(self.stored()["files"]) - set(before["files"])
            uploads = self.settings.uploads_dir.resolve()
            escaped = [f for f in new_files if not (self.root / f).resolve().is_relative_to(uploads)]
            if escaped:
                problem = f"written outside the uploads folder: {escaped}"
            return problem is None and alive, f"HTTP {response.status_code}", problem or "correct result"

        return _run_isolated(case.kind, case.name, entry_point, check)


def raw_upload(name: str, data: bytes) -> dict:
    """Request arguments for a file upload whose name is sent byte for byte, as a hostile client may send it
    (httpx would percent-encode a NUL)."""
    body = (b'--b\r\nContent-Disposition: form-data; name="file"; filename="' + name.encode() + b'"\r\n'
            b"Content-Type: application/octet-stream\r\n\r\n" + data + b"\r\n--b--\r\n")
    return {"content": body, "headers": {"content-type": "multipart/form-data; boundary=b"}}


def _is_json(response) -> bool:
    return response.headers.get("content-type", "").startswith("application/json")


def api_cases(files: dict[str, Path], root: Path, database_url: str | None = None) -> list[Result]:
    results = []
    with ServiceUnderTest(root, database_url) as sut:
        pid = sut.ids["project_id"]
        rita, ann = sut.service.as_("rita"), sut.service.as_("ann")
        limit = sut.settings.max_upload_bytes

        def upload(path: str, name: str, data: bytes):
            return lambda: rita.post(path, files={"file": (name, data)})

        def upload_raw(path: str, name: str, data: bytes):
            return lambda: rita.post(path, **raw_upload(name, data))

        def documents_correct(case: Case, source: Path):
            def correct(response) -> str | None:
                document = rita.get(f"/projects/{pid}/documents/{response.json()['id']}").json()
                units = rita.get(f"/projects/{pid}/units",
                                 params={"document_id": document["id"], "limit": 1000}).json()["items"]
                text = _source_text(source)
                if text is not None and document["text"] != text:
                    return "the stored text differs from the file's"
                return _units_read_correctly(units, document["text"], case.needles)
            return correct

        def units_correct(source: Path):
            def correct(response) -> str | None:
                units = rita.get(f"/projects/{pid}/units",
                                 params={"document_id": response.json()["id"], "limit": 1000}).json()["items"]
                given = [(str(u["id"]), u["text"]) for u in _jsonl(source)]
                return None if [(u["ref"], u["text"]) for u in units] == given else "ids or texts changed"
            return correct

        def import_correct(source: Path):
            def correct(response) -> str | None:
                given = _jsonl(source)
                items = rita.get(f"/projects/{pid}/training-data", params={"limit": 10000}).json()["items"]
                texts = [i["text"] for i in items[-len(given):]]
                return None if texts == [u["text"] for u in given] else "texts changed"
            return correct

        for case in DOCUMENTS:
            source = files[case.file]
            status = 413 if case.kind == "100 MB text" else 201 if case.error is None else 400
            results.append(sut.call(case, UPLOAD, upload(f"/projects/{pid}/documents", source.name,
                                                         source.read_bytes()),
                                    status, documents_correct(case, source)))
        for entry_point, path, cases, correct in (
                (UNITS, f"/projects/{pid}/documents/units", UNIT_FILES, units_correct),
                (IMPORT, f"/projects/{pid}/training-data", CODED_FILES, import_correct)):
            for case in cases:
                source = files[case.file]
                name = f"{entry_point.split()[1]}-{_unit_file_name(case.file)}"
                status = 413 if case.kind == "100 MB text" else 201 if case.error is None else 400
                big = Case(case.kind, case.variant, case.file, OVER_LIMIT)
                results.append(sut.call(big if status == 413 else case, entry_point,
                                        upload(path, name, source.read_bytes()), status, correct(source)))
        def recorded_as(expected: str, then: Callable | None = None):
            """The upload is recorded under its own file name: a document's filename, training data's source."""
            def correct(response) -> str | None:
                body = response.json()
                name = body["filename"] if "filename" in body else rita.get(
                    f"/projects/{pid}/training-data", params={"limit": 10000}).json()["items"][-1]["source"]
                if name != expected:
                    return f"recorded as {name!r}, not {expected!r}"
                return then(response) if then else None
            return correct

        units_unicode = CORPUS / "units_unicode.jsonl"
        for entry_point, path, stem, suffix, data, then in (
                (UPLOAD, f"/projects/{pid}/documents", "doc", ".md", REPORT.encode(), None),
                (UNITS, f"/projects/{pid}/documents/units", "units", ".jsonl", units_unicode.read_bytes(),
                 units_correct(units_unicode)),
                (IMPORT, f"/projects/{pid}/training-data", "coded", ".jsonl",
                 (CORPUS / "coded_unicode.jsonl").read_bytes(), None)):
            for sent, stored_as in TRAVERSAL:
                name = sent.format(stem=stem, suffix=suffix, outside=sut.outside)
                expected = stored_as.format(stem=stem, suffix=suffix) if stored_as else None
                case = Case("path traversal", repr(name[:50]), "", None if expected else "control characters")
                results.append(sut.call(case, entry_point, upload_raw(path, name, data), 201 if expected else 400,
                                        recorded_as(expected, then) if expected else None))
        results += _decision_cases(sut, ann, pid, limit)
        results += _json_body_cases(sut, limit)
    return results


def _decision_cases(sut: ServiceUnderTest, ann, pid: int, limit: int) -> list[Result]:
    url = f"/projects/{pid}/units/{sut.ids['unit_id']}/decisions"

    def version() -> int:
        return ann.get(f"/projects/{pid}/units/{sut.ids['unit_id']}").json()["version"]

    def send(body: dict | None = None, raw: bytes | None = None):
        def request():
            if raw is not None:
                return ann.post(url, content=raw, headers={"content-type": "application/json"})
            return ann.post(url, json={"expected_version": version(), **body})
        return request

    comment = "Agreed \u200f\u05e9\u05dc\u05d5\u05dd\u200e \U0001F468\u200d\U0001F469\u200d\U0001F467 e\u0301 \u200b."

    def comment_kept(response) -> str | None:
        kept = response.json()["decision"]["comment"]
        return None if kept == comment else f"comment stored as {kept!r}"

    cases = [
        (Case("unknown category ids", "", "", "unknown category 'made_up'"),
         send({"action": "recode", "category": "made_up"}), 400, None),
        (Case("malformed JSONL", "truncated JSON body", "", "JSON decode error"),
         send(raw=b'{"action": "reject",'), 422, None),
        (Case("binary", "body", "", "JSON decode error"), send(raw=bytes(range(256))), 422, None),
        (Case("empty file", "empty body", "", "Field required"), send(raw=b""), 422, None),
        (Case("whitespace only", "body", "", "JSON decode error"), send(raw=b" \n\t "), 422, None),
        (Case("Latin-1 text", "body", "", "parsing the body"),
         send(raw='{"action": "reject", "expected_version": 0, "comment": "caf\u00e9"}'.encode("latin-1")), 400, None),
        (Case("UTF-16 text", "body", "", None),
         lambda: ann.post(url, content=json.dumps({"action": "reject", "expected_version": version()}).encode("utf-16"),
                          headers={"content-type": "application/json"}), 201, None),
        (Case("oversized JSON body", "over the upload limit", "", OVER_LIMIT),
         send({"action": "reject", "comment": "x" * (limit + 1)}), 413, None),
        (Case("oversized JSON body", "comment over 5,000 characters", "", "comment"),
         send({"action": "reject", "comment": "x" * 5001}), 422, None),
        (Case("oversized JSON body", "version beyond the databases' integers", "", "expected_version"),
         lambda: ann.post(url, json={"action": "reject", "expected_version": 2**40}), 422, None),
        (Case(UNICODE, "NUL in the comment", "", "NUL"), send({"action": "reject", "comment": "a\x00b"}), 422, None),
        (Case(UNICODE, "RTL, zero-width, emoji, combining comment", "", None),
         send({"action": "reject", "comment": comment}), 201, comment_kept),
    ]
    return [sut.call(case, DECISION, request, status, correct) for case, request, status, correct in cases]


def app_routes(app) -> list[tuple[str, str, BaseRoute]]:
    """(method, path, route) of every route of `app`, into included routers (FastAPI keeps those nested); a
    mount's method is ''."""
    return [(method, context.path, context.original_route) for context in iter_route_contexts(app.routes)
            for method in sorted(context.methods or [""])]


def json_routes(app) -> list[tuple[str, str]]:
    """Every (method, path) that takes a JSON body: a new one is covered without being listed."""
    return [(method, path) for method, path, route in app_routes(app)
            if isinstance(route, APIRoute) and route.dependant.body_params
            and not any(isinstance(p.field_info, params.Form) for p in route.dependant.body_params)]


def _json_body_cases(sut: ServiceUnderTest, limit: int) -> list[Result]:
    admin = sut.service.as_("admin")
    ids = defaultdict(lambda: 1, sut.ids)
    results = []
    for method, path in json_routes(sut.client.app):
        url = path.format_map(ids)
        for case, body, status in (
                (Case("oversized JSON body", f"{method} {path}", "", OVER_LIMIT),
                 b'{"name": "' + b"x" * limit + b'"}', 413),
                (Case("oversized JSON body", f"{method} {path}, nested 100,000 deep", "", "error parsing the body"),
                 b"[" * 100_000 + b"]" * 100_000, 400)):
            request = (lambda url=url, method=method, body=body:
                       admin.request(method, url, content=body, headers={"content-type": "application/json"}))
            results.append(sut.call(case, JSON_BODY, request, status))
    return results


# --- the run --------------------------------------------------------------------------------------------------

def corpus(directory: Path) -> dict[str, Path]:
    """Every case's file by name: the committed ones, and the generated ones made in `directory`."""
    committed = {p.name: p for p in CORPUS.iterdir() if p.is_file() and p.suffix != ".py"}
    return committed | generate(directory)


def figures(results: list[Result]) -> dict:
    failures = [f"{r.entry_point} / {r.case}: {r.outcome}: {r.message}" for r in results if not r.passed]
    return {"tried": len(results), "passed": sum(r.passed for r in results), "failures": failures,
            "cases": [r.as_dict() for r in results]}


def run(workdir: Path | None = None, database_url: str | None = None) -> dict:
    """Build the corpus, send every case through every entry point it applies to; the figures and each case."""
    with contextlib.ExitStack() as stack:
        work = Path(workdir or stack.enter_context(tempfile.TemporaryDirectory(prefix="bad-inputs-")))
        files = corpus(work / "generated")
        results = [*cli_cases(files, work / "cli"), *batch_cases(files, work),
                   *api_cases(files, work / "service", database_url)]
    return figures(results)


def main() -> None:
    figures = run()
    width = max(len(c["entry_point"]) for c in figures["cases"])
    for c in figures["cases"]:
        mark = "ok  " if c["passed"] else "FAIL"
        print(f"{mark} {c['entry_point']:<{width}}  {c['case'][:60]:<60}  {c['outcome']:<18} {c['message'][:90]!r}")
    print(f"\nbad inputs tried: {figures['tried']}, passed: {figures['passed']}")


if __name__ == "__main__":
    main()
