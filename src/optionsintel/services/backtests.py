"""Backtest use cases on the stored data: run, store, read, list, compare, sweep.

>>> from optionsintel.services import backtests as bt
>>> run = bt.run_stored(store, bt.PatternSource("rsi_dip@3"), symbols=["INFY", "TCS"],
...                     provider="synthetic", start="2022-01-01", user="alice")  # doctest: +SKIP
>>> run.run_id, run.result.metrics["sharpe_ratio"]                          # doctest: +SKIP
>>> bt.compare_runs(store, run.run_id, other_id).metrics                    # doctest: +SKIP

Every run is stored insert-only in ``backtest_runs`` (:mod:`optionsintel.store.backtests`)
with its inputs: the pattern versions it pinned, the signal or code description, the
universe, period, provider, cost-table version, per-symbol data coverage and every
setting, next to its metrics, cost breakdown, trades, equity/drawdown curves and
benchmark table. Options-leg strategy backtests store the same shape with ``kind=
"options"`` through :func:`store_record`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from optionsintel._typing import Provider
from optionsintel.backtest.spec import BacktestSettings
from optionsintel.services.backtest_inputs import (
    CodeSource,
    PatternSource,
    SignalSource,
    Source,
    load_bars,
    parse_grid,
    settings_from_plain,
    source_signals,
)
from optionsintel.store import Store
from optionsintel.store.backtests import (
    BacktestRunRecord,
    StoredBacktestRun,
    append_backtest_run,
    list_backtest_runs,
    read_backtest_run,
)

if TYPE_CHECKING:  # vectorbt is imported on the first run, not with this module
    from optionsintel.backtest.results import BacktestResult
    from optionsintel.backtest.walkforward import WalkForwardResult
    from optionsintel.services.backtest_sweeps import SweepRun

Progress = Callable[[float, str], None]

__all__ = [
    "BacktestRun",
    "CodeSource",
    "PatternSource",
    "RunComparison",
    "SignalSource",
    "SweepRun",
    "compare_runs",
    "export_run",
    "list_runs",
    "parse_grid",
    "read_run",
    "record_of",
    "run_stored",
    "settings_from_plain",
    "store_record",
    "sweep_stored",
    "walk_forward_stored",
]

COMPARED_METRICS = (
    "total_return", "annual_return", "annual_volatility", "sharpe_ratio", "sortino_ratio",
    "calmar_ratio", "max_drawdown", "drawdown_duration_periods", "n_trades", "win_rate",
    "average_win", "average_loss", "profit_factor", "expectancy", "exposure", "costs_paid",
    "final_equity",
)  # fmt: skip


@dataclass(frozen=True, eq=False)
class BacktestRun:
    """A finished run: the in-memory result and its stored row (None when not saved)."""

    result: BacktestResult
    stored: StoredBacktestRun | None

    @property
    def run_id(self) -> str | None:
        """The stored run's id."""
        return None if self.stored is None else self.stored.run_id


def _software_version() -> str:
    from optionsintel import __version__

    return str(__version__)[:40]


def record_of(
    result: BacktestResult,
    *,
    source: Source,
    user: str,
    name: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> BacktestRunRecord:
    """The stored form of a signal backtest's result."""
    inputs = result.inputs
    equity = pd.DataFrame(
        {"equity": result.equity, "returns": result.returns, "drawdown": result.drawdown}
    )
    costs = {} if result.costs is None else dict(result.costs.totals)
    return BacktestRunRecord(
        kind="signal",
        created_by=user,
        name=name,
        source=source.describe(),
        pattern_versions=source.pins,
        universe=inputs.universe,
        period_start=inputs.start,
        period_end=inputs.end,
        provider=inputs.provider or "unknown",
        cost_table_version=inputs.cost_table_version,
        coverage=dict(inputs.coverage),
        settings=dict(inputs.settings),
        metrics=result.metrics.to_dict(),
        costs=costs,
        trades=result.trades,
        equity=equity,
        benchmark=result.benchmark,
        extra=dict(extra or {}),
        software_version=_software_version(),
    )


def store_record(store: Store, record: BacktestRunRecord) -> StoredBacktestRun:
    """Store any run record (signal or options kind); insert-only."""
    return append_backtest_run(store, record)


def _benchmark_returns(
    store: Store, symbol: str | None, provider: Provider, index: pd.Index
) -> pd.Series | None:
    if symbol is None:
        return None
    bars = load_bars(store, [symbol], provider=provider, start=index[0], end=index[-1])
    return bars.close[symbol].reindex(index).pct_change().fillna(0.0).rename(symbol)


def run_stored(
    store: Store,
    source: Source,
    *,
    symbols: Sequence[str],
    provider: Provider,
    start: Any = None,
    end: Any = None,
    settings: BacktestSettings | None = None,
    benchmark: str | None = None,
    user: str = "system",
    name: str | None = None,
    save: bool = True,
    progress: Progress | None = None,
) -> BacktestRun:
    """Backtest ``source`` on ``symbols``' daily bars of ``provider`` and store the run.

    Parameters
    ----------
    store
        The store.
    source
        :class:`PatternSource`, :class:`SignalSource` or :class:`CodeSource`.
    symbols, provider, start, end
        The universe, the one provider of every row read, and the period (inclusive
        dates; None: all stored bars).
    settings
        Direction, exits, sizing, costs, cash, portfolio mode, execution.
    benchmark
        A symbol whose daily returns (same provider) are the benchmark.
    user, name
        Who ran it, and an optional label.
    save
        Store the run (default); False only computes it.
    progress
        Called with (fraction done, what is happening).

    Returns
    -------
    BacktestRun

    Raises
    ------
    BacktestError
        No bars, misaligned frames, or no entry at all in the period.
    """
    from optionsintel.backtest.run import run_backtest

    say = progress or (lambda _f, _m: None)
    say(0.05, f"daily bars of {len(symbols)} symbols ({provider})")
    bars = load_bars(store, symbols, provider=provider, start=start, end=end)
    say(0.25, "signals")
    entries, exits = source_signals(store, source, bars, provider=provider)
    say(0.5, "simulating")
    bench = _benchmark_returns(store, benchmark, provider, bars.close.index)
    description = ", ".join(f"{k}={v}" for k, v in source.describe().items() if v is not None)
    result = run_backtest(
        bars, entries, exits, settings, benchmark=bench,
        signal_source=description, provider=provider,
    )  # fmt: skip
    stored = None
    if save:
        say(0.9, "storing the run")
        stored = store_record(store, record_of(result, source=source, user=user, name=name))
    say(1.0, f"{int(result.metrics['n_trades'])} trades")
    return BacktestRun(result, stored)


def read_run(store: Store, run_id: str) -> StoredBacktestRun:
    """A stored run, whole (see :func:`optionsintel.store.backtests.read_backtest_run`)."""
    return read_backtest_run(store, run_id)


def list_runs(
    store: Store, *, kind: str | None = None, user: str | None = None, limit: int = 50
) -> pd.DataFrame:
    """Stored runs, newest first, with their headline metrics as columns."""
    runs = list_backtest_runs(store, kind=kind, created_by=user, limit=limit)  # type: ignore[arg-type]
    metrics = pd.DataFrame(list(runs["metrics"]), index=runs.index)
    keep = [m for m in ("total_return", "sharpe_ratio", "max_drawdown", "n_trades") if m in metrics]
    return pd.concat([runs.drop(columns=["metrics"]), metrics[keep]], axis=1)


@dataclass(frozen=True, eq=False)
class RunComparison:
    """Two stored runs side by side: metrics, differing inputs and both equity curves."""

    a: StoredBacktestRun
    b: StoredBacktestRun
    metrics: pd.DataFrame
    inputs: pd.DataFrame
    equity: pd.DataFrame


def _inputs_of(run: StoredBacktestRun) -> dict[str, Any]:
    r = run.record
    out: dict[str, Any] = {
        "kind": r.kind,
        "source": r.source,
        "universe": list(r.universe),
        "period": f"{r.period_start:%Y-%m-%d} .. {r.period_end:%Y-%m-%d}",
        "provider": r.provider,
        "cost_table_version": r.cost_table_version,
    }
    out |= {f"settings.{k}": v for k, v in r.settings.items()}
    return out


def compare_runs(store: Store, a: str, b: str) -> RunComparison:
    """Compare stored runs ``a`` and ``b``: metrics (with b - a), inputs that differ, equity."""
    ra, rb = read_run(store, a), read_run(store, b)
    ma, mb = pd.Series(ra.record.metrics, dtype=float), pd.Series(rb.record.metrics, dtype=float)
    names = [m for m in COMPARED_METRICS if m in ma.index or m in mb.index]
    metrics = pd.DataFrame({a: ma.reindex(names), b: mb.reindex(names)})
    metrics["difference"] = metrics[b] - metrics[a]
    ia, ib = _inputs_of(ra), _inputs_of(rb)
    keys = list(dict.fromkeys([*ia, *ib]))
    differ = [k for k in keys if ia.get(k) != ib.get(k)]
    inputs = pd.DataFrame(
        {a: [str(ia.get(k)) for k in differ], b: [str(ib.get(k)) for k in differ]}, index=differ
    )
    equity = pd.concat(
        {a: ra.record.equity["equity"], b: rb.record.equity["equity"]}, axis=1
    ).sort_index()
    return RunComparison(ra, rb, metrics, inputs, equity)


def sweep_stored(*args: Any, **kwargs: Any) -> SweepRun:
    """Sweep as a bulk operation (:func:`optionsintel.services.backtest_sweeps.sweep_stored`)."""
    from optionsintel.services.backtest_sweeps import sweep_stored as run

    return run(*args, **kwargs)


def walk_forward_stored(*args: Any, **kwargs: Any) -> WalkForwardResult:
    """Walk-forward on stored data (``backtest_sweeps.walk_forward_stored``)."""
    from optionsintel.services.backtest_sweeps import walk_forward_stored as run

    return run(*args, **kwargs)


def export_run(store: Store, run_id: str, path: str | Path) -> Path:
    """Write a stored run to an .xlsx workbook (inputs, metrics, costs, trades, equity).

    The workbook carries the exchange's provenance record (dataset ``backtest_runs``, the
    run's provider, its last bar as ``as_of``, the run id as the query).
    """
    from optionsintel.exchange.export import export_workbook
    from optionsintel.exchange.provenance import Provenance

    stored = read_run(store, run_id)
    rec = stored.record
    inputs = pd.DataFrame(
        [(k, str(v)) for k, v in _inputs_of(stored).items()], columns=["input", "value"]
    )
    frames = {
        "inputs": inputs,
        "metrics": pd.Series(rec.metrics, dtype=float)
        .rename_axis("metric")
        .reset_index(name="value"),
        "costs": pd.Series(rec.costs, dtype=float)
        .rename_axis("component")
        .reset_index(name="rupees"),
        "trades": rec.trades.reset_index(drop=True),
        "equity": rec.equity.rename_axis("bar").reset_index(),
    }
    prov = Provenance("backtest_runs", provider=rec.provider,
                      as_of=pd.Timestamp(rec.period_end).isoformat(),
                      query={"run_id": rec.run_id, "kind": rec.kind})  # fmt: skip
    target = Path(path)
    export_workbook(frames, target, provenance=prov)
    return target
