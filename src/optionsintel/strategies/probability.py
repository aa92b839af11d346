r"""Probability of profit, expected value and sigma markers at the front expiry.

Conventions (also in ``docs/strategies.md``):

- **Distribution**: the spot at the front expiry's 15:30 IST close is lognormal,
  :math:`\ln S_T \sim N(\ln F - \sigma^2 T/2,\ \sigma^2 T)`.
- **Drift**: risk-neutral; the mean of :math:`S_T` is the front expiry's forward ``F``
  (the market's forward, else ``spot exp(rate T)``). Not a forecast.
- **Volatility**: the front expiry's ATM implied volatility (``MarketState.atm_ivs``, e.g.
  from :func:`optionsintel.strategies.quotes.market_from_chain`) unless one is passed.
  One volatility for all strikes: the smile enters the legs' prices, not this law.
- **Time**: calendar days from the valuation instant to the expiry close / 365
  (:func:`optionsintel.calendar.years_to_expiry`, basis ``"calendar"``).
- **Profit**: P&L strictly greater than zero at the front expiry (later legs at their
  Black-76 value then). The probability is the exact lognormal mass of the intervals
  between consecutive breakevens where the P&L is positive; no sampling, no grid.

Glossary: ``F`` forward, ``sigma`` volatility, ``T`` years, ``N`` normal cdf,
``d1,2 = (ln(F/K) +- sigma^2 T / 2) / (sigma sqrt T)``, ``q`` signed quantity.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from optionsintel.errors import StrategyError
from optionsintel.strategies.breakevens import Breakevens, breakevens
from optionsintel.strategies.legs import FloatArray, Strategy
from optionsintel.strategies.valuation import leg_values, position_value

__all__ = [
    "ExpiryDistribution",
    "ProbabilityOfProfit",
    "expected_value",
    "expiry_distribution",
    "front_volatility",
    "probability_of_profit",
    "sigma_levels",
]

_HERMITE_NODES, _HERMITE_WEIGHTS = np.polynomial.hermite.hermgauss(96)


def front_volatility(
    strategy: Strategy, volatility: float | None = None, fallback: bool = False
) -> float:
    """The volatility of the expiry distribution: given, else the front expiry's ATM IV.

    With ``fallback=True`` a missing ATM IV is replaced by the mean IV of the option legs
    (used only to size price grids, never for probabilities).

    Raises
    ------
    StrategyError
        No volatility given and no ATM IV known for the front expiry.
    """
    if volatility is not None:
        vol = float(volatility)
        if not (math.isfinite(vol) and 0.0 < vol <= 5.0):
            raise StrategyError(f"volatility must be a decimal in (0, 5], got {volatility!r}")
        return vol
    front = strategy.front_expiry
    if front in strategy.market.atm_ivs:
        return strategy.market.atm_ivs[front]
    a = strategy.arrays
    if fallback and a.is_option.any():
        return float(np.mean(a.iv[a.is_option]))
    if fallback:
        return 0.15
    raise StrategyError(
        f"no ATM IV for the front expiry {front}; pass volatility= or build the market "
        "with market_from_chain() so atm_ivs is filled"
    )


@dataclass(frozen=True)
class ExpiryDistribution:
    """The lognormal law of the spot at the front expiry's close."""

    expiry: dt.date
    forward: float
    volatility: float
    time_to_expiry: float

    @property
    def total_sd(self) -> float:
        """``sigma sqrt(T)``."""
        return self.volatility * math.sqrt(self.time_to_expiry)

    def cdf(self, x: FloatArray) -> FloatArray:
        """``P(S_T <= x)``; ``x = inf`` gives 1 and ``x = 0`` gives 0."""
        s = self.total_sd
        with np.errstate(divide="ignore"):
            z = (np.log(np.asarray(x, dtype=np.float64) / self.forward) + 0.5 * s * s) / s
        return ndtr(z)

    def quantile_at_sigma(self, k: float) -> float:
        """``F exp(-sigma^2 T / 2 + k sigma sqrt T)``: the price ``k`` standard deviations out."""
        s = self.total_sd
        return self.forward * math.exp(-0.5 * s * s + k * s)


def expiry_distribution(strategy: Strategy, volatility: float | None = None) -> ExpiryDistribution:
    """The lognormal law of the spot at the front expiry (conventions in the module doc)."""
    front = strategy.front_expiry
    return ExpiryDistribution(
        front, strategy.front_forward, front_volatility(strategy, volatility),
        strategy.front_years,
    )  # fmt: skip


@dataclass(frozen=True)
class ProbabilityOfProfit:
    """Probability that the front-expiry P&L is > 0, with the law it was computed under."""

    probability: float
    distribution: ExpiryDistribution
    profitable_intervals: tuple[tuple[float, float], ...]
    conventions: str


def _profitable(strategy: Strategy, cuts: tuple[float, ...]) -> list[tuple[float, float]]:
    edges = [0.0, *cuts, math.inf]
    # one point inside each interval tells the sign of the P&L over all of it
    reps = [
        hi / 2.0 if lo == 0.0 else (lo * 2.0 if math.isinf(hi) else 0.5 * (lo + hi))
        for lo, hi in itertools.pairwise(edges)
    ]
    a = strategy.arrays
    if not cuts:
        reps = [strategy.front_forward]
    pnl = position_value(a, leg_values(a, np.array(reps), strategy.days_to_front))
    keep = [(edges[i], edges[i + 1]) for i in range(len(reps)) if pnl[i] > 0.0]
    return keep


def probability_of_profit(
    strategy: Strategy, volatility: float | None = None, breakeven: Breakevens | None = None
) -> ProbabilityOfProfit:
    r"""Probability that the strategy's P&L at the front expiry is strictly positive.

    Parameters
    ----------
    strategy
        The strategy.
    volatility
        Volatility of the lognormal (decimal); default the front expiry's ATM IV.
    breakeven
        Breakevens already computed by :func:`breakevens` (computed when omitted).

    Returns
    -------
    ProbabilityOfProfit
        ``probability`` in [0, 1], the distribution used and the profitable intervals.

    Notes
    -----
    :math:`POP = \sum_{(a, b)} [\Phi(b) - \Phi(a)]` over the intervals between
    consecutive breakevens (and 0, infinity) where the P&L is positive, with
    :math:`\Phi(x) = N((\ln(x/F) + \sigma^2 T/2) / (\sigma \sqrt T))`.
    """
    dist = expiry_distribution(strategy, volatility)
    cuts = (breakeven or breakevens(strategy)).prices
    intervals = _profitable(strategy, cuts)
    lo = np.array([i[0] for i in intervals])
    hi = np.array([i[1] for i in intervals])
    prob = float(np.sum(dist.cdf(hi) - dist.cdf(lo))) if intervals else 0.0
    conventions = (
        f"lognormal, risk-neutral drift (mean = forward {dist.forward:.2f}), vol "
        f"{dist.volatility:.4f} ({'given' if volatility is not None else 'front ATM IV'}), "
        f"T = {dist.time_to_expiry * 365.0:.4f} calendar days to the {dist.expiry} 15:30 IST "
        "close / 365; profit means P&L > 0"
    )
    return ProbabilityOfProfit(min(max(prob, 0.0), 1.0), dist, tuple(intervals), conventions)


def expected_value(strategy: Strategy, volatility: float | None = None) -> float:
    r"""Expected P&L (rupees, undiscounted, at the front expiry) under the POP's lognormal law.

    Notes
    -----
    Front options in closed form, :math:`E[(\theta(S-K))^+] = \theta[F N(\theta d_1) -
    K N(\theta d_2)]`; futures :math:`E[S e^{cT}] = F e^{cT}`; options expiring later
    (their Black-76 value at the front expiry) by 96-node Gauss-Hermite quadrature in
    :math:`\ln S_T`. With one volatility for every strike the EV of fairly priced legs
    is not zero: it measures the smile against the ATM lognormal.
    """
    dist = expiry_distribution(strategy, volatility)
    a = strategy.arrays
    F, s = dist.forward, dist.total_sd
    T_rem = np.maximum(a.t0 - strategy.front_years, 0.0)
    expect = np.where(a.is_option, 0.0, F * np.exp(a.carry * T_rem))
    front = a.is_option & a.front
    K, th = a.strike[front], a.sign[front]
    d1 = (np.log(F / K) + 0.5 * s * s) / s
    expect[front] = th * (F * ndtr(th * d1) - K * ndtr(th * (d1 - s)))
    later = a.is_option & ~a.front
    if later.any():
        nodes = F * np.exp(-0.5 * s * s + s * math.sqrt(2.0) * _HERMITE_NODES)
        values = leg_values(a, nodes, strategy.days_to_front)[later]
        expect[later] = values @ _HERMITE_WEIGHTS / math.sqrt(math.pi)
    return float(a.quantity @ (expect - a.premium))


def sigma_levels(
    strategy: Strategy, volatility: float | None = None, levels: tuple[float, ...] = (-2, -1, 1, 2)
) -> dict[float, float]:
    """Prices ``k`` standard deviations from the forward at the front expiry, ``k`` in ``levels``.

    ``F exp(-sigma^2 T / 2 + k sigma sqrt T)``: quantiles of the POP's lognormal law, so
    the +-1 sigma band holds 68.27 % of its probability.
    """
    dist = expiry_distribution(strategy, volatility)
    return {float(k): dist.quantile_at_sigma(float(k)) for k in levels}
