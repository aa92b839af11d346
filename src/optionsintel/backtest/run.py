"""``run_backtest``: signals in, a :class:`BacktestResult` out."""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
import pandas as pd

from optionsintel.backtest.costs import CostModel, trade_dates
from optionsintel.backtest.results import (
    BacktestInputs,
    BacktestResult,
    equity_curves,
    portfolio_metrics,
    trade_statistics,
)
from optionsintel.backtest.simulation import Simulation, order_cost_breakdown, simulate
from optionsintel.backtest.spec import BacktestSettings, Bars, Engine, ExitRules
from optionsintel.research import MetricsConfig

__all__ = ["exposure", "run_backtest", "trades_frame", "warm_up"]


_DIRECTIONS = pd.Index(["long", "short"])  # vectorbt's TradeDirection: 0 long, 1 short


def trades_frame(sim: Simulation, index: pd.Index, columns: pd.Index) -> pd.DataFrame:
    """Vectorbt's exit trades as a readable frame (P&L and return after costs)."""
    rec = sim.portfolio.exit_trades.values
    closed = rec["status"] == 1
    exit_ts = pd.Series(index[rec["exit_idx"]]).where(closed)
    return pd.DataFrame(
        {
            "symbol": columns[rec["col"]],
            "direction": _DIRECTIONS.take(rec["direction"]),
            "entry_time": index[rec["entry_idx"]],
            "exit_time": exit_ts.to_numpy(),
            "quantity": rec["size"],
            "entry_price": rec["entry_price"],
            "exit_price": rec["exit_price"],
            "costs": rec["entry_fees"] + rec["exit_fees"],
            "pnl": rec["pnl"],
            "return": rec["return"],
            "closed": closed,
        }
    )


def _equity(sim: Simulation) -> pd.Series:
    value = sim.portfolio.value()
    if isinstance(value, pd.DataFrame):
        value = value.sum(axis=1)
    return value.rename("equity")


def exposure(trade_records: np.ndarray, n_bars: int) -> float:
    """Share of bars that end with any position open.

    A trade holds from the end of its entry bar until its exit order (bars ``entry_idx``
    to ``exit_idx - 1``; an open trade to the last bar). Counted from the trade records
    with a difference array instead of materialising the bars x symbols asset frame.
    """
    if n_bars == 0:
        return float("nan")
    closed = trade_records["status"] == 1
    end = np.where(closed, trade_records["exit_idx"], n_bars)
    diff = np.zeros(n_bars + 1)
    np.add.at(diff, trade_records["entry_idx"], 1.0)
    np.add.at(diff, end, -1.0)
    return float((np.cumsum(diff[:-1]) > 0).mean())


@numba.njit(cache=True)
def _prices_per_column_nb(close):  # type: ignore[no-untyped-def]
    out = np.zeros(close.shape[1], np.int64)
    for j in range(close.shape[1]):
        for i in range(close.shape[0]):
            if not np.isnan(close[i, j]):
                out[j] += 1
    return out


def _coverage(close: pd.DataFrame) -> dict[str, float]:
    # count / bars, as DataFrame.notna().mean() (an exact count, one division) without
    # the bars x symbols boolean frame
    share = _prices_per_column_nb(close.to_numpy(float, na_value=np.nan)) / len(close)
    return dict(zip(map(str, close.columns), share.tolist(), strict=True))


def run_backtest(
    bars: Bars,
    entries: pd.DataFrame | pd.Series,
    exits: pd.DataFrame | pd.Series | None = None,
    settings: BacktestSettings | None = None,
    *,
    benchmark: pd.Series | None = None,
    metrics_config: MetricsConfig | None = None,
    signal_source: str = "code",
    provider: str | None = None,
    **overrides: Any,
) -> BacktestResult:
    """Backtest boolean entry/exit frames and report metrics, trades and costs.

    Parameters
    ----------
    bars, entries, exits, settings, overrides
        As for :func:`optionsintel.backtest.simulation.simulate`.
    benchmark
        Per-bar simple returns (e.g. NIFTY's) for the comparison table.
    metrics_config
        Annualisation and risk-free rate (default: the settings' ``periods_per_year``, 0).
    signal_source
        A description recorded in the inputs: pattern version, signal name, "code".
    provider
        The data's provider, recorded in the inputs.

    Returns
    -------
    BacktestResult
        Metrics (see :mod:`optionsintel.backtest.results` for every definition),
        trades, fills, cost breakdown, equity, returns, drawdown and benchmark table.
    """
    cfg = BacktestSettings.resolve(settings, overrides)
    metrics_cfg = metrics_config or MetricsConfig(periods_per_year=cfg.periods_per_year)
    sim = simulate(bars, entries, exits, cfg)
    close = bars.close
    start_cash = cfg.init_cash if cfg.portfolio == "shared" else cfg.init_cash * close.shape[1]
    equity = _equity(sim)
    returns, underwater = equity_curves(equity, start_cash)
    bench = None if benchmark is None else benchmark.reindex(close.index)
    metrics, comparison = portfolio_metrics(returns, metrics_cfg, bench)
    trades = trades_frame(sim, close.index, close.columns)
    rec, dates = sim.portfolio.order_records, trade_dates(close.index)
    breakdown = None if cfg.costs is None else order_cost_breakdown(rec, dates, cfg.costs)
    extra = trade_statistics(trades.loc[trades["closed"], "pnl"].to_numpy())
    extra |= {
        "exposure": exposure(sim.portfolio.exit_trades.values, len(close)),
        "costs_paid": float(sim.fills["fees"].sum()),
        "final_equity": float(equity.iloc[-1]),
    }
    inputs = BacktestInputs(
        signal_source=signal_source,
        universe=tuple(map(str, close.columns)),
        start=pd.Timestamp(close.index[0]).to_pydatetime(),
        end=pd.Timestamp(close.index[-1]).to_pydatetime(),
        cost_table_version=None if cfg.costs is None else cfg.costs.table.version,
        provider=provider,
        coverage=_coverage(close),
        settings=cfg.as_plain(),
    )
    return BacktestResult(
        inputs=inputs,
        metrics=pd.concat([metrics, pd.Series(extra)]),
        trades=trades,
        fills=sim.fills,
        costs=breakdown,
        equity=equity,
        returns=returns,
        drawdown=underwater,
        benchmark=comparison,
    )


def warm_up(engine: Engine = "auto") -> float:
    """Import vectorbt and run two tiny backtests so the kernels are loaded; seconds taken.

    With the persistent numba cache (:mod:`optionsintel._numba_cache`) this loads the
    compiled kernels instead of compiling them. numba compiles one version per array
    layout, and a one-symbol frame's arrays are C-contiguous where a wider one's are
    column-major, so both a one-symbol and a two-symbol run are made. An app calls it in
    a background thread when its kernel starts, so the user's first backtest does not
    wait for it.
    """
    import time

    from optionsintel.backtest.costs import Brokerage

    t0 = time.perf_counter()
    idx = pd.bdate_range("2025-01-01", periods=40)
    grid = np.linspace(100.0, 120.0, 40)[:, None] + np.array([[0.0, 5.0]])
    close = pd.DataFrame(grid + np.sin(np.arange(40))[:, None], index=idx, columns=["A", "B"])
    entries = pd.DataFrame(np.arange(80).reshape(40, 2) % 7 == 0, index=idx, columns=["A", "B"])
    costs = CostModel(brokerage=Brokerage("percent_capped"))
    for cols in (["A"], ["A", "B"]):
        c = close[cols].copy()
        bars = Bars(close=c, open=c.shift(1).fillna(c), high=c + 1, low=c - 1)
        ent = entries[cols].copy()
        run_backtest(bars, ent, ent.shift(3, fill_value=False), engine=engine, costs=costs,
                     exit_rules=ExitRules(stop_loss=0.05))  # fmt: skip
    return time.perf_counter() - t0
