"""One call for the strategy builder's cards: breakevens, P&L range, POP, EV, greeks, margin."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from optionsintel.strategies.breakevens import Breakevens, ProfitRange, breakevens, profit_range
from optionsintel.strategies.greeks import strategy_greeks
from optionsintel.strategies.legs import Strategy
from optionsintel.strategies.margin import MarginEstimate, margin_estimate
from optionsintel.strategies.probability import (
    ProbabilityOfProfit,
    expected_value,
    probability_of_profit,
    sigma_levels,
)

__all__ = ["StrategyAnalysis", "analyse_strategy"]


@dataclass(frozen=True)
class StrategyAnalysis:
    """Everything the strategy builder shows beside the payoff chart.

    ``expected_value`` is in rupees at the front expiry (undiscounted) under the same
    lognormal law as ``pop``; ``sigma_levels`` maps ``k`` to the price ``k`` standard
    deviations out; ``greeks`` has one row per leg and a ``net`` row.
    """

    breakevens: Breakevens
    profit_range: ProfitRange
    pop: ProbabilityOfProfit
    expected_value: float
    sigma_levels: dict[float, float]
    greeks: pd.DataFrame
    margin: MarginEstimate


def analyse_strategy(strategy: Strategy, volatility: float | None = None) -> StrategyAnalysis:
    """Analyse ``strategy`` at its market's valuation instant.

    Parameters
    ----------
    strategy
        The strategy.
    volatility
        Volatility (decimal) of the expiry distribution for POP, EV and sigma levels;
        default the front expiry's ATM IV (``strategy.market.atm_ivs``).

    Returns
    -------
    StrategyAnalysis

    Raises
    ------
    StrategyError
        No volatility given and no ATM IV known for the front expiry.
    """
    be = breakevens(strategy)
    return StrategyAnalysis(
        breakevens=be,
        profit_range=profit_range(strategy),
        pop=probability_of_profit(strategy, volatility, be),
        expected_value=expected_value(strategy, volatility),
        sigma_levels=sigma_levels(strategy, volatility),
        greeks=strategy_greeks(strategy),
        margin=margin_estimate(strategy),
    )
