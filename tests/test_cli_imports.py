"""The CLI imports only what a command uses (behaviour, not time: see benchmarks/bench_cli.py)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("sqlalchemy", "psycopg", "numba", "pandas", "numpy", "pyarrow", "dagster", "scipy")
# what `fetch chain --provider replay` leaves out: it reads no setting and prints plain text
# (the previous helper's profile: ~0.1 s pydantic-settings, ~0.04-0.07 s rich's console)
REPLAY_FETCH_UNUSED = (
    "sqlalchemy", "psycopg", "numba", "dagster", "scipy", "pydantic_settings", "rich",
)  # fmt: skip


def _loaded_after(code: str, watched: tuple[str, ...] = HEAVY) -> set[str]:
    """Top-level packages of ``watched`` imported by ``code`` in a fresh interpreter."""
    probe = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & {set(watched)!r})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_importing_the_cli_imports_no_heavy_library() -> None:
    assert _loaded_after("import optionsintel.cli.main") == set()


@pytest.mark.parametrize("argv", [["--help"], ["fetch", "--help"], ["db", "--help"], ["version"]])
def test_help_and_version_import_no_heavy_library(argv: list[str]) -> None:
    code = (
        "import sys\nfrom optionsintel.cli.main import app\n"
        f"try:\n    app({argv!r})\nexcept SystemExit:\n    pass"
    )
    assert _loaded_after(code) == set()


def test_fetching_a_replay_chain_needs_no_database_library() -> None:
    code = (
        "from optionsintel.cli.main import app\n"
        "try:\n    app(['fetch', 'chain', 'NIFTY', '--provider', 'replay'])\n"
        "except SystemExit as e:\n    assert not e.code, e.code"
    )
    assert _loaded_after(code, REPLAY_FETCH_UNUSED) == set()


def test_importing_the_cli_builds_no_rich_console() -> None:
    assert _loaded_after("import optionsintel.cli.main", ("rich", "pydantic_settings")) == set()


def test_the_demo_interval_default_is_the_services_one() -> None:
    from optionsintel.cli import up
    from optionsintel.services import demo

    assert up.DEMO_INTERVAL_SECONDS == demo.DEMO_INTERVAL_SECONDS
