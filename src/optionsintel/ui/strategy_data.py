"""What the strategy builder reads and writes, as plain callables bound to a store.

Chains are read *as of* an instant from one named provider (never mixed); saving goes to
the user's insert-only strategy records; the backtest runs the options-leg backtester over
the same provider's stored chains and stores the run (``backtest_runs``, kind options).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from optionsintel.backtest.options import OptionsBacktestResult, OptionsStrategySpec
from optionsintel.services import options_backtests as ob
from optionsintel.store import Store, reads

__all__ = ["StrategySource", "strategy_source"]


@dataclass(frozen=True)
class StrategySource:
    """Callables the builder gets injected (tests pass their own)."""

    underlyings: Callable[[], list[str]]
    providers: Callable[[str], list[str]]
    instants: Callable[[str, str], list[pd.Timestamp]]
    chain: Callable[[str, str, pd.Timestamp], pd.DataFrame]
    save: Callable[..., Any]
    backtest: Callable[[OptionsStrategySpec, str, dt.date, dt.date], OptionsBacktestResult]
    store_run: Callable[..., Any]


def strategy_source(store: Store, user: str = "analyst") -> StrategySource:
    """A :class:`StrategySource` on ``store``."""

    def underlyings() -> list[str]:
        return [str(u) for u in store.distinct("option_chain_snapshots", "underlying")]

    def providers(underlying: str) -> list[str]:
        return reads.list_providers(store, "option_chain_snapshots", underlying)

    def instants(underlying: str, provider: str) -> list[pd.Timestamp]:
        where = {"underlying": underlying, "provider": provider}
        found = store.distinct("option_chain_snapshots", "snapshot_ts", where)
        return [pd.Timestamp(x) for x in found[::-1][:500]]

    def chain(underlying: str, provider: str, at: pd.Timestamp) -> pd.DataFrame:
        return reads.read_chain_as_of(store, underlying, at, provider=provider)

    def save(name: str, underlying: str, legs: list[dict[str, Any]], rules: dict[str, Any]):
        return ob.save_strategy(store, user, name, underlying=underlying, legs=legs, rules=rules)

    def backtest(spec: OptionsStrategySpec, provider: str, start: dt.date, end: dt.date):
        return ob.run_stored_options_backtest(store, spec, provider=provider, start=start,
                                              end=end)  # fmt: skip

    def store_run(result: OptionsBacktestResult, pin: str | None = None):
        return ob.store_options_run(store, result, user=user, strategy_pin=pin)

    return StrategySource(underlyings, providers, instants, chain, save, backtest, store_run)
