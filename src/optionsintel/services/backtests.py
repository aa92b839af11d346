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
    from optionsintel.backtest.sweep import ParameterSweep

Progress = Callable[[float, str], None]

__all__ = [
    "BacktestRun",
    "CodeSource",
    "PatternSource",
    "RunComparison",
    "SignalSource",
    "compare_runs",
    "list_runs",
    "read_run",
    "record_of",
    "run_stored",
    "store_record",
    "sweep_stored",
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


def sweep_stored(
    store: Store,
    source: Source,
    grid: Mapping[str, Sequence[Any]],
    *,
    symbols: Sequence[str],
    provider: Provider,
    start: Any = None,
    end: Any = None,
    settings: BacktestSettings | None = None,
    metric: str = "sharpe_ratio",
    maximize: bool = True,
    user: str = "system",
    name: str | None = None,
    save: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[ParameterSweep, BacktestRun]:
    """Sweep exit/sizing parameters of ``source`` and store the best combination's run.

    The stored best run carries the whole sweep table and the number of combinations
    tried in ``extra["sweep"]``, so the overfitting yardstick travels with the result.

    Returns
    -------
    (ParameterSweep, BacktestRun)
        The sweep (table, best, heatmap) and the best combination's run.
    """
    from dataclasses import replace

    from optionsintel.backtest.run import run_backtest
    from optionsintel.backtest.sweep import split_params, sweep

    bars = load_bars(store, symbols, provider=provider, start=start, end=end)
    entries, exits = source_signals(store, source, bars, provider=provider)
    base = settings or BacktestSettings()
    result = sweep(bars, grid, entries, exits, settings=base, metric=metric,
                   maximize=maximize, progress=progress)  # fmt: skip
    row = result.best.name
    params = {k: _plain(result.table[k].loc[row]) for k in result.parameters}
    cfg, _ = split_params(params, base, False)
    best = run_backtest(bars, entries, exits, replace(cfg), provider=provider,
                        signal_source=str(source.describe()))  # fmt: skip
    extra = {
        "sweep": {
            "metric": metric,
            "maximize": maximize,
            "grid": {k: list(v) for k, v in grid.items()},
            "combinations_tried": result.n_combinations,
            "best": params,
            "table": result.table.to_dict(orient="list"),
        }
    }
    stored = None
    if save:
        rec = record_of(best, source=source, user=user, name=name, extra=extra)
        stored = store_record(store, rec)
    return result, BacktestRun(best, stored)


def _plain(value: Any) -> Any:
    item = getattr(value, "item", None)
    if callable(item):
        value = item()
    return value
