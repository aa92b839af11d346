"""Backtests on vectorbt: signals to trades, Indian costs, metrics, sweeps, Monte Carlo.

The only package that imports vectorbt (Apache 2.0 with the Commons Clause). Names are
loaded on first use, so ``optionsintel.backtest.costs`` (the dated cost tables, also used
by options-leg backtests) never pays vectorbt's import time.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "COMPONENTS": "costs",
    "Brokerage": "costs",
    "CostBreakdown": "costs",
    "CostModel": "costs",
    "CostTable": "costs",
    "cost_breakdown": "costs",
    "load_cost_table": "costs",
    "order_fee_rates": "costs",
    "BacktestSettings": "spec",
    "Bars": "spec",
    "ExitRules": "spec",
    "Sizing": "spec",
    "Simulation": "simulation",
    "simulate": "simulation",
    "BacktestInputs": "results",
    "BacktestResult": "results",
    "run_backtest": "run",
    "warm_up": "run",
    "ParameterSweep": "sweeps",
    "sweep": "sweeps",
    "walk_forward": "walkforward",
    "WalkForwardResult": "walkforward",
    "monte_carlo": "montecarlo",
    "MonteCarloResult": "montecarlo",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'optionsintel.backtest' has no attribute {name!r}")
    return getattr(import_module(f"optionsintel.backtest.{_EXPORTS[name]}"), name)
