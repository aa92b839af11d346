r"""Breakevens and maximum profit / loss of the P&L at the front expiry.

Two cases, told apart by :attr:`Strategy.is_piecewise_linear_at_expiry`:

- **Piecewise linear** (every option expires at the front expiry; futures may be of
  any expiry, they are linear in ``S``). The P&L is linear between consecutive
  strikes, so it is evaluated exactly at the strikes (the kinks), and every root is
  the exact zero of one linear piece. Beyond the extreme strikes the slopes are
  ``sum(q)`` over calls and futures (right) and ``-sum(q)`` over puts plus futures
  (left): a non-zero right slope makes profit or loss **unbounded**; on the left the
  price stops at 0, so both stay bounded.
- **Smooth** (calendars and diagonals: some option outlives the front expiry and keeps
  its Black-76 time value). The curve is scanned on a dense logarithmic grid over
  ``F exp(+-12 s)`` (``s`` the largest ``sigma sqrt(T)`` of any leg, at least 5 %),
  sign changes are bracketed and each root is found with Brent's method
  (:func:`scipy.optimize.brentq`, ``xtol`` 1e-12 of the spot); extremes are the best
  grid or strike point refined with a bounded scalar minimisation. The asymptotic
  right slope is ``sum(q)`` over front calls plus ``q exp((c - r) T)`` over later calls
  and ``q exp(c T)`` over futures.

Glossary: ``S`` spot at the front expiry, ``q`` signed quantity, ``c`` carry, ``r`` rate,
``T`` time a later leg has left at the front expiry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.optimize import brentq, minimize_scalar

from optionsintel.strategies.legs import FloatArray, Strategy
from optionsintel.strategies.valuation import leg_values, position_value

__all__ = ["Breakevens", "ProfitRange", "breakevens", "profit_range", "tail_slopes"]


@dataclass(frozen=True)
class Breakevens:
    """Underlying prices at the front expiry where the P&L is zero, ascending."""

    prices: tuple[float, ...]
    method: Literal["exact", "brentq"]
    note: str


@dataclass(frozen=True)
class ProfitRange:
    """Best and worst P&L (rupees) at the front expiry over underlying prices in ``[0, inf)``.

    ``max_loss`` is the lowest P&L (negative when a loss is possible); an unbounded side is
    ``inf``/``-inf`` with ``*_unbounded`` True and ``*_at`` None.
    """

    max_profit: float
    max_loss: float
    profit_unbounded: bool
    loss_unbounded: bool
    max_profit_at: float | None
    max_loss_at: float | None
    method: Literal["exact", "numerical"]


def _remaining(strategy: Strategy) -> FloatArray:
    a = strategy.arrays
    return np.maximum(a.t0 - strategy.front_years, 0.0)


def tail_slopes(strategy: Strategy) -> tuple[float, float]:
    """``(left, right)`` slopes of the front-expiry P&L in ``S`` far below / above the strikes.

    The left slope applies below the lowest strike down to ``S = 0``; the right one is the
    asymptotic slope as ``S -> inf`` (what makes profit or loss unbounded).
    """
    a = strategy.arrays
    T = _remaining(strategy)
    fut = ~a.is_option
    fut_slope = float(np.sum(a.quantity[fut] * np.exp(a.carry[fut] * T[fut])))
    calls, puts = a.is_option & (a.sign > 0), a.is_option & (a.sign < 0)
    call_slope = float(np.sum(a.quantity[calls] * np.exp((a.carry[calls] - a.rate) * T[calls])))
    left = fut_slope - float(np.sum(a.quantity[puts & a.front]))
    return left, fut_slope + call_slope


def _pnl(strategy: Strategy, S: FloatArray) -> FloatArray:
    a = strategy.arrays
    return position_value(a, leg_values(a, S, strategy.days_to_front))


def _kinks(strategy: Strategy) -> tuple[FloatArray, FloatArray]:
    a = strategy.arrays
    x = np.unique(a.strike[a.is_option & a.front])
    if x.size == 0:  # futures only: one anchor point is enough for a line
        x = np.array([strategy.market.spot])
    return x, _pnl(strategy, x)


def _linear_roots(x: FloatArray, y: FloatArray, left: float, right: float) -> list[float]:
    scale = max(float(np.max(np.abs(y))), 1.0)
    zero = np.abs(y) <= 1e-12 * scale
    roots = list(x[zero])
    y0, y1 = y[:-1], y[1:]
    cross = (y0 * y1 < 0) & ~zero[:-1] & ~zero[1:]
    x0, x1 = x[:-1][cross], x[1:][cross]
    roots += list(x0 - y0[cross] * (x1 - x0) / (y1[cross] - y0[cross]))
    if left != 0.0 and not zero[0]:
        r = x[0] - y[0] / left
        if 0.0 < r < x[0]:
            roots.append(r)
    if right != 0.0 and not zero[-1]:
        r = x[-1] - y[-1] / right
        if r > x[-1]:
            roots.append(r)
    return sorted(float(r) for r in roots)


def _search_grid(strategy: Strategy) -> FloatArray:
    a = strategy.arrays
    s = max(float(np.nanmax(np.where(a.is_option, a.iv * np.sqrt(a.t0), 0.0))), 0.05)
    fwd = strategy.front_forward
    grid = fwd * np.exp(np.linspace(-12.0 * s, 12.0 * s, 4001))
    return np.union1d(grid, a.strike[a.is_option & a.front])


def _smooth_roots(strategy: Strategy) -> list[float]:
    x = _search_grid(strategy)
    y = _pnl(strategy, x)
    roots = list(x[y == 0.0])
    xtol = 1e-12 * strategy.market.spot

    def f(s: float) -> float:
        return float(_pnl(strategy, np.array([s]))[0])

    for i in np.flatnonzero(y[:-1] * y[1:] < 0):
        roots.append(brentq(f, x[i], x[i + 1], xtol=xtol, rtol=1e-15))
    return sorted(float(r) for r in roots)


def breakevens(strategy: Strategy) -> Breakevens:
    """Prices at the front expiry's close where the strategy's P&L is zero.

    Returns
    -------
    Breakevens
        ``prices`` ascending; ``method`` ``"exact"`` (piecewise-linear payoff: roots of the
        linear pieces between the strikes) or ``"brentq"`` (calendars/diagonals: Brent's
        root finding between sign changes of the smooth curve, over the stated range).
        Where the P&L is zero over a whole interval, its end points are returned.

    Examples
    --------
    A long straddle breaks even at the strike plus and minus the total premium:

    >>> from optionsintel.strategies import Leg, MarketState, Strategy
    >>> market = MarketState(as_of="2025-07-10 10:00", spot=100.0)
    >>> call = Leg("CE", "buy", "2025-07-24", lots=1, lot_size=1, premium=3.0, strike=100.0, iv=0.2)
    >>> put = Leg("PE", "buy", "2025-07-24", lots=1, lot_size=1, premium=2.5, strike=100.0, iv=0.2)
    >>> breakevens(Strategy("TEST", (call, put), market)).prices
    (94.5, 105.5)
    """
    if strategy.is_piecewise_linear_at_expiry:
        left, right = tail_slopes(strategy)
        x, y = _kinks(strategy)
        roots = _linear_roots(x, y, left, right)
        note = "exact: zeros of the piecewise-linear expiry payoff (kinks at the strikes)"
        return Breakevens(tuple(roots), "exact", note)
    grid = _search_grid(strategy)
    roots = _smooth_roots(strategy)
    note = (
        "numerical: brentq between sign changes of the smooth front-expiry P&L (later legs "
        f"at Black-76 value), searched over [{grid[0]:.2f}, {grid[-1]:.2f}]"
    )
    return Breakevens(tuple(roots), "brentq", note)


def _linear_range(strategy: Strategy) -> ProfitRange:
    left, right = tail_slopes(strategy)
    x, y = _kinks(strategy)
    # the P&L at S = 0 closes the left piece: prices cannot go below zero
    # (S = 0 goes last so a flat extreme is reported at a strike, not at zero)
    xs = np.concatenate([x, [0.0]])
    ys = np.concatenate([y, [y[0] - left * x[0]]])
    return _range(xs, ys, right, "exact")


def _range(xs: FloatArray, ys: FloatArray, right: float, method) -> ProfitRange:
    hi, lo = int(np.argmax(ys)), int(np.argmin(ys))
    up, down = right > 0.0, right < 0.0
    return ProfitRange(
        max_profit=float("inf") if up else float(ys[hi]),
        max_loss=float("-inf") if down else float(ys[lo]),
        profit_unbounded=up,
        loss_unbounded=down,
        max_profit_at=None if up else float(xs[hi]),
        max_loss_at=None if down else float(xs[lo]),
        method=method,
    )


def _refine(strategy: Strategy, x: FloatArray, i: int, sign: float) -> tuple[float, float]:
    lo, hi = x[max(i - 1, 0)], x[min(i + 1, x.size - 1)]
    if hi <= lo:
        return float(x[i]), sign * float(_pnl(strategy, x[i : i + 1])[0])
    res = minimize_scalar(
        lambda s: -sign * float(_pnl(strategy, np.array([s]))[0]),
        bounds=(lo, hi), method="bounded", options={"xatol": 1e-9 * strategy.market.spot},
    )  # fmt: skip
    best_grid = sign * float(_pnl(strategy, x[i : i + 1])[0])
    if -res.fun >= best_grid:
        return float(res.x), float(-res.fun)
    return float(x[i]), best_grid


def profit_range(strategy: Strategy) -> ProfitRange:
    """Maximum profit and maximum loss at the front expiry, unbounded sides stated as such.

    Returns
    -------
    ProfitRange
        Exact for piecewise-linear payoffs (the extremes sit at a strike or at ``S = 0``);
        for calendars/diagonals the best point of the search grid (strikes included)
        refined by a bounded scalar minimisation (``method="numerical"``).
    """
    if strategy.is_piecewise_linear_at_expiry:
        return _linear_range(strategy)
    _, right = tail_slopes(strategy)
    x = _search_grid(strategy)
    y = _pnl(strategy, x)
    at_hi, best = _refine(strategy, x, int(np.argmax(y)), 1.0)
    at_lo, worst = _refine(strategy, x, int(np.argmin(y)), -1.0)
    xs, ys = np.array([at_hi, at_lo]), np.array([best, -worst])
    return _range(xs, ys, right, "numerical")
