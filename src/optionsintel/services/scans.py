"""Scan use cases: prepare, evaluate in batches, store, read back, reproduce.

A scan run is a bulk operation of kind ``scan`` (:mod:`optionsintel.services.bulk`) whose
items are the symbols of the resolved universe. :func:`prepare_scan` freezes everything
the run depends on into the operation's params (:class:`ScanPlan`): the spec, the
provider, the pinned pattern versions with their content hashes, the resolved universe,
the effective instant ``as_of`` and ``known_at`` (rows ingested later are ignored), the
bar index and the scan bar. Any process can then evaluate any batch of symbols with
:func:`run_scan_batch` (the Dagster job fans these out) and :func:`finish_scan` closes
the run; :func:`run_scan` does all three in process, reading the panel once.

Matches are stored in ``scan_results`` (kind ``scan``, one row per matching symbol,
``metrics`` holding the sortable values and the explanation); symbols without a bar at
the scan bar, unknown symbols and failed batches are item errors of the operation.

>>> run = run_scan(store, scan_spec(universe="fno", detectors=["CALL_BUILDUP:0.7"]),
...                provider="synthetic")                              # doctest: +SKIP
>>> read_scan_results(store, run.run_id)                              # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from optionsintel.errors import BulkOperationError, RuleDataError, ScanSpecError
from optionsintel.rules import IndicatorCache, Rule
from optionsintel.scans import (
    CompiledScan,
    ScanSpec,
    compile_scan,
    evaluate_scan,
    rank_results,
)
from optionsintel.services import alert_runs, bulk
from optionsintel.services.bulk import BatchOutcome, BulkStatus, ItemError, Progress
from optionsintel.services.pattern_panel import bar_cutoff, build_panel, history_days
from optionsintel.services.patterns import load_pinned
from optionsintel.services.universe import resolve_universe
from optionsintel.store import Store
from optionsintel.store import scans as repo
from optionsintel.store.api import Writer
from optionsintel.tz import EXCHANGE_TZ

SCAN_KIND = "scan"
DEFAULT_BATCH = 500
_BAR_PROBE_DAYS = 15
_METRICS = ["bar", "close", "change_pct", "volume", "volume_ratio", "rsi_14", "max_confidence",
            "anomaly", "criteria_matched", "matched_criteria", "explanation"]  # fmt: skip


@dataclass(frozen=True)
class ScanPlan:
    """Everything a scan run depends on, frozen at preparation (stored as its params)."""

    run_id: str
    name: str
    spec: dict[str, Any]
    provider: str
    as_of: str
    read_as_of: str
    """The instant the panel is read at: ``as_of``, or the end of the newest stored bar's
    day when that is earlier (daily history lags the clock)."""
    known_at: str
    at: str
    bars: list[str]
    symbols: list[str]
    unknown: list[str]
    pins: dict[str, str]

    @property
    def scan_spec(self) -> ScanSpec:
        """The validated spec."""
        return ScanSpec.from_json(self.spec)

    @classmethod
    def from_params(cls, run_id: str, params: Mapping[str, Any]) -> ScanPlan:
        """From a scan operation's stored params."""
        fields = {k: params[k] for k in cls.__dataclass_fields__ if k not in ("run_id",)}
        return cls(run_id=run_id, **fields)


@dataclass(frozen=True)
class ScanRun:
    """A scan run: its plan (metadata) and its operation record (status, summary)."""

    plan: ScanPlan
    status: BulkStatus

    @property
    def run_id(self) -> str:
        """The run id (= the bulk operation id)."""
        return self.plan.run_id


def prepare_scan(
    store: Store,
    spec: ScanSpec | None,
    *,
    operation_id: str | None = None,
    name: str = "adhoc",
    requested_by: str | None = None,
    on_record: Callable[[Writer, str], None] | None = None,
) -> ScanPlan:
    """Resolve and freeze a run (or load the plan of ``operation_id`` to resume it).

    ``spec`` may be None to resume ``operation_id`` with its stored spec; a different
    spec than the stored one is refused. ``on_record`` runs in the transaction that
    records a new run (:meth:`BulkOperation.start`).

    Raises
    ------
    ScanSpecError
        Unknown provider or universe, no bars of the provider up to ``as_of``.
    BulkOperationError
        Resuming with another spec, or no spec and no stored run.
    PatternNotFoundError
        A pin names no stored version.
    """
    if operation_id is not None and repo.read_bulk_operation(store, operation_id) is not None:
        plan = load_plan(store, operation_id)
        if spec is not None and spec.to_json() != plan.spec:
            raise BulkOperationError(f"run {operation_id} was started with another scan spec")
        return plan
    if spec is None and operation_id is not None:
        raise BulkOperationError(f"no stored scan run {operation_id!r} to resume (see `scan list`)")
    if spec is None:
        raise BulkOperationError("a new scan needs its spec (only a stored run resumes without)")
    started = pd.Timestamp.now(tz="UTC")
    as_of = pd.Timestamp(spec.as_of) if spec.as_of is not None else started
    compiled, pins = _compile(store, spec)
    provider = spec.provider or _default_provider(store, spec, as_of)
    universe = resolve_universe(store, spec.universe, provider=provider)
    read_as_of, bars = _bar_index(store, compiled, provider, universe.symbols, as_of)
    run_id = operation_id or bulk.new_operation_id(SCAN_KIND)
    plan = ScanPlan(run_id, name, spec.to_json(), provider, as_of.isoformat(),
                    read_as_of.isoformat(), started.isoformat(), bars[-1], bars,
                    universe.symbols, universe.unknown, pins)  # fmt: skip
    params = {k: v for k, v in asdict(plan).items() if k != "run_id"}
    op = bulk.BulkOperation.start(store, SCAN_KIND, [*universe.symbols, *universe.unknown],
                                  operation_id=run_id, params=params,
                                  requested_by=requested_by, on_record=on_record)  # fmt: skip
    if universe.unknown:
        op.record(BatchOutcome(failed=[ItemError(s, "UNKNOWN_SYMBOL", _unknown_msg(s, spec))
                                       for s in universe.unknown]))  # fmt: skip
    return plan


def load_plan(store: Store, run_id: str) -> ScanPlan:
    """The stored plan of scan run ``run_id``."""
    status = bulk.read_operation(store, run_id)
    if status.kind != SCAN_KIND:
        raise BulkOperationError(f"operation {run_id} is a {status.kind}, not a scan")
    return ScanPlan.from_params(run_id, status.params)


def scan_batch(
    store: Store,
    plan: ScanPlan,
    symbols: Sequence[str],
    *,
    frames: Mapping[str, pd.DataFrame] | None = None,
    compiled: CompiledScan | None = None,
    cache: IndicatorCache | None = None,
    timing: dict[str, float] | None = None,
) -> BatchOutcome:
    """Evaluate ``symbols`` of a prepared run; the outcome writes the matches.

    ``frames`` is a panel already read for (at least) these symbols (:func:`run_scan`
    reads once); None reads this batch's panel from the store (a Dagster step).
    """
    clock = timing if timing is not None else {}
    compiled = compiled or _compile(store, plan.scan_spec, expect=plan.pins)[0]
    batch = [s for s in symbols if s not in set(plan.unknown)]
    t0 = time.perf_counter()
    if frames is None:
        try:
            frames = read_panel(store, plan, compiled, batch)
        except RuleDataError as exc:
            return BatchOutcome(failed=[ItemError(s, "NO_DATA", str(exc)[:300]) for s in batch])
    t1 = time.perf_counter()
    bars = pd.DatetimeIndex(pd.to_datetime(plan.bars))
    rows = evaluate_scan(compiled, frames, symbols=batch, bars=bars, at=bars[-1], cache=cache)
    t2 = time.perf_counter()
    clock["read"] = clock.get("read", 0.0) + t1 - t0
    clock["evaluate"] = clock.get("evaluate", 0.0) + t2 - t1
    ok = rows["status"] == "ok"
    missing = rows.loc[~ok, "symbol"].tolist()
    failed = [ItemError(s, "NO_DATA", f"no {plan.provider} daily bar on {plan.at[:10]}")
              for s in missing]  # fmt: skip
    stored = _result_rows(plan, rows.loc[ok & rows["matched"]])

    def write(writer: Writer) -> None:
        if len(stored):
            writer.write("scan_results", stored)

    info = {"matches": len(stored)}
    return BatchOutcome(done=rows.loc[ok, "symbol"].tolist(), failed=failed, write=write, info=info)


def run_scan_batch(store: Store, run_id: str, symbols: Sequence[str]) -> BulkStatus:
    """Evaluate and record one batch of a prepared run (the Dagster fan-out step).

    Skips symbols already DONE; returns the operation record after the batch.
    """
    plan = load_plan(store, run_id)
    op = bulk.BulkOperation(store, run_id, SCAN_KIND, [*plan.symbols, *plan.unknown])
    pending = set(op.pending())
    todo = [s for s in symbols if s in pending]
    if todo and not op.cancelled():
        try:
            outcome = scan_batch(store, plan, todo)
        except Exception as exc:  # the batch fails, the run goes on
            outcome = BatchOutcome(failed=[ItemError.from_exception(s, exc) for s in todo])
        op.record(outcome)
    return op.status()


def finish_scan(store: Store, run_id: str, *, timing: dict[str, float] | None = None) -> ScanRun:
    """Close a run: final state and summary (matches, errors, timing); then the SCAN alerts.

    The SCAN alert rules watching the scan's name are evaluated on its matches
    (:func:`optionsintel.services.alert_runs.evaluate_scan`).
    """
    plan = load_plan(store, run_id)
    op = bulk.BulkOperation(store, run_id, SCAN_KIND, [*plan.symbols, *plan.unknown])
    matches = len(repo.read_scan_rows(store, run_id))
    summary = {"matches": matches, "universe": len(plan.symbols), "unknown": len(plan.unknown),
               "provider": plan.provider, "at": plan.at,
               **{f"{k}_seconds": round(v, 3) for k, v in (timing or {}).items()}}  # fmt: skip
    status = op.finish(summary)
    # SCAN alert rules watching this scan: keyed on the scan bar, so a re-run notifies once
    hits = repo.read_scan_rows(store, run_id)["symbol"] if matches else []
    alert_runs.evaluate_scan(store, plan.name, plan.at, hits, plan.symbols)
    return ScanRun(plan, status)


def run_scan(
    store: Store,
    spec: ScanSpec | None,
    *,
    operation_id: str | None = None,
    name: str = "adhoc",
    batch_size: int = DEFAULT_BATCH,
    progress: Progress | None = None,
    requested_by: str | None = None,
) -> ScanRun:
    """Run a scan in process: prepare, read the panel once, evaluate in batches, store.

    Parameters
    ----------
    store
        The store.
    spec
        The scan (:func:`optionsintel.scans.scan_spec`); None to resume ``operation_id``.
    operation_id
        Run id; an existing one is resumed (its DONE symbols are skipped).
    name
        Stored with the results (a saved scan's name).
    batch_size
        Symbols per batch: progress and cancellation are observed between batches.
    progress
        Called with the operation record after each batch.
    requested_by
        Who asked (recorded).

    Returns
    -------
    ScanRun
        The plan (metadata) and the final record (``status.summary``: matches, timing).
    """
    plan = prepare_scan(store, spec, operation_id=operation_id, name=name,
                        requested_by=requested_by)  # fmt: skip
    compiled = _compile(store, plan.scan_spec, expect=plan.pins)[0]
    op = bulk.BulkOperation.start(store, SCAN_KIND, None, operation_id=plan.run_id)
    pending = [s for s in op.pending() if s not in set(plan.unknown)]
    timing: dict[str, float] = {}
    t0 = time.perf_counter()
    try:
        frames = read_panel(store, plan, compiled, pending) if pending else {}
    except RuleDataError as exc:
        op.record(BatchOutcome(failed=[ItemError(s, "NO_DATA", str(exc)[:300]) for s in pending]))
        return finish_scan(store, plan.run_id)
    timing["read"] = time.perf_counter() - t0
    cache = IndicatorCache()

    def work(batch: list[str]) -> BatchOutcome:
        return scan_batch(store, plan, batch, frames=frames, compiled=compiled, cache=cache,
                          timing=timing)  # fmt: skip

    t1 = time.perf_counter()
    bulk.run_batches(store, SCAN_KIND, None, work, batch_size=batch_size,
                     operation_id=plan.run_id, progress=progress, finish=False)  # fmt: skip
    timing["total_batches"] = time.perf_counter() - t1
    run = finish_scan(store, plan.run_id, timing=timing)
    return run


def read_panel(
    store: Store, plan: ScanPlan, compiled: CompiledScan, symbols: Sequence[str]
) -> dict[str, pd.DataFrame]:
    """The point-in-time panel of ``symbols`` for a run (one provider, ``known_at``)."""
    data = build_panel(
        store,
        compiled.panel_plan,
        provider=plan.provider,
        symbols=list(symbols),
        as_of=plan.read_as_of,
        known_at=plan.known_at,
        flag_anomalies=True,
    )
    return {n: data.panel.frame(n) for n in data.panel.names()}


def read_scan_results(store: Store, run_id: str) -> pd.DataFrame:
    """The matches of a run, ranked (``rank`` 1 = best), metrics as columns."""
    rows = repo.read_scan_rows(store, run_id)
    cols = ["symbol", "score", "matched", *_METRICS]
    if rows.empty:
        return pd.DataFrame(columns=["rank", *cols, "provider"])
    metrics = pd.DataFrame(list(rows["metrics"]), index=rows.index).reindex(columns=_METRICS)
    out = pd.concat([rows[["symbol", "score"]], rows["passed"].rename("matched"), metrics], axis=1)
    ranked = rank_results(out)
    ranked["provider"] = rows["provider"].iloc[0]
    return ranked


def read_scan_run(store: Store, run_id: str) -> ScanRun:
    """Plan (metadata) and current record of a run."""
    return ScanRun(load_plan(store, run_id), bulk.read_operation(store, run_id))


def list_scan_runs(store: Store, *, limit: int = 20) -> list[BulkStatus]:
    """Scan runs, newest first."""
    return bulk.list_operations(store, kind=SCAN_KIND, limit=limit)


def reproduce_scan(store: Store, run_id: str) -> pd.DataFrame:
    """Re-evaluate a stored run from its plan (same versions, instant, ``known_at``).

    Returns the ranked matches as :func:`read_scan_results` would show them; equal to the
    stored ones unless stored data published before the run's instant was corrected.
    """
    plan = load_plan(store, run_id)
    compiled = _compile(store, plan.scan_spec, expect=plan.pins)[0]
    frames = read_panel(store, plan, compiled, plan.symbols)
    bars = pd.DatetimeIndex(pd.to_datetime(plan.bars))
    res = evaluate_scan(compiled, frames, symbols=plan.symbols, bars=bars, at=bars[-1])
    return rank_results(res.loc[(res["status"] == "ok") & res["matched"]])


# -- helpers -----------------------------------------------------------------------------


def _compile(
    store: Store, spec: ScanSpec, *, expect: Mapping[str, str] | None = None
) -> tuple[CompiledScan, dict[str, str]]:
    rules: dict[str, Rule] = {}
    pins: dict[str, str] = {}
    for pin in spec.patterns:
        version, rule = load_pinned(store, pin)
        if expect is not None and expect.get(pin) != version.content_hash:
            raise ScanSpecError(f"pattern {pin} changed since the run was prepared")
        rules[pin], pins[pin] = rule, version.content_hash
    return compile_scan(spec, rules), pins


def _default_provider(store: Store, spec: ScanSpec, as_of: pd.Timestamp) -> str:
    """The provider with daily bars for the most symbols in the days before the newest bar."""
    end = bar_cutoff(as_of)
    probe = list(spec.universe.symbols) or None
    where = {"symbol": probe} if probe else None
    newest = store.read("daily_ohlc", where=where, end=end, columns=["trade_date"],
                        order_by=["-trade_date"], limit=1)  # fmt: skip
    if newest.empty:
        raise ScanSpecError("no daily bars of any provider before the scan instant; load history")
    last = pd.Timestamp(newest["trade_date"].iloc[0]).date()
    rows = store.read("daily_ohlc", where=where, start=last - dt.timedelta(days=_BAR_PROBE_DAYS),
                      end=last, columns=["symbol", "provider"])  # fmt: skip
    counts = rows.drop_duplicates().groupby("provider").size()
    best = counts[counts == counts.max()].index
    return str(sorted(best)[0])


def _bar_index(
    store: Store, compiled: CompiledScan, provider: str, symbols: list[str], as_of: pd.Timestamp
) -> tuple[pd.Timestamp, list[str]]:
    """(read instant, bar dates): every trade date of the universe in the history window.

    The window ends at the newest bar of the universe published by ``as_of``.
    """
    cutoff = bar_cutoff(as_of)
    newest = store.read("daily_ohlc", where={"provider": provider, "symbol": symbols},
                        end=cutoff, columns=["trade_date"], order_by=["-trade_date"],
                        limit=1)  # fmt: skip
    if newest.empty:
        raise ScanSpecError(
            f"no {provider} daily bars for this universe up to {as_of:%Y-%m-%d %H:%M %Z}; "
            "pick another provider (--provider) or load daily history"
        )
    end = pd.Timestamp(newest["trade_date"].iloc[0]).date()
    day_end = pd.Timestamp(dt.datetime.combine(end, dt.time(23, 59, 59)), tz=EXCHANGE_TZ)
    read_as_of = min(as_of, day_end.tz_convert("UTC"))
    start = end - dt.timedelta(days=history_days(compiled.panel_plan))
    days = repo.read_trade_dates(store, provider=provider, symbols=symbols, start=start, end=end)
    return read_as_of, [pd.Timestamp(d).strftime("%Y-%m-%d") for d in days]


def _result_rows(plan: ScanPlan, rows: pd.DataFrame) -> pd.DataFrame:
    if rows.empty:
        return pd.DataFrame(columns=["run_id", "kind", "name", "symbol"])
    metrics = rows[_METRICS].assign(bar=rows["bar"].astype(str))
    return pd.DataFrame({
        "run_id": plan.run_id, "kind": SCAN_KIND, "name": plan.name[:80],
        "symbol": rows["symbol"].to_numpy(), "as_of": pd.Timestamp(plan.as_of),
        "score": rows["score"].to_numpy(), "passed": True,
        "metrics": metrics.to_dict("records"), "params": [{"pins": plan.pins}] * len(rows),
        "provider": plan.provider,
    })  # fmt: skip


def _unknown_msg(symbol: str, spec: ScanSpec) -> str:
    return f"{symbol} is not a known instrument (universe {spec.universe.text[:60]})"
