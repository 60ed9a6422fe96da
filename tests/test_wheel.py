"""The package as a user installs it: a wheel built from the checkout, installed into a fresh virtual environment,
codes a report and tabulates it from a folder outside the checkout."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REPORT = """# Peer review: Fernhill Primary

## Areas of strength
- The SENCo meets every class teacher each half term to review the provision map.
- Teaching assistants are trained to deliver the phonics intervention and their impact is checked termly.

## Areas for development
- Parents of pupils with SEND say they are not told how their child is getting on.
"""

pytestmark = pytest.mark.slow


def run(*args, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=1500, env=env)
    assert result.returncode == 0, f"{args}: {result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    return result


def test_the_wheel_codes_and_tabulates_outside_the_checkout(tmp_path):
    wheels = tmp_path / "wheels"
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", wheels, ROOT,
        cwd=tmp_path)
    [wheel] = wheels.glob("autocoder-*.whl")
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    pip = [venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    run(*pip, "torch==2.13.0", cwd=tmp_path)  # the CPU wheel on this machine's disk, as scripts/setup installs it
    run(*pip, wheel, cwd=tmp_path)

    work = tmp_path / "elsewhere"
    work.mkdir()
    (work / "report.md").write_text(REPORT, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "AUTOCODER_SOURCES_DIR")}
    cli = venv / "bin" / "autocoder"
    run(cli, "code", "report.md", "-o", "coded.jsonl", cwd=work, env=env)
    units = [json.loads(line) for line in (work / "coded.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(units) == 3 and {u["section"] for u in units} == {"strength", "development"}
    assert all(u["model"] and u["ranked"] for u in units)
    table = run(cli, "frequencies", "coded.jsonl", "--level", "construct", cwd=work, env=env).stdout
    assert "| learner_centredness |" in table
    # the installed package is the one that ran, not the checkout
    where = run(venv / "bin" / "python", "-c", "import autocoder.pipeline as p; print(p.DEFAULT_MODEL)",
                cwd=work, env=env).stdout.strip()
    assert Path(where).is_relative_to(venv) and not Path(where).is_relative_to(ROOT)
