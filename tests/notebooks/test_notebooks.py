"""Every notebook runs top to bottom (nbclient) against a copy of the demo database.

The notebooks never seed: their data is what the ``demo_store`` fixture materialised
through the asset graph, as ``optionsintel demo`` does for a user. They run on
``demo_scratch_url`` because some save (a pattern, a scan run, a backtest).
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parents[2] / "notebooks").glob("*.ipynb"))


def test_notebooks_found():
    names = {p.name for p in NOTEBOOKS}
    assert {
        "market_monitor.ipynb",
        "analytics_report.ipynb",
        "01_getting_started.ipynb",
        "05_custom_patterns.ipynb",
        "pattern_builder.ipynb",
        "06_scans.ipynb",
        "scanner.ipynb",
        "07_backtests.ipynb",
        "backtests.ipynb",
        "strategy_builder.ipynb",
        "alerts_manager.ipynb",
        "home.ipynb",
        "admin.ipynb",
    } <= names
    assert len(NOTEBOOKS) >= 6


def test_each_app_notebook_shows_its_app_once():
    """A merge once tripled the analytics report's cells: Voila showed the app three times."""
    from optionsintel.cli.dashboards import APPS

    folder = NOTEBOOKS[0].parent
    for name in APPS.values():
        code = [c.source for c in nbformat.read(folder / name, as_version=4).cells
                if c.cell_type == "code"]  # fmt: skip
        assert len(code) == len(set(code)), f"{name} repeats a code cell"
        builds = sum(src.count("= build_") for src in code)
        assert builds <= 1, f"{name} builds its app {builds} times"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, demo_scratch_url, monkeypatch, tmp_path):
    # the kernel inherits it; a copy of the demo, as notebooks 05-07 save patterns and runs
    monkeypatch.setenv("DATABASE_URL", demo_scratch_url)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3", resources={
        "metadata": {"path": str(tmp_path)}})  # fmt: skip
    client.execute(env=dict(os.environ))
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]  # fmt: skip
    assert not errors, errors
