"""Options-leg backtest results in the signal backtests' shape (metrics, trades, equity).

``trades``: one row per trade *or refused entry* (``status`` ``"closed"``/``"skipped"``
with the ``reason``), with gross P&L, costs and net P&L in rupees; ``legs``: one row per
leg of each closed trade with its entry/exit fills, P&L and costs; ``fills``: every order
and settlement, costed by :func:`~optionsintel.backtest.costs.cost_breakdown` on its
trade date. Equity is ``capital`` + realised net P&L + open trades marked at their last
fresh prices, sampled at each day's last instant; return metrics are on it (see
:mod:`optionsintel.backtest.results`), trade statistics on the closed trades' net P&L.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from optionsintel.backtest.costs import CostBreakdown, CostModel, cost_breakdown
from optionsintel.backtest.options.chains import ChainPanel
from optionsintel.backtest.options.engine import TradeRecord
from optionsintel.backtest.results import (
    BacktestInputs,
    BacktestResult,
    equity_curves,
    portfolio_metrics,
    trade_statistics,
)
from optionsintel.research import MetricsConfig

__all__ = ["OptionsBacktestResult", "assemble_result"]

TRADE_COLUMNS = (
    "trade_id", "attempt", "status", "reason", "entry_time", "exit_time", "exit_reason",
    "n_legs", "premium", "pnl_gross", "costs", "pnl",
)  # fmt: skip


@dataclass(frozen=True, eq=False)
class OptionsBacktestResult(BacktestResult):
    """A :class:`BacktestResult` plus the per-leg table and the panel's rows read."""

    legs: pd.DataFrame = field(default_factory=pd.DataFrame)
    rows_read: int = 0


def _fills_frame(trades: list[TradeRecord], panel: ChainPanel) -> pd.DataFrame:
    rows = [f for t in trades if t.status == "closed" for f in t.fills]
    cols = ["trade_id", "attempt", "leg", "row", "side", "price", "quantity", "kind", "strike",
            "settlement_price"]  # fmt: skip
    frame = pd.DataFrame(rows, columns=cols)
    stamps = panel.times[frame["row"].to_numpy(np.int64)]
    frame.insert(3, "timestamp", stamps)
    return frame.drop(columns="row")


def _legs_frame(trades: list[TradeRecord], fills: pd.DataFrame, costs: pd.Series) -> pd.DataFrame:
    legs = pd.DataFrame(
        [{"trade_id": t.trade_id, "attempt": t.attempt, **leg} for t in trades for leg in t.legs]
    )
    if legs.empty:
        return legs
    key = ["trade_id", "attempt", "leg"]
    signed = np.where(fills["side"] == "sell", 1.0, -1.0) * fills["price"] * fills["quantity"]
    f = fills.assign(cash=signed, cost=costs)
    opening = f.groupby(key).head(1).set_index(key)
    closing = f.groupby(key).tail(1).set_index(key)
    out = legs.set_index(key)
    out["entry_time"], out["entry_price"] = opening["timestamp"], opening["price"]
    out["exit_time"], out["exit_price"] = closing["timestamp"], closing["price"]
    out["exit_kind"] = closing["kind"]
    out["pnl_gross"] = f.groupby(key)["cash"].sum()
    out["costs"] = f.groupby(key)["cost"].sum()
    out["pnl"] = out["pnl_gross"] - out["costs"]
    return out.reset_index()


def _trades_frame(trades: list[TradeRecord], panel: ChainPanel, legs: pd.DataFrame):
    base = pd.DataFrame(
        [{"trade_id": t.trade_id, "attempt": t.attempt, "status": t.status, "reason": t.reason,
          "entry_time": panel.times[t.entry_row],
          "exit_time": panel.times[t.exit_row] if t.exit_row >= 0 else pd.NaT,
          "exit_reason": t.exit_reason, "n_legs": len(t.legs)} for t in trades]
    )  # fmt: skip
    if base.empty:
        return pd.DataFrame(columns=list(TRADE_COLUMNS))
    if legs.empty:
        return base.assign(premium=np.nan, pnl_gross=np.nan, costs=np.nan, pnl=np.nan).loc[
            :, list(TRADE_COLUMNS)
        ]
    else:
        prem = np.where(legs["side"] == "sell", 1.0, -1.0) * legs["entry_price"] * legs["quantity"]
        sums = legs.assign(premium=prem).groupby(["trade_id", "attempt"])[
            ["premium", "pnl_gross", "costs", "pnl"]].sum()  # fmt: skip
    out = base.join(sums, on=["trade_id", "attempt"])
    return out.loc[:, list(TRADE_COLUMNS)]


def _equity(trades: list[TradeRecord], panel: ChainPanel, net: pd.Series, capital: float):
    n = len(panel.times)
    level, step = np.zeros(n), np.zeros(n + 1)
    for t in trades:
        if t.status != "closed":
            continue
        final = float(net.loc[(t.trade_id, t.attempt)])
        level[t.path_rows[:-1]] += t.path_pnl[:-1]
        step[t.exit_row] += final
    value = capital + level + np.cumsum(step)[:n]
    series = pd.Series(value, index=panel.times, name="equity")
    return series.groupby(panel.day).last().rename_axis("date")


def assemble_result(
    trades: list[TradeRecord], panel: ChainPanel, inputs: BacktestInputs, costs: CostModel,
    capital: float, config: MetricsConfig | None = None
) -> OptionsBacktestResult:  # fmt: skip
    """Costs, per-leg and per-trade tables, equity, metrics of simulated trades."""
    fills = _fills_frame(trades, panel)
    # an assigned short pays no STT and no charges: costed as the writer's side of an exercise
    costed = fills.assign(kind=fills["kind"].replace({"assignment": "exercise"}))
    breakdown: CostBreakdown | None = cost_breakdown(costed, costs) if len(fills) else None
    fill_costs = breakdown.per_fill["total"] if breakdown else pd.Series(dtype=float)
    legs = _legs_frame(trades, fills, fill_costs)
    table = _trades_frame(trades, panel, legs)
    closed = table[table["status"] == "closed"]
    net = closed.set_index(["trade_id", "attempt"])["pnl"]
    equity = _equity(trades, panel, net, capital)
    equity.index = pd.DatetimeIndex(equity.index)
    returns, dd = equity_curves(equity, capital)
    metrics, _ = portfolio_metrics(returns, config or MetricsConfig())
    stats = trade_statistics(closed["pnl"].to_numpy(float))
    extra = {"n_skipped": float((table["status"] == "skipped").sum()),
             "total_pnl": float(closed["pnl"].sum()),
             "total_costs": float(closed["costs"].sum())}  # fmt: skip
    return OptionsBacktestResult(
        inputs=inputs, metrics=pd.concat([metrics, pd.Series({**stats, **extra})]),
        trades=table, fills=fills, costs=breakdown, equity=equity, returns=returns,
        drawdown=dd, legs=legs, rows_read=panel.rows_read,
    )  # fmt: skip
