"""A backtest's result: metrics, trades, costs, equity and drawdown, benchmark comparison.

Conventions
-----------
Return metrics come from :func:`optionsintel.research.compute_all_metrics` on the daily
returns of the portfolio's equity (so a report and a backtest agree on every
definition): 252 periods a year by default, an *annual* risk-free rate converted
geometrically per period (0 by default), Sharpe on excess returns with the sample
standard deviation, Sortino on downside deviation below the required return, Calmar =
annualised return / |max drawdown|, drawdown duration in bars from peak to recovery (or
the last bar). The first bar's return is measured from the initial cash.

Trade statistics are over closed trades (vectorbt's exit trades, costs included):
win rate = share of trades with P&L > 0; average win / loss = mean P&L of winners /
losers (rupees); profit factor = gross profit / |gross loss|; expectancy = mean P&L per
trade; exposure = share of bars with any open position.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from optionsintel.backtest.costs import CostBreakdown
from optionsintel.research import MetricsConfig, compute_all_metrics

# `drawdown` is also the name of its submodule: once that module is imported the package
# attribute is the module, so the lazy package name cannot be trusted; import it directly.
from optionsintel.research.drawdown import drawdown

__all__ = ["BacktestInputs", "BacktestResult", "portfolio_metrics", "trade_statistics"]

RETURN_METRICS = (
    "total_return", "annual_return", "annual_volatility", "sharpe_ratio", "sortino_ratio",
    "calmar_ratio", "max_drawdown", "drawdown_duration_periods",
)  # fmt: skip
TRADE_METRICS = (
    "n_trades", "win_rate", "average_win", "average_loss", "profit_factor", "expectancy",
)  # fmt: skip


@dataclass(frozen=True)
class BacktestInputs:
    """Everything needed to reproduce a run (stored with it later, insert-only).

    ``coverage`` is the share of bars with a price, per symbol; ``settings`` holds the
    direction, exits, sizing, execution, cash and portfolio mode as plain values.
    """

    signal_source: str
    universe: tuple[str, ...]
    start: dt.datetime
    end: dt.datetime
    cost_table_version: str | None
    provider: str | None
    coverage: Mapping[str, float] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """A finished backtest: one value per metric, the trade list, costs and curves."""

    inputs: BacktestInputs
    metrics: pd.Series
    trades: pd.DataFrame
    fills: pd.DataFrame
    costs: CostBreakdown | None
    equity: pd.Series
    returns: pd.Series
    drawdown: pd.Series
    benchmark: pd.DataFrame | None = None

    def summary(self) -> pd.DataFrame:
        """Metrics as a one-column table (for printing)."""
        return self.metrics.to_frame("value")


def trade_statistics(pnl: np.ndarray) -> dict[str, float]:
    """Win rate, average win/loss, profit factor and expectancy of closed trades' P&L."""
    pnl = np.asarray(pnl, dtype=float)
    n = len(pnl)
    wins, losses = pnl[pnl > 0], pnl[pnl < 0]
    gross_loss = -losses.sum()
    return {
        "n_trades": float(n),
        "win_rate": len(wins) / n if n else np.nan,
        "average_win": wins.mean() if len(wins) else np.nan,
        "average_loss": losses.mean() if len(losses) else np.nan,
        "profit_factor": wins.sum() / gross_loss if gross_loss > 0 else np.nan,
        "expectancy": pnl.mean() if n else np.nan,
    }


def portfolio_metrics(
    returns: pd.Series, config: MetricsConfig, benchmark: pd.Series | None = None
) -> tuple[pd.Series, pd.DataFrame | None]:
    """Return metrics of the strategy (and, side by side, of the benchmark)."""
    table = compute_all_metrics(returns.rename("strategy"), benchmark, config)
    metrics = table.iloc[0][list(RETURN_METRICS)].astype(float)
    if benchmark is None:
        return metrics, None
    own = compute_all_metrics(benchmark.rename("benchmark"), None, config).iloc[0]
    rel = table.iloc[0][["alpha", "beta", "r_squared", "up_capture", "down_capture"]]
    comparison = pd.DataFrame(
        {
            "strategy": table.iloc[0][list(RETURN_METRICS)],
            "benchmark": own[list(RETURN_METRICS)],
        }
    )
    return metrics, pd.concat([comparison, rel.to_frame("strategy")]).astype(float)


def equity_curves(value: pd.Series, init_cash: float) -> tuple[pd.Series, pd.Series]:
    """Daily returns (the first from the initial cash) and the underwater curve."""
    prev = value.shift(1)
    prev.iloc[0] = init_cash
    returns = (value / prev - 1.0).rename("returns")
    return returns, drawdown(returns).rename("drawdown")
