"""CI's dependency check, offline: `pip check` (every installed distribution's requirements are met), then each
installed distribution's licence, read from its metadata, against the policy in `.ci/licences.toml`.

Exit 1 naming each distribution whose requirements are broken, whose licence is not allowed, or whose metadata
names no licence the policy can read (add an alias or an exception, after reading its licence).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib.metadata import Distribution, distributions
from pathlib import Path

from packaging.licenses import InvalidLicenseExpression, canonicalize_license_expression

POLICY = Path(__file__).resolve().parent / "licences.toml"
_OPERATOR = re.compile(r"\s+(AND|OR)\s+")


def declared(dist: Distribution, aliases: dict[str, str]) -> str | None:
    """The distribution's licence as an SPDX expression: License-Expression, else a License field or trove
    classifier the aliases (or SPDX) know; None when the metadata says nothing readable."""
    metadata = dist.metadata
    candidates = [metadata.get("License-Expression"), metadata.get("License"),
                  *(c for c in metadata.get_all("Classifier") or () if c.startswith("License ::"))]
    for text in (c.strip() for c in candidates if c and c.strip()):
        if text in aliases:
            return aliases[text]
        try:
            return canonicalize_license_expression(text)
        except InvalidLicenseExpression:
            continue  # a licence's full text, or a name SPDX does not know: try the next field
    return None


def allowed(expression: str, licences: set[str]) -> bool:
    parts = _OPERATOR.split(expression.replace("(", " ").replace(")", " ").strip())
    ids = [p.split(" WITH ")[0].strip() for p in parts[::2]]
    operators = set(parts[1::2])
    return any(i in licences for i in ids) if operators == {"OR"} else all(i in licences for i in ids)


def check_licences(dists: list[Distribution], policy: dict) -> list[str]:
    """One line per distribution that fails the policy."""
    licences, aliases, exceptions = set(policy["allowed"]), policy.get("aliases", {}), policy.get("exceptions", {})
    problems = []
    for dist in sorted(dists, key=lambda d: d.metadata["Name"].lower()):
        name = dist.metadata["Name"]
        expression = declared(dist, aliases)
        if expression is None:
            problems.append(f"{name} {dist.version}: no licence in its metadata that the policy can read")
        elif not allowed(expression, licences) and exceptions.get(name) != expression:
            problems.append(f"{name} {dist.version}: licence {expression} is not allowed")
    return problems


def main(paths: list[str] | None = None, policy_path: Path = POLICY, run_pip_check: bool = True) -> int:
    problems = []
    if run_pip_check:
        pip = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True)
        if pip.returncode != 0:
            problems += [f"pip check: {line}" for line in pip.stdout.splitlines() if line.strip()]
    dists = list(distributions(path=paths) if paths is not None else distributions())
    problems += check_licences(dists, tomllib.loads(policy_path.read_text(encoding="utf-8")))
    for problem in problems:
        print(problem)
    print(f"{len(dists)} distributions checked ({'pip check and ' if run_pip_check else ''}licences): "
          f"{len(problems)} problems")
    return 1 if problems or not dists else 0


if __name__ == "__main__":
    sys.exit(main())
