"""``optionsintel up``: database, reference data, demo history through Dagster, then the UI.

The library never imports Dagster nor ``dagster_project``: the demo partitions are
materialised by the code location's own entry point, ``python -m
dagster_project.materialise``, run as a subprocess (the package is installed next to
``optionsintel``), and the servers are subprocesses too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from optionsintel.cli._common import console, err_console, friendly_errors
from optionsintel.cli._servers import run_servers
from optionsintel.cli.dashboards import PREHEATED_APPS, dashboard_server_commands, dashboard_urls
from optionsintel.errors import ConfigurationError

if TYPE_CHECKING:  # the store, pandas and the demo services load when a command runs
    from rich.table import Table

    from optionsintel.services.demo import DemoPlan

#: Default demo snapshot interval; equal to ``services.demo.DEMO_INTERVAL_SECONDS``
#: (pinned by tests/test_cli_imports.py), repeated so ``--help`` needs no pandas.
DEMO_INTERVAL_SECONDS = 300


def repo_root() -> Path:
    """The checkout holding ``workspace.yaml`` and ``dagster_project/``."""
    root = Path(__file__).resolve().parents[3]
    if not (root / "workspace.yaml").exists() or not (root / "dagster_project").is_dir():
        raise ConfigurationError(
            f"no workspace.yaml/dagster_project next to {root}: run `optionsintel up` from a "
            "source checkout (pip install -e .)"
        )
    return root


def prepare_dagster_home(root: Path) -> Path:
    """Create ``DAGSTER_HOME`` under the data home with the repo's ``dagster.yaml``; export it.

    The subprocesses (materialisation, ``dagster dev``) inherit it, so the demo runs and
    the UI share one PostgreSQL-backed instance.
    """
    from optionsintel.settings import get_settings

    home = get_settings().dagster_home
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(root / "dagster.yaml", home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def _summary(counts: dict[str, int], elapsed: float) -> Table:
    from rich.table import Table

    table = Table(title=f"optionsintel store after {elapsed:.0f}s")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, n in sorted(counts.items()):
        if n:
            table.add_row(name, f"{n:,}")
    return table


def materialise_command(plan: DemoPlan) -> list[str]:
    """The command line that runs ``plan`` through the asset graph (``dagster_project``)."""
    partitions = [f"{source}:{day.isoformat()}" for source, days in plan.days.items()
                  for day in days]  # fmt: skip
    indices = [arg for name in plan.underlyings for arg in ("--underlying", name)]
    return [sys.executable, "-m", "dagster_project.materialise",
            "--interval", str(plan.interval_seconds), *indices, *partitions]  # fmt: skip


def _materialise(root: Path, plan: DemoPlan) -> int:
    """Run the plan in a child process that prints one line per partition; its exit code."""
    sys.stdout.flush()
    return subprocess.run(materialise_command(plan), cwd=root, check=False).returncode


def platform_commands(
    host: str, port: int, dashboards_port: int, api_port: int, preheat: bool = True
) -> list[list[str]]:
    """The supervised processes of a running platform, each its own process group.

    ``dagster dev`` (webserver + daemon), the Voila dashboards, the backtest worker
    (``optionsintel backtest worker``: vectorbt loaded once, so a backtest started from the
    CLI does not pay its import), the REST API (uvicorn, loopback) and the alert dispatcher
    (``optionsintel alerts dispatch``). ``preheat``: Voila keeps a kernel waiting for the
    slowest apps (:data:`~optionsintel.cli.dashboards.PREHEATED_APPS`, ~350 MB each).
    """
    cli = [sys.executable, "-m", "optionsintel.cli.main"]
    dagster = [sys.executable, "-m", "dagster", "dev", "-w", "workspace.yaml",
               "-h", host, "-p", str(port)]  # fmt: skip
    api = [*cli, "api", "--host", "127.0.0.1", "--port", str(api_port)]
    dispatcher = [*cli, "alerts", "dispatch"]
    worker = [*cli, "backtest", "worker"]
    return [
        dagster,
        *dashboard_server_commands(dashboards_port, preheat=PREHEATED_APPS if preheat else ()),
        worker,
        api,
        dispatcher,
    ]


def serve(
    root: Path,
    host: str,
    port: int,
    dashboards_port: int,
    api_port: int = 8000,
    preheat: bool = True,
) -> int:
    """Run Dagster, the dashboards, the backtest worker, API and dispatcher until stopped."""
    urls = dashboard_urls(dashboards_port)
    console.print(f"[bold green]Start here (home):[/] {urls.pop('Home')}")
    console.print(f"[bold green]Dagster UI:[/] http://{host}:{port}")
    for title, url in urls.items():
        console.print(f"[bold green]{title}:[/] {url}")
    console.print(f"[bold green]REST API:[/] http://127.0.0.1:{api_port}/api/v2/docs "
                  "(every call needs a key: `optionsintel keys create`)")  # fmt: skip
    console.print("[bold green]Alert dispatcher:[/] running (`optionsintel alerts rules list`)")
    console.print("[bold green]Backtest worker:[/] running (`optionsintel backtest run` uses it)")
    console.print("Ctrl-C stops everything (the embedded database keeps running).")
    return run_servers(platform_commands(host, port, dashboards_port, api_port, preheat), cwd=root)


@friendly_errors
def up(
    no_serve: bool = typer.Option(
        False, "--no-serve", help="Materialise the demo history and exit."
    ),
    synthetic_days: int = typer.Option(
        3, "--synthetic-days", min=0, help="Recent synthetic trading days."
    ),
    interval: int = typer.Option(
        DEMO_INTERVAL_SECONDS, "--interval", help="Demo snapshot interval (s, multiple of 15)."
    ),
    replay: bool = typer.Option(
        True, "--replay/--no-replay", help="Include the recorded real replay days."
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Dagster webserver host."),
    port: int = typer.Option(3000, "--port", help="Dagster webserver port."),
    dashboards_port: int = typer.Option(8866, "--dashboards-port", help="Voila server port."),
    api_port: int = typer.Option(8000, "--api-port", help="REST API port (127.0.0.1)."),
    preheat: bool = typer.Option(
        True, help="Keep a dashboard kernel pre-heated for the slowest apps (~350 MB each)."
    ),
) -> None:
    """Start the platform: database, demo history, Dagster UI, dashboards, API and dispatcher."""
    from optionsintel.reference import load_reference_data
    from optionsintel.services.demo import demo_plan, load_daily_history
    from optionsintel.store import get_store

    start = time.perf_counter()
    root = repo_root()
    store = get_store(check_schema=False)
    console.print(f"[bold]Database[/] {store}: upgrading schema")
    store.upgrade()
    refs = load_reference_data(store)
    console.print("[bold]Reference data[/] " + ", ".join(f"{k} {v.rows}" for k, v in refs.items()))
    written = load_daily_history(store, demo_plan(synthetic_days=1).last_day())
    console.print("[bold]Daily history[/] (real replay + synthetic) "
                  + ", ".join(f"{k} {v:,}" for k, v in written.items()))  # fmt: skip
    prepare_dagster_home(root)
    plan = demo_plan(
        synthetic_days=synthetic_days, include_replay=replay, interval_seconds=interval
    )
    synthetic = [str(d) for d in plan.days.get("synthetic", [])]
    console.print(f"[bold]Materialising[/] {plan.n_partitions} partitions through the asset graph "
                  f"(synthetic every {interval}s: {synthetic})")  # fmt: skip
    code = _materialise(root, plan)
    console.print(_summary(store.table_counts(), time.perf_counter() - start))
    if code:
        err_console.print(f"[red]materialising the demo history failed[/] (exit {code}): "
                          "see the runs in the Dagster UI")  # fmt: skip
    if no_serve:
        raise typer.Exit(code=1 if code else 0)
    raise typer.Exit(code=serve(root, host, port, dashboards_port, api_port, preheat))
