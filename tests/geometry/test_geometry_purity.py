"""optionsintel.geometry is a pure domain package: it imports only core and domain modules."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[2] / "src/optionsintel/geometry"
ALLOWED = ("optionsintel.errors", "optionsintel._typing", "optionsintel.tz", "optionsintel.frames",
           "optionsintel.research", "optionsintel.chain", "optionsintel.geometry")  # fmt: skip
THIRD_PARTY = {
    "numpy",
    "pandas",
    "numba",
    "__future__",
    "collections",
    "dataclasses",
    "typing",
    "types",
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_geometry_imports_only_core_and_domain() -> None:
    bad = {
        f"{path.name}: {name}"
        for path in PACKAGE.glob("*.py")
        for name in _imports(path)
        if not (name.startswith(ALLOWED) or name.split(".")[0] in THIRD_PARTY)
    }
    assert bad == set()
