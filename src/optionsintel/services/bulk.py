"""One bulk-operation model for every long job (scan, metrics, export, watchlist, sweep).

A bulk operation is a ``bulk_operations`` record (kind, status, done/total, params, final
summary) plus one ``bulk_operation_items`` record per finished item (DONE, or FAILED with
the error class and message). States move only by compare-and-set
(:meth:`Store.transition`)::

    PENDING -> RUNNING -> SUCCEEDED | PARTIAL | FAILED | CANCELLED
    PARTIAL | FAILED | CANCELLED | RUNNING (a dead worker) -> RUNNING   (resume)

* **Partial failure never loses what succeeded**: each batch's item records are written
  in the same transaction as the batch's results (``BatchOutcome.write``), and a batch
  that raises fails only its own items.
* **Resume skips what is done**: starting an operation id that exists picks up its
  stored items and runs only those not DONE (FAILED ones are retried).
* **Cancellation** is a transition to CANCELLED by anyone (``cancel_operation``); the
  runner observes it between batches (its next counter update loses the compare-and-set)
  and stops, keeping every batch already recorded.

>>> status = run_batches(store, "metrics", symbols, work, batch_size=250)  # doctest: +SKIP
>>> status.status, status.done, status.failed                              # doctest: +SKIP
('PARTIAL', 998, 2)
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from optionsintel.errors import BulkOperationError
from optionsintel.store import Now, Store
from optionsintel.store import scans as repo
from optionsintel.store.api import Writer

TERMINAL = frozenset({"SUCCEEDED", "PARTIAL", "FAILED", "CANCELLED"})
RESUMABLE = ("PENDING", "RUNNING", "PARTIAL", "FAILED", "CANCELLED")
_KIND_RE = re.compile(r"^[a-z][a-z0-9_\-]{0,31}$")
_MAX_ITEM = 80
_MAX_MESSAGE = 500


@dataclass(frozen=True)
class ItemError:
    """One item that failed: the item (symbol...), error class and a one-line message."""

    item: str
    error: str
    message: str

    @classmethod
    def from_exception(cls, item: str, exc: BaseException) -> ItemError:
        """The record of ``item`` failed by ``exc`` (first line of its message)."""
        text = (str(exc).strip().splitlines() or [""])[0]
        return cls(item, type(exc).__name__, text[:_MAX_MESSAGE])


@dataclass(frozen=True)
class BatchOutcome:
    """What one batch did: the items done, the items failed, and its writes.

    ``write`` (if given) is called with the :class:`Writer` of the transaction that also
    records the items, so results and progress commit together or not at all.
    """

    done: Sequence[str] = ()
    failed: Sequence[ItemError] = ()
    write: Callable[[Writer], None] | None = None
    info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BulkStatus:
    """A snapshot of a bulk operation's record."""

    operation_id: str
    kind: str
    status: str
    total: int
    done: int
    failed: int
    params: dict[str, Any]
    summary: dict[str, Any]
    requested_by: str | None
    created_at: pd.Timestamp | None
    updated_at: pd.Timestamp | None
    finished_at: pd.Timestamp | None

    @property
    def finished(self) -> bool:
        """True once the operation reached a final state."""
        return self.status in TERMINAL

    @property
    def fraction(self) -> float:
        """Items finished (done or failed) / total, 0-1 (1 for an empty operation)."""
        return 1.0 if not self.total else (self.done + self.failed) / self.total

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> BulkStatus:
        """From a ``bulk_operations`` row."""

        def ts(v: Any) -> pd.Timestamp | None:
            return None if v is None or pd.isna(v) else pd.Timestamp(v)

        return cls(
            str(row["operation_id"]), str(row["kind"]), str(row["status"]),
            int(row["total_items"]), int(row["done_items"]), int(row["failed_items"]),
            dict(row.get("params") or {}), dict(row.get("summary") or {}),
            row.get("requested_by"), ts(row.get("created_at")), ts(row.get("updated_at")),
            ts(row.get("finished_at")),
        )  # fmt: skip


Progress = Callable[[BulkStatus], None]
Work = Callable[[list[str]], BatchOutcome]


def new_operation_id(kind: str) -> str:
    """A fresh operation id, ``<kind>-<20 hex>``."""
    return f"{kind}-{uuid.uuid4().hex[:20]}"


def read_operation(store: Store, operation_id: str) -> BulkStatus:
    """The current record of ``operation_id``.

    Raises
    ------
    BulkOperationError
        When no operation has this id.
    """
    row = repo.read_bulk_operation(store, operation_id)
    if row is None:
        raise BulkOperationError(
            f"no bulk operation {operation_id!r} (see `optionsintel bulk status`)"
        )
    return BulkStatus.from_row(row)


def list_operations(
    store: Store,
    *,
    kind: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
    requested_by: str | None = None,
) -> list[BulkStatus]:
    """Operations, newest first (of one requester when given)."""
    rows = repo.list_bulk_operations(store, kind=kind, status=status, limit=limit,
                                     offset=offset, requested_by=requested_by)  # fmt: skip
    return [BulkStatus.from_row(r) for r in rows.to_dict("records")]


def operation_errors(store: Store, operation_id: str) -> list[ItemError]:
    """The FAILED items of an operation (item, error, message), by item."""
    rows = repo.read_operation_items(store, operation_id, status="FAILED")
    return [
        ItemError(str(r.item), str(r.error or ""), str(r.message or "")) for r in rows.itertuples()
    ]


def cancel_operation(store: Store, operation_id: str) -> bool:
    """Ask a PENDING or RUNNING operation to stop; False when it had already finished.

    The runner stops between batches; every batch recorded before stays recorded.
    """
    read_operation(store, operation_id)  # a clear error for an unknown id
    return store.transition(
        "bulk_operations", operation_id, ("PENDING", "RUNNING"), "CANCELLED", finished_at=Now()
    )


class BulkOperation:
    """A running bulk operation: pending items, recording batches, finishing.

    Use :meth:`start` (creates or resumes), then :meth:`record` per batch and
    :meth:`finish`; :func:`run_batches` does all of it around a work function.
    """

    def __init__(self, store: Store, operation_id: str, kind: str, items: list[str]) -> None:
        self.store, self.operation_id, self.kind, self.items = store, operation_id, kind, items
        self.started = time.perf_counter()

    @classmethod
    def start(
        cls,
        store: Store,
        kind: str,
        items: Sequence[str] | None,
        *,
        operation_id: str | None = None,
        params: dict[str, Any] | None = None,
        requested_by: str | None = None,
        on_record: Callable[[Writer, str], None] | None = None,
    ) -> BulkOperation:
        """Create operation ``operation_id`` (fresh id when None) or resume it.

        Parameters
        ----------
        items
            The items, unique (order kept); None to resume with the stored items.
        params
            Stored with the record (what the operation is; the items are added).
        on_record
            Called with the writer and the id in the transaction that records a new
            operation (e.g. its audit record; raising records nothing).

        Raises
        ------
        BulkOperationError
            Bad kind or items, resuming an operation of another kind or items, or
            one that succeeded already.
        """
        if not _KIND_RE.match(kind or ""):
            raise BulkOperationError(f"bulk operation kind {kind!r} is not a lower-case name")
        op_id = operation_id or new_operation_id(kind)
        row = repo.read_bulk_operation(store, op_id)
        if row is None:
            listed = _check_items(items)
            record = {"operation_id": op_id, "kind": kind, "status": "PENDING",
                      "total_items": len(listed), "params": {**(params or {}), "items": listed},
                      "requested_by": requested_by}  # fmt: skip
            with store.transaction() as writer:
                writer.append("bulk_operations", pd.DataFrame([record]))
                writer.transition("bulk_operations", op_id, "PENDING", "RUNNING")
                if on_record is not None:
                    on_record(writer, op_id)
            return cls(store, op_id, kind, listed)
        return cls._resume(store, row, kind, items)

    @classmethod
    def _resume(
        cls, store: Store, row: dict[str, Any], kind: str, items: Sequence[str] | None
    ) -> BulkOperation:
        op_id, stored = row["operation_id"], list((row.get("params") or {}).get("items") or [])
        if row["kind"] != kind:
            raise BulkOperationError(f"operation {op_id} is a {row['kind']}, not a {kind}")
        if items is not None and _check_items(items) != stored:
            raise BulkOperationError(f"operation {op_id} was started with other items")
        if row["status"] == "SUCCEEDED":
            raise BulkOperationError(f"operation {op_id} already succeeded; nothing to resume")
        if not store.transition(
            "bulk_operations", op_id, RESUMABLE, "RUNNING", finished_at=None
        ):  # pragma: no cover - a concurrent finisher won
            raise BulkOperationError(f"operation {op_id} changed state; try again")
        return cls(store, op_id, kind, stored)

    def pending(self) -> list[str]:
        """Items not yet DONE (FAILED ones are retried), in the stored order."""
        done = set(repo.read_operation_items(self.store, self.operation_id, status="DONE")["item"])
        return [i for i in self.items if i not in done]

    def record(self, outcome: BatchOutcome) -> bool:
        """Record a batch (its writes, item records, counters) in one transaction.

        Returns
        -------
        bool
            False when the operation was cancelled meanwhile (the batch is kept).
        """
        now = pd.Timestamp.now(tz="UTC")
        rows = [
            {
                "operation_id": self.operation_id,
                "item": str(i)[:_MAX_ITEM],
                "status": "DONE",
                "error": None,
                "message": None,
                "updated_at": now,
            }
            for i in outcome.done
        ]
        rows += [{"operation_id": self.operation_id, "item": e.item[:_MAX_ITEM], "status": "FAILED",
                  "error": e.error[:64], "message": e.message[:_MAX_MESSAGE], "updated_at": now}
                 for e in outcome.failed]  # fmt: skip
        with self.store.transaction() as writer:
            if outcome.write is not None:
                outcome.write(writer)
            if rows:
                writer.write("bulk_operation_items", pd.DataFrame(rows))
            done, failed = repo.count_operation_items(writer, self.operation_id)
            key = self.operation_id
            running = writer.transition("bulk_operations", key, "RUNNING", "RUNNING",
                                        done_items=done, failed_items=failed)  # fmt: skip
            if not running:
                writer.transition("bulk_operations", key, "CANCELLED", "CANCELLED",
                                  done_items=done, failed_items=failed)  # fmt: skip
        return running

    def status(self) -> BulkStatus:
        """The current record."""
        return read_operation(self.store, self.operation_id)

    def cancelled(self) -> bool:
        """True once someone cancelled the operation."""
        return self.status().status == "CANCELLED"

    def finish(self, summary: dict[str, Any] | None = None) -> BulkStatus:
        """Move to SUCCEEDED, PARTIAL or FAILED from the item counts (CANCELLED stays)."""
        now = self.status()
        final = {**(summary or {}), "seconds": round(time.perf_counter() - self.started, 3)}
        if now.status == "RUNNING":
            pending = now.total - now.done - now.failed
            state = ("SUCCEEDED" if not now.failed and not pending
                     else "FAILED" if not now.done else "PARTIAL")  # fmt: skip
            self.store.transition("bulk_operations", self.operation_id, "RUNNING", state,
                                  summary=final, finished_at=Now())  # fmt: skip
        elif now.status == "CANCELLED":
            self.store.transition("bulk_operations", self.operation_id, "CANCELLED",
                                  "CANCELLED", summary={**final, "cancelled": True})  # fmt: skip
        return self.status()

    def fail(self, exc: BaseException, summary: dict[str, Any] | None = None) -> BulkStatus:
        """Mark the whole operation FAILED (an error outside any batch)."""
        err = ItemError.from_exception("*", exc)
        final = {**(summary or {}), "error": err.error, "message": err.message}
        self.store.transition("bulk_operations", self.operation_id, ("PENDING", "RUNNING"),
                              "FAILED", summary=final, finished_at=Now())  # fmt: skip
        return self.status()


def run_batches(
    store: Store,
    kind: str,
    items: Sequence[str] | None,
    work: Work,
    *,
    batch_size: int = 200,
    operation_id: str | None = None,
    params: dict[str, Any] | None = None,
    requested_by: str | None = None,
    progress: Progress | None = None,
    summary: Callable[[BulkOperation], dict[str, Any]] | None = None,
    finish: bool = True,
) -> BulkStatus:
    """Run ``work`` over the pending items in batches, recording each batch.

    Parameters
    ----------
    work
        Called with a batch of items; returns a :class:`BatchOutcome`. An exception
        fails every item of that batch (error class and message) and the run goes on.
    batch_size
        Items per batch: cancellation is observed, and progress reported, between batches.
    operation_id, params, requested_by
        See :meth:`BulkOperation.start` (an existing id is resumed).
    progress
        Called with the record after the start and after every batch.
    summary
        Builds the final summary from the operation (e.g. match counts).
    finish
        Move the operation to its final state at the end (False: the caller finishes it,
        e.g. after gathering results).

    Returns
    -------
    BulkStatus
        The final record.
    """
    if batch_size < 1:
        raise BulkOperationError("batch size must be at least 1")
    op = BulkOperation.start(store, kind, items, operation_id=operation_id, params=params,
                             requested_by=requested_by)  # fmt: skip
    pending = op.pending()
    if progress:
        progress(op.status())
    for k in range(0, len(pending), batch_size):
        batch = pending[k : k + batch_size]
        try:
            outcome = work(batch)
        except Exception as exc:  # one batch failing is recorded, not fatal
            outcome = BatchOutcome(failed=[ItemError.from_exception(i, exc) for i in batch])
        running = op.record(outcome)
        if progress:
            progress(op.status())
        if not running:
            break
    return op.finish(summary(op) if summary else None) if finish else op.status()


def _check_items(items: Sequence[str] | None) -> list[str]:
    if items is None or isinstance(items, str):
        raise BulkOperationError("a new bulk operation needs its list of items")
    listed = [str(i) for i in items]
    if len(set(listed)) != len(listed):
        raise BulkOperationError("bulk operation items must be unique")
    too_long = [i for i in listed if len(i) > _MAX_ITEM or not i]
    if too_long:
        raise BulkOperationError(f"item {too_long[0][:40]!r} is empty or over {_MAX_ITEM} chars")
    return listed
