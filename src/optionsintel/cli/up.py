"""``optionsintel up``: database, reference data, demo history through Dagster, then the UI.

The command never imports Dagster itself: it loads ``dagster_project`` (the code
location next to ``src/``) at run time, so the library stays free of orchestration.
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from optionsintel.cli._common import console, err_console, friendly_errors
from optionsintel.cli._servers import run_servers
from optionsintel.cli.dashboards import dashboard_server_commands, dashboard_urls
from optionsintel.errors import ConfigurationError
from optionsintel.pipeline.demo import DEMO_INTERVAL_SECONDS, daily_history_frames, demo_plan
from optionsintel.reference import load_reference_data
from optionsintel.settings import get_settings
from optionsintel.store import get_store


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
    """Create ``DAGSTER_HOME`` under the data home with the repo's ``dagster.yaml``; export it."""
    home = get_settings().dagster_home
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(root / "dagster.yaml", home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    os.environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(root), os.environ.get("PYTHONPATH")])
    )
    return home


def _summary(counts: dict[str, int], elapsed: float) -> Table:
    table = Table(title=f"optionsintel store after {elapsed:.0f}s")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, n in sorted(counts.items()):
        if n:
            table.add_row(name, f"{n:,}")
    return table


def _materialise(plan: Any) -> list[Any]:
    mat = importlib.import_module("dagster_project.materialise")
    total, done = plan.n_partitions, [0]

    def show(run: Any) -> None:
        done[0] += 1
        mark = "[green]ok[/]" if run.success else f"[red]FAILED[/] {', '.join(run.failed_steps)}"
        console.print(
            f"  [{done[0]:>2}/{total}] {run.source:<9} {run.day}  {run.seconds:5.1f}s  {mark}"
        )

    return mat.materialise_partitions(
        plan.days, interval_seconds=plan.interval_seconds, instance=mat.platform_instance(),
        on_done=show,
    )  # fmt: skip


def serve(root: Path, host: str, port: int, dashboards_port: int) -> int:
    """Run ``dagster dev`` (webserver + daemon) and the Voila dashboards until stopped."""
    dagster = [sys.executable, "-m", "dagster", "dev", "-w", "workspace.yaml",
               "-h", host, "-p", str(port)]  # fmt: skip
    console.print(f"[bold green]Dagster UI:[/] http://{host}:{port}")
    for title, url in dashboard_urls(dashboards_port).items():
        console.print(f"[bold green]{title}:[/] {url}")
    console.print("Ctrl-C stops everything (the embedded database keeps running).")
    return run_servers([dagster, *dashboard_server_commands(dashboards_port)], cwd=root)


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
) -> None:
    """Start the platform: database, reference data, demo history, Dagster UI and dashboards."""
    start = time.perf_counter()
    root = repo_root()
    store = get_store(check_schema=False)
    console.print(f"[bold]Database[/] {store}: upgrading schema")
    store.upgrade()
    refs = load_reference_data(store)
    console.print("[bold]Reference data[/] " + ", ".join(f"{k} {v.rows}" for k, v in refs.items()))
    history = daily_history_frames(demo_plan(synthetic_days=1).last_day())
    with store.transaction() as tx:
        written = {name: tx.write(name, frame).rows for name, frame in history.items()}
    console.print("[bold]Daily history[/] (real replay + synthetic) "
                  + ", ".join(f"{k} {v:,}" for k, v in written.items()))  # fmt: skip
    prepare_dagster_home(root)
    plan = demo_plan(
        synthetic_days=synthetic_days, include_replay=replay, interval_seconds=interval
    )
    synthetic = [str(d) for d in plan.days.get("synthetic", [])]
    console.print(f"[bold]Materialising[/] {plan.n_partitions} partitions through the asset graph "
                  f"(synthetic every {interval}s: {synthetic})")  # fmt: skip
    runs = _materialise(plan)
    console.print(_summary(store.table_counts(), time.perf_counter() - start))
    failed = [r for r in runs if not r.success]
    if failed:
        err_console.print(
            f"[red]{len(failed)} partition runs failed[/]: see the runs in the Dagster UI"
        )
    if no_serve:
        raise typer.Exit(code=1 if failed else 0)
    raise typer.Exit(code=serve(root, host, port, dashboards_port))
