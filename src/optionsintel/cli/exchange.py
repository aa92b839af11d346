"""``optionsintel export`` and ``optionsintel import``: data sets to files and back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from optionsintel.cli._common import console, err_console, friendly_errors

_FORMAT_HELP = "csv, json, jsonl, xlsx or parquet (default: from the file suffix)."


@contextmanager
def _bar(label: str) -> Iterator[object]:
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err_console, transient=True) as progress:
        task = progress.add_task(label, total=None)

        def update(done: int, total: int | None) -> None:
            progress.update(task, completed=done, total=total)

        yield update


@friendly_errors
def export(
    dataset: str = typer.Argument(
        ..., help="Table: option_chain_snapshots, daily_ohlc, instruments..."
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
) -> None:
    """Export a stored data set to a file, streamed, with its provenance."""
    from optionsintel.services.exports import export_dataset, new_operation_id
    from optionsintel.store import get_store

    store = get_store()
    with _bar(f"exporting {dataset}") as progress:
        prov = export_dataset(
            store, dataset, path, fmt, provider=provider, subject=symbol or None, start=start,  # type: ignore[arg-type]
            end=end, compression=compression, chunk_rows=chunk_rows, progress=progress,  # type: ignore[arg-type]
            operation_id=new_operation_id() if bulk else None,
        )  # fmt: skip
    console.print(f"wrote {prov.row_count:,} rows of {dataset} to {path}")


@friendly_errors
def import_(
    dataset: str = typer.Argument(..., help="daily_bars, option_chain or instruments."),
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
                       mapping=overrides)  # fmt: skip
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
