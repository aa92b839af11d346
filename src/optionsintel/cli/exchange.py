"""``optionsintel export`` and ``optionsintel import``: data sets to files and back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from optionsintel.cli._common import console, err_console, friendly_errors

_FORMAT_HELP = "csv, json, jsonl, xlsx or parquet (default: from the file suffix)."


@contextmanager
def _bar(label: str) -> Iterator[object]:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err_console.real, transient=True) as progress:
        task = progress.add_task(label, total=None)

        def update(done: int, total: int | None) -> None:
            progress.update(task, completed=done, total=total)

        yield update


@friendly_errors
def export(
    dataset: str = typer.Argument(
        ...,
        help="Table (option_chain_snapshots, daily_ohlc, instruments...), documents (patterns, "
        "alert_rules, watchlists, strategies, positions, user_settings) or results "
        "(scan_results, backtest_run, alert_history).",
    ),
    path: Path = typer.Argument(..., help="Target file, e.g. chain.parquet or bars.csv.gz."),
    provider: str | None = typer.Option(
        None, "--provider", "-p", help="Provider of the rows (market data)."
    ),
    symbol: list[str] | None = typer.Option(
        None, "--symbol", "-s", help="Only these symbols/underlyings."
    ),
    start: str | None = typer.Option(None, help="From this date or instant (inclusive)."),
    end: str | None = typer.Option(None, help="Up to this date or instant (inclusive)."),
    fmt: str | None = typer.Option(None, "--format", "-f", help=_FORMAT_HELP),
    compression: str | None = typer.Option(
        None, help="gzip, zip or zstd (default: from the suffix)."
    ),
    chunk_rows: int = typer.Option(100_000, min=1, help="Rows read and written per chunk."),
    bulk: bool = typer.Option(False, "--bulk", help="Record the export as a bulk operation."),
    owner: str | None = typer.Option(None, help="Documents/alert history of this user only."),
    run_id: str | None = typer.Option(None, "--run-id", help="scan_results/backtest_run: the run."),
    table: str | None = typer.Option(
        None,
        help="backtest_run: trades|equity|metrics; alert_history: notifications|attempts "
        "(.xlsx gets every table).",
    ),
) -> None:
    """Export a stored data set, documents or a result to a file, with its provenance."""
    from optionsintel.services.exports import export_dataset, new_operation_id
    from optionsintel.store import get_store

    store = get_store()
    if _export_other(store, dataset, path, fmt, owner, run_id, table, compression):
        return
    with _bar(f"exporting {dataset}") as progress:
        prov = export_dataset(
            store, dataset, path, fmt, provider=provider, subject=symbol or None, start=start,  # type: ignore[arg-type]
            end=end, compression=compression, chunk_rows=chunk_rows, progress=progress,  # type: ignore[arg-type]
            operation_id=new_operation_id() if bulk else None,
        )  # fmt: skip
    console.print(f"wrote {prov.row_count:,} rows of {dataset} to {path}")


def _export_other(store: Any, dataset: str, path: Path, fmt: Any, owner: str | None,
                  run_id: str | None, table: Any, compression: Any) -> bool:  # fmt: skip
    """Documents and results (small: written in one go); False for a stored data set."""
    from optionsintel.errors import ExportError
    from optionsintel.services import document_exports as docs

    if dataset in docs.DOCUMENT_SETS:
        prov = docs.export_documents(
            store, dataset, path, fmt, owner=owner, compression=compression
        )
    elif dataset == "alert_history":
        which: Any = table or "notifications"
        prov = docs.export_alert_history(
            store, path, fmt, owner=owner, table=which, compression=compression
        )
    elif dataset in ("scan_results", "backtest_run") and not run_id:
        raise ExportError(f"exporting {dataset} needs --run-id")
    elif dataset == "scan_results":
        prov = docs.export_scan_results(store, str(run_id), path, fmt, compression=compression)
    elif dataset == "backtest_run":
        which = table or "trades"
        prov = docs.export_backtest_run(
            store, str(run_id), path, fmt, table=which, compression=compression
        )
    else:
        return False
    console.print(f"wrote {prov.row_count:,} rows of {dataset} to {path}")
    return True


@friendly_errors
def import_(
    dataset: str = typer.Argument(
        ...,
        help="daily_bars, option_chain, instruments, patterns, alert_rules, watchlists, "
        "strategies, positions or user_settings.",
    ),
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="File to import."),
    provider: str | None = typer.Option(
        None, "--provider", "-p", help="Your name for this data's source."
    ),
    dry_run: bool = typer.Option(
        True, "--dry-run/--commit", help="Validate only (default), or write."
    ),
    fmt: str | None = typer.Option(None, "--format", "-f", help=_FORMAT_HELP),
    sheet: str | None = typer.Option(None, help="Excel sheet (default the first)."),
    map_: list[str] | None = typer.Option(
        None, "--map", help="Override a column: COLUMN=FILE_COLUMN."
    ),
    show_errors: int = typer.Option(20, help="How many errors to list."),
    user: str = typer.Option("import", help="Author of imported pattern versions."),
) -> None:
    """Validate a file for import (dry run) and, with --commit, store it in one transaction."""
    from optionsintel.errors import ImportFileError
    from optionsintel.services.imports import commit_import, plan_import
    from optionsintel.store import get_store

    overrides = {}
    for item in map_ or []:
        target, sep, source = item.partition("=")
        if not sep:
            raise ImportFileError(f"--map takes COLUMN=FILE_COLUMN, got {item!r}")
        overrides[target.strip()] = source.strip()
    store = get_store()
    plan = plan_import(store, path, dataset, provider=provider, fmt=fmt, sheet=sheet,  # type: ignore[arg-type]
                       mapping=overrides, user=user)  # fmt: skip
    mapping = plan.report.mapping
    console.print("columns: " + ", ".join(f"{t} <- {s}" for t, s in mapping.columns.items()))
    if mapping.unmapped:
        console.print(f"ignored file columns: {', '.join(mapping.unmapped)}")
    console.print(plan.report.summary(limit=show_errors))
    if not plan.report.ok:
        raise typer.Exit(code=1)
    if dry_run:
        console.print("dry run: nothing written (add --commit to import)")
        return
    result = commit_import(store, plan)
    console.print(f"imported {result.rows:,} rows: {result.inserted:,} new, {result.updated:,} "
                  f"changed, {result.unchanged:,} unchanged")  # fmt: skip
