"""Options strategies: legs, templates and the builder's analytics (pure domain).

Build legs from a chain as of an instant (:func:`leg_quote`, :func:`chain_quotes`,
:func:`market_from_chain`) or from a model (:func:`model_quotes`), or from a template
(:func:`iron_condor`, :func:`calendar_spread`...) with :func:`build_strategy`. Then:

- :func:`payoff_at`, :func:`payoff_at_expiry`, :func:`leg_payoffs` over a :func:`price_grid`
  (Black-76 on each expiry's forward, each leg at its own IV, T+n days, IV shifts);
- :func:`breakevens` (exact for piecewise-linear payoffs, Brent's method for calendars),
  :func:`profit_range` (unbounded sides stated);
- :func:`probability_of_profit`, :func:`expected_value`, :func:`sigma_levels` (lognormal,
  risk-neutral, front ATM IV, calendar days / 365);
- :func:`strategy_greeks` (per leg and net), :func:`margin_estimate` (an ESTIMATE);
- :func:`analyse_strategy`: all of it at once.

Conventions: ``docs/strategies.md``.
"""

from optionsintel.strategies.analysis import StrategyAnalysis, analyse_strategy
from optionsintel.strategies.breakevens import (
    Breakevens,
    ProfitRange,
    breakevens,
    profit_range,
    tail_slopes,
)
from optionsintel.strategies.greeks import STRATEGY_GREEKS, strategy_greeks, unit_greeks
from optionsintel.strategies.legs import (
    DEFAULT_RATE,
    Instrument,
    Leg,
    MarketState,
    Side,
    Strategy,
    default_lot_size,
)
from optionsintel.strategies.margin import MarginEstimate, margin_estimate
from optionsintel.strategies.probability import (
    ExpiryDistribution,
    ProbabilityOfProfit,
    expected_value,
    expiry_distribution,
    front_volatility,
    probability_of_profit,
    sigma_levels,
)
from optionsintel.strategies.quotes import (
    LegQuote,
    chain_quotes,
    leg_quote,
    market_from_chain,
    model_quotes,
)
from optionsintel.strategies.templates import (
    LegSpec,
    QuoteSource,
    atm_strike,
    bear_call_spread,
    bear_put_spread,
    build_strategy,
    bull_call_spread,
    bull_put_spread,
    calendar_spread,
    call_butterfly,
    covered_call,
    covered_put,
    diagonal_spread,
    iron_butterfly,
    iron_condor,
    long_straddle,
    long_strangle,
    put_butterfly,
    ratio_spread,
    reverse,
    short_straddle,
    short_strangle,
)
from optionsintel.strategies.valuation import (
    leg_payoffs,
    leg_values,
    payoff_at,
    payoff_at_expiry,
    position_value,
    price_grid,
)

__all__ = [
    "DEFAULT_RATE",
    "STRATEGY_GREEKS",
    "Breakevens",
    "ExpiryDistribution",
    "Instrument",
    "Leg",
    "LegQuote",
    "LegSpec",
    "MarginEstimate",
    "MarketState",
    "ProbabilityOfProfit",
    "ProfitRange",
    "QuoteSource",
    "Side",
    "Strategy",
    "StrategyAnalysis",
    "analyse_strategy",
    "atm_strike",
    "bear_call_spread",
    "bear_put_spread",
    "breakevens",
    "build_strategy",
    "bull_call_spread",
    "bull_put_spread",
    "calendar_spread",
    "call_butterfly",
    "chain_quotes",
    "covered_call",
    "covered_put",
    "default_lot_size",
    "diagonal_spread",
    "expected_value",
    "expiry_distribution",
    "front_volatility",
    "iron_butterfly",
    "iron_condor",
    "leg_payoffs",
    "leg_quote",
    "leg_values",
    "long_straddle",
    "long_strangle",
    "margin_estimate",
    "market_from_chain",
    "model_quotes",
    "payoff_at",
    "payoff_at_expiry",
    "position_value",
    "price_grid",
    "probability_of_profit",
    "profit_range",
    "put_butterfly",
    "ratio_spread",
    "reverse",
    "short_straddle",
    "short_strangle",
    "sigma_levels",
    "strategy_greeks",
    "tail_slopes",
    "unit_greeks",
]
