"""CI's dependency check (`.ci/licences.py`): it fails, naming the distribution, on a licence the policy does not
allow and on metadata that names no licence; it passes allowed ones and the policy's exceptions."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

CHECK = Path(__file__).resolve().parent.parent / ".ci" / "licences.py"


@pytest.fixture(scope="module")
def licences():
    spec = importlib.util.spec_from_file_location("ci_licences", CHECK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def installed(folder: Path, name: str, *fields: str) -> Path:
    """A distribution's metadata as pip installs it, in `folder`."""
    info = folder / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("\n".join(["Metadata-Version: 2.4", f"Name: {name}", "Version: 1.0", *fields]) + "\n")
    return folder


@pytest.mark.parametrize("fields", [
    ["License-Expression: MIT"],
    ["License-Expression: Apache-2.0 OR GPL-2.0-only"],
    ["License: BSD", "Classifier: License :: OSI Approved :: BSD License"],
    ["License: Copyright (c) 2020 the authors. Redistribution and use ...",
     "Classifier: License :: OSI Approved :: MIT License"],
])
def test_allowed_licences_pass(licences, tmp_path, capsys, fields):
    assert licences.main([str(installed(tmp_path, "fine", *fields))], run_pip_check=False) == 0
    assert "1 distributions checked (licences): 0 problems" in capsys.readouterr().out


@pytest.mark.parametrize("fields, message", [
    (["License-Expression: GPL-3.0-only"], "copyleft 1.0: licence GPL-3.0-only is not allowed"),
    (["License-Expression: MIT AND AGPL-3.0-or-later"], "copyleft 1.0: licence MIT AND AGPL-3.0-or-later is not allowed"),
    (["License: Proprietary, all rights reserved"], "copyleft 1.0: no licence in its metadata that the policy can read"),
    ([], "copyleft 1.0: no licence in its metadata"),
])
def test_a_disallowed_or_unreadable_licence_fails_naming_the_distribution(licences, tmp_path, capsys, fields, message):
    folder = installed(installed(tmp_path, "fine", "License-Expression: MIT"), "copyleft", *fields)
    assert licences.main([str(folder)], run_pip_check=False) == 1
    out = capsys.readouterr().out
    assert message in out and "fine" not in out.split("distributions checked")[0]


def test_an_exception_allows_only_the_licence_it_names(licences, tmp_path):
    assert licences.main([str(installed(tmp_path / "a", "krippendorff", "License-Expression: GPL-3.0-or-later"))],
                         run_pip_check=False) == 0
    assert licences.main([str(installed(tmp_path / "b", "krippendorff", "License-Expression: AGPL-3.0-only"))],
                         run_pip_check=False) == 1


def test_nothing_installed_is_a_failure_not_a_pass(licences, tmp_path):
    assert licences.main([str(tmp_path)], run_pip_check=False) == 1
