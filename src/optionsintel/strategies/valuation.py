r"""Strategy value and P&L over a grid of underlying prices, at expiry or at T+n days.

Model (stated once, used everywhere):

- The grid variable is the underlying's **spot** price ``S`` at the horizon.
- Each expiry ``e`` has a forward ``F_e = S exp(c_e T_e)`` where the carry
  ``c_e = ln(F_e0 / S_0) / T_e0`` is fixed from the market's forward of that expiry at
  the valuation instant (``rate`` when no forward was given): the basis scales with
  the spot and shrinks with the time left.
- An option leg is a Black-76 price on its expiry's forward, discounted at ``rate``,
  at its **own** implied volatility plus a parallel shift; at or after its expiry it is
  worth its intrinsic value ``max(theta (S - K), 0)``. A futures leg is worth ``F_e``
  (marked to market, not discounted).
- Time moves on the calendar basis: ``T = (expiry 15:30 IST - horizon) / 365 days``, so
  ``n`` days later ``T_e = max(T_e0 - n / 365, 0)``. "At expiry" is the close of the
  front (earliest) expiry; later legs are then valued with the time they have left.
- P&L of a leg is ``q (V - premium)`` with ``q`` the signed quantity in units, in
  rupees; the strategy's P&L is the sum over legs.

Glossary: ``S`` spot, ``F`` forward, ``K`` strike, ``T`` years left, ``c`` carry,
``q`` signed quantity, ``V`` value per unit, ``theta`` +1 call / -1 put.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from optionsintel.errors import StrategyError
from optionsintel.pricing import black76_price
from optionsintel.strategies.legs import FloatArray, LegArrays, Strategy

__all__ = [
    "leg_payoffs",
    "leg_values",
    "payoff_at",
    "payoff_at_expiry",
    "position_value",
    "price_grid",
]


def _prices(prices: Any) -> FloatArray:
    S = np.atleast_1d(np.asarray(prices, dtype=np.float64))
    if S.ndim != 1 or S.size == 0:
        raise StrategyError("prices must be a non-empty 1-d array of underlying prices")
    if not np.all(np.isfinite(S)) or np.any(S <= 0):
        raise StrategyError("underlying prices must be finite and > 0; start the grid above 0")
    return S


def _volatility(a: LegArrays, iv_shift: float) -> FloatArray:
    vol = a.iv + iv_shift
    if np.any(vol[a.is_option] < 0):
        raise StrategyError(
            f"iv_shift {iv_shift} makes a leg's volatility negative (lowest leg IV "
            f"{np.nanmin(a.iv):.4f}); shift by less"
        )
    return vol


def leg_values(
    a: LegArrays, S: FloatArray, days: float, iv_shift: float = 0.0, vol_scale: float = 1.0
) -> FloatArray:
    """Per-unit value of every leg at every price, shape ``(n_legs, n_prices)``.

    ``vol_scale`` multiplies each leg's (shifted) volatility (margin scenarios).
    """
    if days < 0:
        raise StrategyError(f"days must be >= 0 (a horizon after the valuation), got {days}")
    T = np.maximum(a.t0 - days / 365.0, 0.0)
    F = S[None, :] * np.exp(a.carry * T)[:, None]
    out = F.copy()  # futures rows are the forward itself
    expired = a.is_option & (T == 0.0)
    if expired.any():  # intrinsic value, exactly (no Black-76 call needed)
        th = a.sign[expired][:, None]
        out[expired] = np.maximum(th * (F[expired] - a.strike[expired][:, None]), 0.0)
    live = a.is_option & (T > 0.0)
    if live.any():
        vol = (_volatility(a, iv_shift) * vol_scale)[live]
        out[live] = black76_price(
            F[live], a.strike[live][:, None], T[live][:, None], a.rate, vol[:, None],
            a.sign[live][:, None],
        )  # fmt: skip
    return out


def position_value(a: LegArrays, values: FloatArray) -> FloatArray:
    """P&L per price of the whole position: ``sum_legs q (V - premium)``.

    Summed leg by leg (not a BLAS dot product) so that offsetting legs cancel exactly.
    """
    return np.sum(a.quantity[:, None] * (values - a.premium[:, None]), axis=0)


def _days(strategy: Strategy, days: float | None) -> float:
    return strategy.days_to_front if days is None else float(days)


def payoff_at(
    strategy: Strategy, prices: Any, days: float | None = 0.0, iv_shift: float = 0.0
) -> FloatArray:
    """Strategy P&L (rupees) over ``prices`` at ``days`` after the valuation instant.

    Parameters
    ----------
    strategy
        The strategy.
    prices
        Underlying spot prices (> 0) at the horizon.
    days
        Calendar days after ``strategy.market.as_of`` (fractions allowed); ``None`` means
        the front expiry's close (:func:`payoff_at_expiry`).
    iv_shift
        Parallel shift added to every leg's IV, as a decimal (0.01 is one vol point).

    Returns
    -------
    ndarray
        P&L in rupees, one value per price.

    Raises
    ------
    StrategyError
        Non-positive prices, negative days, a shift that makes an IV negative.
    """
    a = strategy.arrays
    return position_value(a, leg_values(a, _prices(prices), _days(strategy, days), iv_shift))


def payoff_at_expiry(strategy: Strategy, prices: Any, iv_shift: float = 0.0) -> FloatArray:
    """P&L at the front expiry's 15:30 IST close (later legs at their remaining value)."""
    return payoff_at(strategy, prices, None, iv_shift)


def leg_payoffs(
    strategy: Strategy, prices: Any, days: float | None = 0.0, iv_shift: float = 0.0
) -> pd.DataFrame:
    """Per-leg P&L (rupees): one column per leg label, one row per price, plus ``total``."""
    a = strategy.arrays
    S = _prices(prices)
    pnl = a.quantity[:, None] * (
        leg_values(a, S, _days(strategy, days), iv_shift) - a.premium[:, None]
    )
    labels = [f"{i}: {leg.label}" for i, leg in enumerate(strategy.legs)]
    frame = pd.DataFrame(pnl.T, index=pd.Index(S, name="price"), columns=labels)
    frame["total"] = pnl.sum(axis=0)
    return frame


def price_grid(
    strategy: Strategy, points: int = 2001, width: float = 4.0, volatility: float | None = None
) -> FloatArray:
    """Evenly spaced spot prices covering ``+-width`` standard deviations at the front expiry.

    The range is ``F exp(+-width sigma sqrt(T))`` around the front expiry's forward,
    widened to include every strike; ``sigma`` defaults to the front expiry's ATM IV
    (else the mean leg IV).
    """
    if points < 2:
        raise StrategyError(f"a price grid needs at least 2 points, got {points}")
    from optionsintel.strategies.probability import front_volatility

    sigma = front_volatility(strategy, volatility, fallback=True)
    s = width * sigma * np.sqrt(max(strategy.front_years, 1.0 / 365.0))
    fwd = strategy.front_forward
    lo, hi = fwd * np.exp(-s), fwd * np.exp(s)
    strikes = strategy.arrays.strike[strategy.arrays.is_option]
    if strikes.size:
        lo, hi = min(lo, 0.9 * strikes.min()), max(hi, 1.1 * strikes.max())
    return np.linspace(lo, hi, points)
