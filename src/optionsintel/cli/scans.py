"""``optionsintel scan``, ``bulk`` and ``watchlist``: scans, long jobs, symbol lists."""

from __future__ import annotations

import getpass
import json
from typing import TYPE_CHECKING, Any

import typer

from optionsintel.cli._common import (
    LazyModule,
    console,
    err_console,
    escape,
    friendly_errors,
    new_table,
)

if TYPE_CHECKING:
    from rich.progress import Progress
    from rich.table import Table

_scans = LazyModule("optionsintel.scans")
_scan_svc = LazyModule("optionsintel.services.scans")
_saved = LazyModule("optionsintel.services.saved_scans")
_bulk = LazyModule("optionsintel.services.bulk")
_lists = LazyModule("optionsintel.services.watchlists")
_store = LazyModule("optionsintel.store")

scan_app = typer.Typer(help="Scan a universe with patterns and detectors.", no_args_is_help=True)
bulk_app = typer.Typer(help="Long jobs: progress, errors, cancel.", no_args_is_help=True)
watchlist_app = typer.Typer(help="Named symbol lists.", no_args_is_help=True)

_SHOWN = ["rank", "symbol", "score", "close", "change_pct", "volume_ratio", "rsi_14",
          "max_confidence", "anomaly", "matched_criteria"]  # fmt: skip


def _owner(value: str | None) -> str:
    return value or getpass.getuser()


def _spec(universe: str, pattern: list[str], detector: list[str], as_of: str | None,
          provider: str | None, match: str) -> Any:  # fmt: skip
    return _scans.scan_spec(universe=universe, patterns=pattern, detectors=detector,
                            as_of=as_of, provider=provider, match=match)  # fmt: skip


def _progress_runner(label: str) -> tuple[Progress, Any]:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[failed]} failed"), TimeElapsedColumn(),
                   console=err_console.real, transient=True)  # fmt: skip
    task = bar.add_task(label, total=None, failed=0)

    def update(status: Any) -> None:
        bar.update(task, total=status.total, completed=status.done + status.failed,
                   failed=status.failed)  # fmt: skip

    return bar, update


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "" if value != value else f"{value:,.2f}"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return "" if value is None else str(value)


def _results_table(frame: Any, top: int, title: str) -> Table:
    table = new_table(title=title)
    cols = [c for c in _SHOWN if c in frame.columns]
    for c in cols:
        table.add_column(c, justify="right" if c not in ("symbol", "matched_criteria") else "left")
    for row in frame.head(top).itertuples(index=False):
        table.add_row(*(escape(_fmt(getattr(row, c))) for c in cols))
    return table


def _print_run(run: Any, top: int) -> None:
    st, plan = run.status, run.plan
    console.print(
        f"run [bold]{st.operation_id}[/]: {st.status}, {st.done} done, {st.failed} failed of "
        f"{st.total}; provider {plan.provider}, bar {plan.at}, as of {plan.as_of}"
    )
    store = _store.get_store()
    results = _scan_svc.read_scan_results(store, st.operation_id)
    console.print(
        _results_table(results, top, f"{len(results)} matches (provider {plan.provider})")
    )
    errors = _bulk.operation_errors(store, st.operation_id)
    for e in errors[:10]:
        console.print(f"  [yellow]{escape(e.item)}[/]: {escape(e.error)}: {escape(e.message)}")
    if len(errors) > 10:
        console.print(
            f"  ... and {len(errors) - 10} more (optionsintel bulk status {st.operation_id})"
        )


@scan_app.command("run")
@friendly_errors
def run(
    universe: str = typer.Option(
        "fno",
        "--universe",
        "-u",
        help="fno | equity | sector:<name> | watchlist:<owner>/<name> | symbols:A,B,C",
    ),
    pattern: list[str] = typer.Option([], "--pattern", "-p", help="Pinned pattern id@version."),
    detector: list[str] = typer.Option([], "--detector", "-d", help="CALL_BUILDUP:0.7, ANOMALY..."),
    as_of: str = typer.Option(None, "--as-of", help="Past instant (naive = IST); default now."),
    provider: str = typer.Option(None, "--provider", help="Provider of every row read."),
    match: str = typer.Option("any", "--match", help="Match when any/all criteria hold."),
    batch_size: int = typer.Option(500, "--batch-size", min=1, help="Symbols per batch."),
    name: str = typer.Option("adhoc", "--name", help="Name stored with the results."),
    resume: str = typer.Option(None, "--resume", help="Resume this run id (skips done symbols)."),
    top: int = typer.Option(25, "--top", min=1, help="Rows shown."),
) -> None:
    """Run a scan now (or as of a past instant) with a progress bar; print the matches.

    With --resume RUN_ID the stored run continues with its own spec (other flags ignored).
    """
    spec = None if resume else _spec(universe, pattern, detector, as_of, provider, match)
    store = _store.get_store()
    bar, update = _progress_runner("scanning")
    with bar:
        result = _scan_svc.run_scan(store, spec, operation_id=resume, name=name,
                                    batch_size=batch_size, progress=update,
                                    requested_by=getpass.getuser())  # fmt: skip
    _print_run(result, top)


@scan_app.command("show")
@friendly_errors
def show(
    run_id: str = typer.Argument(..., help="Run id (scan-...)."),
    top: int = typer.Option(25, "--top", min=1, help="Rows shown."),
    as_json: bool = typer.Option(False, "--json", help="Print the run's metadata as JSON."),
) -> None:
    """Show a stored run: metadata, ranked matches, item errors."""
    run = _scan_svc.read_scan_run(_store.get_store(), run_id)
    if as_json:
        meta = {k: v for k, v in run.status.params.items() if k not in ("items", "bars")}
        typer.echo(json.dumps({"status": run.status.status, "summary": run.status.summary,
                               **meta}, indent=2, default=str))  # fmt: skip
        return
    _print_run(run, top)


@scan_app.command("list")
@friendly_errors
def list_(
    owner: str = typer.Option(None, "--owner", help="Saved scans of this owner only."),
    limit: int = typer.Option(10, "--limit", min=1, help="Recent runs shown."),
) -> None:
    """List saved scans and recent runs."""
    store = _store.get_store()
    saved = new_table(title="saved scans")
    for c in ("owner", "name", "universe", "criteria", "schedule", "last run"):
        saved.add_column(c)
    for s in _saved.list_saved_scans(store, owner=owner):
        cells = (s.owner, s.name, s.spec.universe.text[:40], ", ".join(s.spec.criteria),
                 s.schedule or "", s.last_run_id or "")  # fmt: skip
        saved.add_row(*(escape(x) for x in cells))
    console.print(saved)
    console.print(_operations_table(_scan_svc.list_scan_runs(store, limit=limit), "recent runs"))


@scan_app.command("save")
@friendly_errors
def save(
    name: str = typer.Argument(..., help="Name of the saved scan."),
    universe: str = typer.Option("fno", "--universe", "-u", help="As for `scan run`."),
    pattern: list[str] = typer.Option([], "--pattern", "-p", help="Pinned pattern id@version."),
    detector: list[str] = typer.Option([], "--detector", "-d", help="CALL_BUILDUP:0.7, ANOMALY..."),
    provider: str = typer.Option(None, "--provider", help="Provider of every row read."),
    match: str = typer.Option("any", "--match", help="Match when any/all criteria hold."),
    schedule: str = typer.Option(None, "--schedule", help="Cron, e.g. '45 15 * * 1-5'."),
    owner: str = typer.Option(None, "--owner", help="Owner (default: you)."),
    description: str = typer.Option(None, "--description", help="What it looks for."),
) -> None:
    """Save (or replace) a named scan, optionally with a cron schedule."""
    spec = _spec(universe, pattern, detector, None, provider, match)
    saved = _saved.save_scan(_store.get_store(), _owner(owner), name, spec, schedule=schedule,
                             description=description)  # fmt: skip
    when = f", schedule '{saved.schedule}'" if saved.schedule else ""
    console.print(f"saved scan {escape(saved.owner)}/{escape(saved.name)}{escape(when)}")


@scan_app.command("rerun")
@friendly_errors
def rerun(
    name: str = typer.Argument(..., help="Name of the saved scan."),
    owner: str = typer.Option(None, "--owner", help="Owner (default: you)."),
    as_of: str = typer.Option(None, "--as-of", help="Past instant (naive = IST)."),
    top: int = typer.Option(25, "--top", min=1, help="Rows shown."),
) -> None:
    """Run a saved scan now (or as of a past instant)."""
    bar, update = _progress_runner(f"scanning {name}")
    with bar:
        result = _saved.rerun_saved_scan(_store.get_store(), _owner(owner), name, as_of=as_of,
                                         progress=update)  # fmt: skip
    _print_run(result, top)


def _operations_table(ops: list[Any], title: str) -> Table:
    table = new_table(title=title)
    table.add_column("id", no_wrap=True)
    for c in ("kind", "status", "done", "failed", "total", "created", "updated"):
        table.add_column(c)
    for o in ops:
        table.add_row(o.operation_id, o.kind, o.status, str(o.done), str(o.failed), str(o.total),
                      f"{o.created_at:%Y-%m-%d %H:%M:%S}" if o.created_at is not None else "",
                      f"{o.updated_at:%H:%M:%S}" if o.updated_at is not None else "")  # fmt: skip
    return table


@bulk_app.command("status")
@friendly_errors
def bulk_status(
    operation_id: str = typer.Argument(None, help="One operation (default: the recent ones)."),
    kind: str = typer.Option(None, "--kind", help="Only this kind (scan, export...)."),
    limit: int = typer.Option(20, "--limit", min=1, help="Operations listed."),
) -> None:
    """Progress of bulk operations; with an id: its summary and item errors."""
    store = _store.get_store()
    if operation_id is None:
        console.print(_operations_table(_bulk.list_operations(store, kind=kind, limit=limit),
                                        "bulk operations"))  # fmt: skip
        return
    op = _bulk.read_operation(store, operation_id)
    console.print(_operations_table([op], op.operation_id))
    if op.summary:
        console.print("summary: " + escape(json.dumps(op.summary, default=str)))
    errors = _bulk.operation_errors(store, operation_id)
    for e in errors[:50]:
        console.print(f"  [yellow]{escape(e.item)}[/]: {escape(e.error)}: {escape(e.message)}")
    if len(errors) > 50:
        console.print(f"  ... and {len(errors) - 50} more")


@bulk_app.command("cancel")
@friendly_errors
def bulk_cancel(operation_id: str = typer.Argument(..., help="Operation to cancel.")) -> None:
    """Cancel a pending or running operation (it stops between batches, keeping its work)."""
    if _bulk.cancel_operation(_store.get_store(), operation_id):
        console.print(f"cancelled {escape(operation_id)}; it stops after its current batch")
    else:
        op = _bulk.read_operation(_store.get_store(), operation_id)
        console.print(f"{escape(operation_id)} already finished ({op.status}); nothing to cancel")


def _report(change: Any) -> None:
    wl = change.watchlist
    parts = [f"{len(wl.symbols)} symbols"]
    parts += [f"added {len(change.added)}"] if change.added else []
    parts += [f"removed {len(change.removed)}"] if change.removed else []
    console.print(f"watchlist {escape(wl.owner)}/{escape(wl.name)}: " + ", ".join(parts))
    for label, items in (("unknown (not stored)", change.unknown),
                         ("not symbols (not stored)", change.invalid),
                         ("not in the list", change.absent)):  # fmt: skip
        if items:
            console.print(f"  [yellow]{label}:[/] " + escape(", ".join(items)))
    if (change.unknown or change.invalid or change.absent) and not (change.added or change.removed):
        raise typer.Exit(code=1)  # every symbol given was refused: a script must see it


@watchlist_app.command("create")
@friendly_errors
def wl_create(
    name: str = typer.Argument(..., help="Watchlist name."),
    symbols: list[str] = typer.Argument(None, help="Symbols (unknown ones are reported)."),
    owner: str = typer.Option(None, "--owner", help="Owner (default: you)."),
    replace: bool = typer.Option(False, "--replace", help="Overwrite an existing list."),
) -> None:
    """Create a watchlist."""
    _report(_lists.create_watchlist(_store.get_store(), _owner(owner), name, symbols or [],
                                    replace=replace))  # fmt: skip


@watchlist_app.command("add")
@friendly_errors
def wl_add(
    name: str = typer.Argument(..., help="Watchlist name."),
    symbols: list[str] = typer.Argument(..., help="Symbols to add."),
    owner: str = typer.Option(None, "--owner", help="Owner (default: you)."),
) -> None:
    """Add symbols in bulk (unknown ones are reported, not stored)."""
    _report(_lists.add_symbols(_store.get_store(), _owner(owner), name, symbols))


@watchlist_app.command("remove")
@friendly_errors
def wl_remove(
    name: str = typer.Argument(..., help="Watchlist name."),
    symbols: list[str] = typer.Argument(..., help="Symbols to remove."),
    owner: str = typer.Option(None, "--owner", help="Owner (default: you)."),
) -> None:
    """Remove symbols in bulk."""
    _report(_lists.remove_symbols(_store.get_store(), _owner(owner), name, symbols))


@watchlist_app.command("rename")
@friendly_errors
def wl_rename(
    name: str = typer.Argument(..., help="Current name."),
    new_name: str = typer.Argument(..., help="New name."),
    owner: str = typer.Option(None, "--owner", help="Owner (default: you)."),
) -> None:
    """Rename a watchlist."""
    wl = _lists.rename_watchlist(_store.get_store(), _owner(owner), name, new_name)
    console.print(f"renamed {escape(name)} to {escape(wl.name)}")


@watchlist_app.command("delete")
@friendly_errors
def wl_delete(
    name: str = typer.Argument(..., help="Watchlist name."),
    owner: str = typer.Option(None, "--owner", help="Owner (default: you)."),
) -> None:
    """Delete a watchlist."""
    _lists.delete_watchlist(_store.get_store(), _owner(owner), name)
    console.print(f"deleted watchlist {escape(name)}")


@watchlist_app.command("list")
@friendly_errors
def wl_list(owner: str = typer.Option(None, "--owner", help="Only this owner's lists.")) -> None:
    """List watchlists."""
    table = new_table(title="watchlists")
    for c in ("owner", "name", "symbols", "count"):
        table.add_column(c)
    for wl in _lists.list_watchlists(_store.get_store(), owner=owner):
        shown = ", ".join(wl.symbols[:12]) + (" ..." if len(wl.symbols) > 12 else "")
        table.add_row(escape(wl.owner), escape(wl.name), escape(shown), str(len(wl.symbols)))
    console.print(table)
