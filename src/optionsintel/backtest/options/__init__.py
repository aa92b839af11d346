"""Options-leg backtests on stored chains (the AlgoTest job, on the user's own store).

Pure: chain rows in, trades out. :func:`chain_panel` pivots one provider's stored chains
(end-of-day or intraday snapshots of one underlying) into arrays; :func:`run_options_backtest`
chooses each entry's legs by relative rule (:class:`LegRule`: ATM +/- n strikes, delta,
premium; current/next weekly or monthly expiry as listed that day), fills them
(:class:`Execution`: bid/ask or slippage, stale prices refused), scans exits
(:class:`ExitRule`), settles at expiry, costs every fill by its date
(:mod:`optionsintel.backtest.costs`) and returns an :class:`OptionsBacktestResult`.
No vectorbt: importing this package does not import it. Conventions: docs/strategies.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import lru_cache

import numpy as np
import pandas as pd

from optionsintel.backtest.costs import Brokerage, CostModel, CostTable, load_cost_table
from optionsintel.backtest.options.chains import ChainPanel, chain_panel
from optionsintel.backtest.options.engine import TradeRecord, entry_rows, simulate_trades
from optionsintel.backtest.options.report import OptionsBacktestResult, assemble_result
from optionsintel.backtest.options.select import Refusal, choose_expiry, choose_leg
from optionsintel.backtest.options.spec import (
    EntryRule,
    Execution,
    ExitRule,
    LegRule,
    OptionsStrategySpec,
    spec_settings,
)
from optionsintel.backtest.results import BacktestInputs
from optionsintel.errors import BacktestError

__all__ = [
    "ChainPanel",
    "EntryRule",
    "Execution",
    "ExitRule",
    "LegRule",
    "OptionsBacktestResult",
    "OptionsStrategySpec",
    "Refusal",
    "TradeRecord",
    "chain_panel",
    "choose_expiry",
    "choose_leg",
    "entry_rows",
    "options_cost_model",
    "run_options_backtest",
    "simulate_trades",
    "spec_settings",
]


@lru_cache(maxsize=1)
def _shipped_table() -> CostTable:
    return load_cost_table()


def options_cost_model(
    brokerage: Brokerage | None = None, overrides: Mapping[str, float] | None = None
) -> CostModel:
    """The F&O options cost model on the shipped dated table (Rs 20 flat per order default)."""
    return CostModel(segment="options", brokerage=brokerage or Brokerage(),
                     table=_shipped_table(), overrides=dict(overrides or {}))  # fmt: skip


def _signal_array(panel: ChainPanel, signal: pd.Series | None) -> np.ndarray | None:
    if signal is None:
        return None
    idx = pd.DatetimeIndex(signal.index)
    if idx.tz is None:
        raise BacktestError("exit signal index must be timezone-aware instants")
    aligned = signal.astype(bool).reindex(panel.times.union(idx.tz_convert("UTC")))
    return aligned.ffill().fillna(False).reindex(panel.times).to_numpy(bool)


def run_options_backtest(
    panel: ChainPanel,
    spec: OptionsStrategySpec,
    execution: Execution | None = None,
    costs: CostModel | None = None,
    *,
    capital: float = 1_000_000.0,
    exit_signal: pd.Series | None = None,
    settlement: Mapping[dt.date, float] | None = None,
) -> OptionsBacktestResult:
    """Backtest an options strategy over stored chains.

    Parameters
    ----------
    panel
        :func:`chain_panel` of one underlying and provider (its ``underlying`` must be the
        spec's).
    spec, execution, costs
        The strategy; fills (default: bid/ask when stored, no slippage, 5-minute
        staleness); the cost model (default :func:`options_cost_model`).
    capital
        Rupees the equity curve starts from (returns are relative to it).
    exit_signal
        Boolean series on aware instants for ``ExitRule(on_signal=True)`` (a signal or a
        pattern match; held until the next value).
    settlement
        Final settlement price per expiry; default: the underlying price of the expiry
        day's last stored snapshot (the close for end-of-day chains).

    Returns
    -------
    OptionsBacktestResult

    Raises
    ------
    BacktestError
        The panel is of another underlying, or a fill is dated outside the cost table.
    """
    if panel.underlying != spec.underlying:
        raise BacktestError(
            f"the chains are {panel.underlying}'s; the strategy trades {spec.underlying}"
        )
    execution = execution or Execution()
    model = costs or options_cost_model()
    trades = simulate_trades(panel, spec, execution, exit_signal=_signal_array(panel, exit_signal),
                             settlement=settlement)  # fmt: skip
    inputs = BacktestInputs(
        signal_source=f"options:{spec.name}", universe=(spec.underlying,),
        start=panel.times[0].to_pydatetime(), end=panel.times[-1].to_pydatetime(),
        cost_table_version=model.table.version, provider=panel.provider,
        settings={**spec_settings(spec, execution), "capital": capital, "chain_kind": panel.kind,
                  "price_field": panel.price_field},
    )  # fmt: skip
    return assemble_result(trades, panel, inputs, model, capital)
