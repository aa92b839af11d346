"""Long jobs for the API: scans and backtests as bulk operations of the caller.

A job is started by recording its ``bulk_operations`` row (requested by the caller) and
is then run in a worker thread by the same use cases the CLI and notebooks run
(:func:`optionsintel.services.scans.run_scan`,
:func:`optionsintel.services.backtests.run_stored`); the record is the truth about the
job (state, progress, per-item errors, summary) whichever process asks. A caller sees,
cancels and reads only the operations they requested; pattern pins must be their own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from optionsintel.auth import TIER_QUOTAS, Permission
from optionsintel.errors import (
    BulkOperationError,
    InputError,
    QuotaExceededError,
    RecordNotFoundError,
    ScanSpecError,
    StoreError,
)
from optionsintel.scans import scan_spec
from optionsintel.services import backtests, bulk, pattern_access, scans
from optionsintel.services.audit import record
from optionsintel.services.identity import Identity, authorise
from optionsintel.services.quotas import exchange_day, next_reset
from optionsintel.store import Now
from optionsintel.store.patterns import parse_pin

if TYPE_CHECKING:
    from optionsintel.store import Store
    from optionsintel.store.api import Writer

log = logging.getLogger(__name__)
BACKTEST_KIND = "backtest"


def _spawn(target: Callable[..., None], *args: Any, background: bool) -> None:
    if background:
        threading.Thread(target=target, args=args, daemon=True, name=f"job-{args[1]}").start()
    else:
        target(*args)


def owned_operation(store: Store, identity: Identity, operation_id: str) -> bulk.BulkStatus:
    """The caller's operation (someone else's, or none, is "not found")."""
    try:
        op = bulk.read_operation(store, operation_id)
    except BulkOperationError:
        op = None
    if op is None or op.requested_by != identity.username:
        raise RecordNotFoundError(f"you have no operation {operation_id!r}")
    return op


def list_own(
    store: Store, identity: Identity, *, kind: str | None = None, limit: int = 100,
    offset: int = 0,
) -> list[bulk.BulkStatus]:  # fmt: skip
    """A page of the caller's operations, newest first."""
    return bulk.list_operations(store, kind=kind, limit=limit, offset=offset,
                                requested_by=identity.username)  # fmt: skip


def item_errors(store: Store, identity: Identity, operation_id: str) -> list[bulk.ItemError]:
    """The failed items of the caller's operation."""
    owned_operation(store, identity, operation_id)
    return bulk.operation_errors(store, operation_id)


def cancel(store: Store, identity: Identity, operation_id: str) -> bulk.BulkStatus:
    """Cancel the caller's PENDING or RUNNING operation (it stops between batches); audited."""
    owned_operation(store, identity, operation_id)
    with store.transaction() as writer:
        moved = writer.transition("bulk_operations", operation_id, ("PENDING", "RUNNING"),
                                  "CANCELLED", finished_at=Now())  # fmt: skip
        if moved:
            record(writer, identity.actor, "operation.cancel", operation_id,
                   source=identity.source)  # fmt: skip
    return bulk.read_operation(store, operation_id)


def _audited(identity: Identity, action: str, **details: Any) -> Callable[[Writer, str], None]:
    """The audit record of a start, written in the transaction that records the operation."""

    def write(writer: Writer, operation_id: str) -> None:
        record(writer, identity.actor, action, operation_id, source=identity.source,
               details=details)  # fmt: skip

    return write


def _own_pins(store: Store, identity: Identity, pins: Sequence[str]) -> None:
    for pin in pins:
        pattern_access.owned_pattern(store, identity, parse_pin(pin)[0])


def _own_watchlist(identity: Identity, universe: Any) -> None:
    """A scan reads only the caller's own watchlists; another's answers like a missing one.

    Without this check ``watchlist:<someone>/<name>`` scanned another user's list (its size
    in the operation, its symbols in the results, its existence in 202 against 422).
    """
    if universe.kind != "watchlist":
        return
    owner, _, name = (universe.name or "").partition("/")
    if owner != identity.username:
        raise ScanSpecError(f"no watchlist {name!r} of {owner!r}")


def _fail(store: Store, operation_id: str, exc: Exception) -> None:
    log.warning("operation %s failed: %s", operation_id, exc)
    err = bulk.ItemError.from_exception("*", exc)
    try:
        store.transition("bulk_operations", operation_id, ("PENDING", "RUNNING"), "FAILED",
                         summary={"error": err.error, "message": err.message},
                         finished_at=Now())  # fmt: skip
    except StoreError as gone:
        log.error("operation %s could not record its failure: %s", operation_id, gone)


# -- scans ----------------------------------------------------------------------------------


def start_scan(
    store: Store,
    identity: Identity,
    fields: Mapping[str, Any],
    *,
    name: str = "api",
    background: bool = True,
) -> str:
    """Validate and freeze a scan (its operation record), then run it; the operation id.

    Raises
    ------
    ScanSpecError
        A malformed spec, unknown universe or provider (nothing is recorded).
    PatternNotFoundError
        A pin of a pattern the caller does not own.
    """
    authorise(identity, Permission.OWN_PATTERNS)
    spec = scan_spec(**dict(fields))
    _own_pins(store, identity, spec.patterns)
    _own_watchlist(identity, spec.universe)
    op_id = bulk.new_operation_id(scans.SCAN_KIND)
    audit = _audited(identity, "scan.start", universe=str(fields.get("universe")))
    scans.prepare_scan(store, spec, operation_id=op_id, name=name, requested_by=identity.username,
                       on_record=audit)  # fmt: skip
    _spawn(_run_scan, store, op_id, spec, name, identity.username, background=background)
    return op_id


def _run_scan(store: Store, op_id: str, spec: Any, name: str, user: str) -> None:
    try:
        scans.run_scan(store, spec, operation_id=op_id, name=name, requested_by=user)
    except Exception as exc:  # recorded on the operation: the job's truth
        _fail(store, op_id, exc)


def scan_results(store: Store, identity: Identity, operation_id: str) -> pd.DataFrame:
    """The ranked matches of the caller's scan (what is stored so far)."""
    op = owned_operation(store, identity, operation_id)
    if op.kind != scans.SCAN_KIND:
        raise RecordNotFoundError(f"operation {operation_id!r} is not a scan")
    return scans.read_scan_results(store, operation_id)


# -- backtests ------------------------------------------------------------------------------


def _check_daily_backtests(store: Store, identity: Identity) -> None:
    allowed = TIER_QUOTAS[identity.tier].backtests_per_day
    if allowed is None:
        return
    today = exchange_day()
    used = sum(1 for op in list_own(store, identity, kind=BACKTEST_KIND, limit=10_000)
               if op.created_at is not None and exchange_day(op.created_at) == today)  # fmt: skip
    if used >= allowed:
        reset = next_reset()
        raise QuotaExceededError(
            f"the {identity.tier.value} tier allows {allowed} backtests a day; "
            f"they reset at {reset.isoformat()}",
            limit="backtests_per_day", tier=identity.tier.value, allowed=allowed,
            used=used, resets_at=reset, retryable=True,
        )  # fmt: skip


def _source(source: Mapping[str, Any]) -> backtests.PatternSource | backtests.SignalSource:
    kind = source.get("type")
    if kind == "pattern":
        return backtests.PatternSource(str(source["entry"]), source.get("exit"))
    if kind == "signal":
        return backtests.SignalSource(str(source["signal_type"]),
                                      float(source.get("min_confidence") or 0.0),
                                      source.get("exit_signal_type"))  # fmt: skip
    raise InputError("a backtest source is {'type': 'pattern', ...} or {'type': 'signal', ...}")


def start_backtest(
    store: Store,
    identity: Identity,
    *,
    source: Mapping[str, Any],
    symbols: Sequence[str],
    provider: str,
    start: Any = None,
    end: Any = None,
    settings: Mapping[str, Any] | None = None,
    benchmark: str | None = None,
    name: str | None = None,
    background: bool = True,
) -> str:
    """Validate a backtest, record it as a one-item operation and run it; the operation id.

    Raises
    ------
    QuotaExceededError
        The tier's backtests of the day are used up (429 with the reset instant).
    BacktestError, InvalidArgumentError
        Bad settings or source (nothing is recorded).
    """
    authorise(identity, Permission.OWN_STRATEGIES)
    src = _source(source)
    _own_pins(store, identity, src.pins)
    parsed = backtests.settings_from_plain(dict(settings or {}))
    _check_daily_backtests(store, identity)
    params = {"source": src.describe(), "symbols": list(symbols), "provider": provider,
              "start": None if start is None else str(start),
              "end": None if end is None else str(end), "settings": dict(settings or {}),
              "benchmark": benchmark, "name": name}  # fmt: skip
    op = bulk.BulkOperation.start(store, BACKTEST_KIND, ["run"], params=params,
                                  requested_by=identity.username,
                                  on_record=_audited(identity, "backtest.start",
                                                     provider=provider))  # fmt: skip
    job = dict(source=src, symbols=list(symbols), provider=provider, start=start, end=end,
               settings=parsed, benchmark=benchmark, user=identity.username, name=name)  # fmt: skip
    _spawn(_run_backtest, store, op.operation_id, op, job, background=background)
    return op.operation_id


def _run_backtest(store: Store, op_id: str, op: bulk.BulkOperation, job: dict[str, Any]) -> None:
    try:
        try:
            run = backtests.run_stored(store, **job)
        except Exception as exc:  # the run's failure is the operation's item error
            op.record(bulk.BatchOutcome(failed=[bulk.ItemError.from_exception("run", exc)]))
            op.finish()
            return
        op.record(bulk.BatchOutcome(done=["run"]))
        keep = ("total_return", "sharpe_ratio", "n_trades")
        op.finish({"run_id": run.run_id, **{k: run.result.metrics.get(k) for k in keep}})
    except (StoreError, BulkOperationError) as exc:  # the record itself is gone or unwritable
        log.error("backtest %s could not record its outcome: %s", op_id, exc)


def backtest_run(store: Store, identity: Identity, run_id: str) -> Any:
    """A stored run of the caller (whole: inputs, metrics, trades, equity)."""
    authorise(identity, Permission.OWN_STRATEGIES)
    try:
        run = backtests.read_run(store, run_id)
    except RecordNotFoundError:
        run = None
    if run is None or run.record.created_by != identity.username:
        raise RecordNotFoundError(f"you have no backtest run {run_id!r}")
    return run


def list_backtest_runs(store: Store, identity: Identity, *, limit: int = 100) -> pd.DataFrame:
    """The caller's stored runs, newest first, with headline metrics."""
    authorise(identity, Permission.OWN_STRATEGIES)
    return backtests.list_runs(store, user=identity.username, limit=limit)
