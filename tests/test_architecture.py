"""The layer rules of HOUSE_STYLE, enforced: import-linter contracts plus what grimp cannot see."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "optionsintel"


def test_import_contracts_are_kept() -> None:
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    done = subprocess.run(
        [exe, "--no-cache", str(ROOT / ".importlinter")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_library_never_reaches_dagster_project_dynamically() -> None:
    """No string import of the orchestration package and no sys.path edits in the library."""
    offenders = []
    for path in SRC.rglob("*.py"):
        text = path.read_text()
        if re.search(r"import_module\(\s*[\"']dagster_project", text) or "sys.path" in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_library_never_evaluates_strings() -> None:
    """User text must never reach an expression evaluator (rules, imports, API, CLI)."""
    pattern = re.compile(r"\.query\(|\.eval\(|\bpd\.eval\b|\bnumexpr\b|(?<![\w.])(eval|exec)\(")
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in SRC.rglob("*.py")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line) and not line.lstrip().startswith("#")
    ]
    assert offenders == []
