"""Exports as background jobs for the API: start (an operation id at once), status, file.

:func:`start` records the export PENDING in ``bulk_operations`` (with who asked, in the
same transaction as the audit record) and runs :func:`optionsintel.services.exports.export_dataset`
(the same function the CLI runs) in a worker thread; that record is the truth about
the job from then on (RUNNING with ``done_items``, SUCCEEDED, FAILED or CANCELLED). The
file lands in ``<home>/exports/<operation id>.<format>``. Only market data sets and the
instrument master are exportable (never account tables).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from optionsintel.auth import Permission
from optionsintel.errors import (
    ExportCancelledError,
    InputError,
    OperationNotReadyError,
    RecordNotFoundError,
)
from optionsintel.services import exports
from optionsintel.services.audit import record
from optionsintel.services.identity import Identity, authorise
from optionsintel.settings import get_settings
from optionsintel.store.reads import MARKET_DATASETS

if TYPE_CHECKING:
    from optionsintel.store import Store

log = logging.getLogger(__name__)
EXPORTABLE: tuple[str, ...] = (*MARKET_DATASETS, "instruments")
FORMATS = ("csv", "jsonl", "parquet", "xlsx", "json")
MEDIA_TYPES = {
    "csv": "text/csv",
    "jsonl": "application/x-ndjson",
    "json": "application/json",
    "parquet": "application/vnd.apache.parquet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def export_dir() -> Path:
    """Where API exports are written (``<home>/exports``)."""
    path = get_settings().home / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def export_path(operation_id: str, fmt: str) -> Path:
    """The file of export ``operation_id``."""
    return export_dir() / f"{operation_id}.{fmt}"


def start(
    store: Store,
    identity: Identity,
    dataset: str,
    *,
    fmt: str,
    provider: str | None,
    subject: list[str] | None = None,
    start: Any = None,
    end: Any = None,
    background: bool = True,
) -> str:
    """Record an export PENDING (audited) and run it in a worker thread; its id.

    Raises
    ------
    InputError
        An unknown or non-exportable data set, or an unknown format.
    """
    authorise(identity, Permission.MARKET_READ)
    if dataset not in EXPORTABLE:
        raise InputError(f"{dataset!r} cannot be exported; exportable: {list(EXPORTABLE)}")
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; formats: {list(FORMATS)}")
    op_id = exports.new_operation_id()
    params = {"dataset": dataset, "provider": provider, "format": fmt, "subject": subject,
              "start": None if start is None else str(start),
              "end": None if end is None else str(end)}  # fmt: skip
    with store.transaction() as writer:
        writer.append("bulk_operations", pd.DataFrame([{
            "operation_id": op_id, "kind": exports.EXPORT_KIND, "status": "PENDING",
            "params": params, "requested_by": identity.username}]))  # fmt: skip
        record(writer, identity.actor, "export.start", op_id, source=identity.source,
               details={"dataset": dataset, "provider": provider, "format": fmt})  # fmt: skip
    job = (store, op_id, dataset, fmt, provider, subject, start, end)
    if background:
        threading.Thread(target=_run, args=job, name=f"export-{op_id}", daemon=True).start()
    else:
        _run(*job)
    return op_id


def _run(store: Store, op_id: str, dataset: str, fmt: str, provider: str | None,
         subject: list[str] | None, start: Any, end: Any) -> None:  # fmt: skip
    path = export_path(op_id, fmt)
    try:
        exports.export_dataset(
            store, dataset, path, fmt,  # type: ignore[arg-type]
            provider=provider, subject=subject, start=start, end=end, operation_id=op_id,
        )  # fmt: skip
    except ExportCancelledError:
        path.unlink(missing_ok=True)
    except Exception as exc:  # recorded FAILED on the operation by export_dataset
        log.warning("export %s failed: %s", op_id, exc)
        path.unlink(missing_ok=True)
        _fail_if_pending(store, op_id, exc)


def _fail_if_pending(store: Store, op_id: str, exc: Exception) -> None:
    """An export that failed before it started (bad bounds, ...) is FAILED, not PENDING."""
    store.transition("bulk_operations", {"operation_id": op_id}, "PENDING", "FAILED",
                     item_errors={"error": str(exc)[:500]})  # fmt: skip


def status(store: Store, identity: Identity, operation_id: str) -> dict[str, Any]:
    """The caller's export ``operation_id``: state, progress, parameters, error.

    Raises
    ------
    RecordNotFoundError
        No export of that id requested by the caller.
    """
    authorise(identity, Permission.MARKET_READ)
    rows = store.read("bulk_operations", where={"operation_id": operation_id,
                      "kind": exports.EXPORT_KIND, "requested_by": identity.username})  # fmt: skip
    if rows.empty:
        raise RecordNotFoundError(f"you have no export {operation_id!r}")
    row: dict[str, Any] = rows.iloc[0].to_dict()
    return row


def cancel(store: Store, identity: Identity, operation_id: str) -> dict[str, Any]:
    """Cancel the caller's pending or running export (it stops at its next chunk)."""
    status(store, identity, operation_id)
    with store.transaction() as writer:
        if writer.transition("bulk_operations", {"operation_id": operation_id},
                             ["PENDING", "RUNNING"], "CANCELLED"):  # fmt: skip
            record(writer, identity.actor, "export.cancel", operation_id, source=identity.source)
    return status(store, identity, operation_id)


def download(store: Store, identity: Identity, operation_id: str) -> Path:
    """The finished file of the caller's export.

    Raises
    ------
    OperationNotReadyError
        While the export is not SUCCEEDED (its status says why).
    """
    op = status(store, identity, operation_id)
    if op["status"] != "SUCCEEDED":
        raise OperationNotReadyError(
            f"export {operation_id} is {op['status']}, not ready to download"
        )
    path = export_path(operation_id, str(op["params"].get("format")))
    if not path.exists():
        raise RecordNotFoundError(f"the file of export {operation_id} is gone from the server")
    return path
