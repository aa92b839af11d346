"""Backtests on vectorbt: signals to trades, Indian costs, metrics, sweeps, Monte Carlo.

The only package that imports vectorbt (Apache 2.0 with the Commons Clause): everything
else reaches it through the functions exported here.
"""

from optionsintel.backtest.costs import (
    COMPONENTS,
    Brokerage,
    CostBreakdown,
    CostModel,
    CostTable,
    cost_breakdown,
    load_cost_table,
    order_fee_rates,
)

__all__ = [
    "COMPONENTS",
    "Brokerage",
    "CostBreakdown",
    "CostModel",
    "CostTable",
    "cost_breakdown",
    "load_cost_table",
    "order_fee_rates",
]
