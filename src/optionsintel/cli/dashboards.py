"""``optionsintel dashboards``: serve the Voila apps on 127.0.0.1 and print their URLs.

``optionsintel up`` starts the same server next to the Dagster UI through
:func:`dashboard_server_commands` and prints :func:`dashboard_urls`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from optionsintel.cli._common import console, friendly_errors
from optionsintel.cli._servers import run_servers
from optionsintel.errors import OptionsIntelError

DEFAULT_PORT = 8866
APPS: dict[str, str] = {
    "Market monitor": "market_monitor.ipynb",
    "Analytics report": "analytics_report.ipynb",
    "Pattern builder": "pattern_builder.ipynb",
    "Backtests": "backtests.ipynb",
    "Strategy builder": "strategy_builder.ipynb",
    "Scanner": "scanner.ipynb",
    "Alerts manager": "alerts_manager.ipynb",
}


class DashboardsNotFoundError(OptionsIntelError):
    """The notebooks folder with the Voila apps cannot be found."""


def notebooks_dir() -> Path:
    """Return the folder holding the Voila app notebooks (``OPTIONSINTEL_NOTEBOOKS`` overrides)."""
    env = os.environ.get("OPTIONSINTEL_NOTEBOOKS")
    candidates = [Path(env)] if env else []
    candidates += [Path(__file__).resolve().parents[3] / "notebooks", Path.cwd() / "notebooks"]
    for folder in candidates:
        if all((folder / nb).is_file() for nb in APPS.values()):
            return folder
    raise DashboardsNotFoundError(
        f"no notebooks folder with {sorted(APPS.values())} in {[str(c) for c in candidates]}; "
        "run from the repository root or set OPTIONSINTEL_NOTEBOOKS"
    )


def dashboard_urls(port: int = DEFAULT_PORT, host: str = "127.0.0.1") -> dict[str, str]:
    """Return the URL of each Voila app by title."""
    return {title: f"http://{host}:{port}/voila/render/{nb}" for title, nb in APPS.items()}


def dashboard_server_commands(port: int = DEFAULT_PORT) -> list[list[str]]:
    """Return the command lines that serve the dashboards (one Voila server, all apps).

    Voila serves every notebook of :func:`notebooks_dir` on 127.0.0.1 only, without
    opening a browser; each app gets its own kernel per page view. Run with the
    environment of the caller so ``DATABASE_URL`` reaches the kernels.
    """
    folder = notebooks_dir()
    return [[sys.executable, "-m", "voila", str(folder), f"--port={port}", "--no-browser",
             "--Voila.ip=127.0.0.1"]]  # fmt: skip


@friendly_errors
def dashboards(
    port: int = typer.Option(DEFAULT_PORT, help="Port of the Voila server (127.0.0.1 only)."),
) -> None:
    """Serve the Voila dashboards (monitor, report, pattern and strategy builders)."""
    """Serve the Voila dashboards (market monitor, analytics report, pattern builder, alerts)."""
    commands = dashboard_server_commands(port)
    for title, url in dashboard_urls(port).items():
        console.print(f"[bold]{title}[/]: {url}")
    console.print("Press Ctrl+C to stop.")
    raise typer.Exit(code=run_servers(commands))
