"""Export use cases: a stored data set, streamed to a file with provenance and progress.

>>> export_dataset(store, "daily_ohlc", "bars.parquet", provider="nse")  # doctest: +SKIP

The store is read through a server-side cursor
(:func:`optionsintel.store.reads.stream.iter_dataset`)
and each chunk goes straight to the file while the next one is read (:func:`read_ahead`), so
memory stays a few chunks whatever the size. With
``operation_id`` the export is also a bulk operation: a ``bulk_operations`` record moves
PENDING -> RUNNING -> SUCCEEDED/FAILED and its ``done_items`` follows every chunk; once
someone moves the record to CANCELLED the export stops at its next chunk
(:class:`ExportCancelledError`).
"""

from __future__ import annotations

import contextlib
import queue
import threading
import uuid
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from optionsintel._typing import Provider
from optionsintel.errors import ExportCancelledError, ExportError, StoreError
from optionsintel.exchange.export import Progress, check_target, open_export
from optionsintel.exchange.formats import Compression, Format, detect
from optionsintel.exchange.provenance import Provenance
from optionsintel.store import Now, Store
from optionsintel.store.reads import MARKET_DATASETS, latest_time
from optionsintel.store.reads.stream import (
    DEFAULT_CHUNK_ROWS,
    column_kinds,
    count_dataset,
    iter_dataset,
)
from optionsintel.tz import to_utc

EXPORT_KIND = "export"
_T = TypeVar("_T")


def export_dataset(
    store: Store,
    dataset: str,
    path: str | Path,
    fmt: Format | None = None,
    *,
    provider: Provider | None = None,
    subject: str | list[str] | None = None,
    start: Any = None,
    end: Any = None,
    compression: Compression | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: Progress | None = None,
    operation_id: str | None = None,
) -> Provenance:
    """Stream ``dataset`` from the store into ``path``.

    Parameters
    ----------
    store, dataset
        Source store and table (``option_chain_snapshots``, ``daily_ohlc``, ``instruments``...).
    path, fmt, compression
        Target file; format and compression default to what the suffix names.
    provider
        Required for market data (never mixed); stamped in the provenance.
    subject, start, end
        Optional symbol(s) and inclusive time bounds.
    chunk_rows, progress
        Rows per chunk and a ``progress(done, total)`` callback.
    operation_id
        Record the export as this bulk operation (see module docstring).

    Returns
    -------
    Provenance
        What was written with the file (row count included).
    """
    if fmt is None:
        fmt, named = detect(path)
        compression = compression or named
    if dataset in MARKET_DATASETS and not provider:
        raise ExportError(f"exporting {dataset} needs --provider (rows of two providers never mix)")
    _check_bounds(start, end)
    check_target(path)
    total = count_dataset(store, dataset, provider=provider, subject=subject, start=start, end=end)
    prov = Provenance(dataset, provider=provider, as_of=_as_of(store, dataset, provider, end),
                      query=_query(subject, start, end, fmt, compression))  # fmt: skip
    tracker = _Operation(store, operation_id, total, prov) if operation_id else None
    try:
        with open_export(path, fmt, column_kinds(dataset), prov, compression=compression,
                         total=total, progress=_chain(progress, tracker)) as session:  # fmt: skip
            chunks = iter_dataset(store, dataset, provider=provider, subject=subject,
                                  start=start, end=end, chunk_rows=chunk_rows)  # fmt: skip
            with contextlib.closing(read_ahead(chunks)) as ahead:
                for chunk in ahead:
                    session.write(chunk)
            rows = session.rows
    except ExportCancelledError:
        raise
    except Exception as exc:
        if tracker:
            tracker.finish("FAILED", str(exc))
        raise
    if tracker:
        tracker.finish("SUCCEEDED")
    return prov.with_rows(rows, fmt)


def _check_bounds(start: Any, end: Any) -> None:
    """Refuse a bound that is no date or instant, and an empty range, before any work."""
    bounds = {}
    for name, value in (("start", start), ("end", end)):
        if value is None:
            continue
        try:
            bounds[name] = to_utc(value)
        except (ValueError, TypeError, OverflowError):
            raise ExportError(
                f"--{name} {value!r} is not a date or instant; give it as YYYY-MM-DD "
                "or YYYY-MM-DDTHH:MM (IST unless it names a zone)"
            ) from None
    if len(bounds) == 2 and bounds["start"] > bounds["end"]:
        raise ExportError(f"--start {start!r} is after --end {end!r}: no row can match")


_DONE = object()


def read_ahead(chunks: Iterator[_T], *, depth: int = 1) -> Generator[_T, None, None]:
    """Yield ``chunks`` in order while a worker thread already reads the next ones.

    The store's next page (PostgreSQL's query, the COPY transfer, Arrow's CSV parse) then
    overlaps the writing of the current one (Arrow's writers release the GIL). At most
    ``depth`` chunks wait ready, so memory stays a few chunks whatever the row count. The
    source runs and is closed in the worker thread only; an error there is raised here, and
    leaving early (an error or a cancelled export downstream) stops and closes the source
    after the page being read.
    """
    ready: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def hand_over(item: tuple[bool, Any]) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for chunk in chunks:
                if not hand_over((True, chunk)):
                    break
            else:
                hand_over((True, _DONE))
        except BaseException as exc:  # handed to the consumer, raised there
            hand_over((False, exc))
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=work, name="oi-export-read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            ok, item = ready.get()
            if not ok:
                raise item
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        worker.join()


def _as_of(store: Store, dataset: str, provider: Provider | None, end: Any) -> str | None:
    if end is not None:
        return str(end)
    if dataset in MARKET_DATASETS and provider:
        latest = latest_time(store, dataset, provider=provider)  # type: ignore[arg-type]
        return None if latest is None else pd.Timestamp(latest).isoformat()
    return None


def _query(subject: Any, start: Any, end: Any, fmt: str, compression: str | None) -> dict[str, Any]:
    query = {"subject": subject, "start": start, "end": end, "compression": compression}
    return {k: (str(v) if k in ("start", "end") else v) for k, v in query.items() if v is not None}


class _Operation:
    """The ``bulk_operations`` record of one export."""

    def __init__(self, store: Store, operation_id: str, total: int, prov: Provenance) -> None:
        self.store, self.key = store, {"operation_id": operation_id}
        params = {"dataset": prov.dataset, "provider": prov.provider, **prov.query}
        # A caller may have recorded the operation PENDING already (the API answers 202
        # with its id before the export starts): then that record is the one moved on.
        store.append("bulk_operations", pd.DataFrame([{
            "operation_id": operation_id, "kind": EXPORT_KIND, "status": "PENDING",
            "total_items": total, "params": params}]), on_duplicate="skip")  # fmt: skip
        if not store.transition(
            "bulk_operations", self.key, "PENDING", "RUNNING", total_items=total
        ):
            raise ExportCancelledError(f"export {operation_id} was cancelled before it started")

    def progress(self, done: int, _total: int | None) -> None:
        if not self.store.transition(
            "bulk_operations", self.key, "RUNNING", "RUNNING", done_items=done
        ):
            raise ExportCancelledError(f"export {self.key['operation_id']} was cancelled")

    def finish(self, status: str, error: str | None = None) -> None:
        extra: dict[str, Any] = {"item_errors": {"error": error[:500]}} if error else {}
        # The bulk-operation model's final summary and end instant (services/bulk.py).
        extra |= {"finished_at": Now(), "summary": {"error": error[:500]} if error else {}}
        # The export's own error matters more than a failure to record it.
        with contextlib.suppress(StoreError):
            self.store.transition("bulk_operations", self.key, "RUNNING", status, **extra)


def _chain(progress: Progress | None, tracker: _Operation | None) -> Progress | None:
    if tracker is None:
        return progress

    def both(done: int, total: int | None) -> None:
        tracker.progress(done, total)
        if progress is not None:
            progress(done, total)

    return both


def new_operation_id() -> str:
    """A fresh bulk-operation id for an export."""
    return f"export-{uuid.uuid4().hex[:20]}"
