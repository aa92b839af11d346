r"""Per-leg and net greeks of a strategy at the valuation instant.

Each option leg is a Black-76 option on its expiry's forward ``F = S exp(c T)`` at its
own IV (:mod:`optionsintel.strategies.valuation`). The greeks are taken with respect to
the **spot** ``S`` (the price grid's variable), holding the carry ``c`` fixed:

- ``delta = Delta_F F/S``, ``gamma = Gamma_F (F/S)^2`` (``Delta_F``, ``Gamma_F`` from
  :func:`optionsintel.pricing.greeks`, discounted Black-76 greeks on the forward);
- ``theta_per_day``: value change over one calendar day with the spot fixed,
  ``(Theta_F - Delta_F c F) / 365`` (the forward drifts to the spot as time passes);
- ``vega_per_point``: per one volatility point (0.01) of the leg's IV;
- ``rho``: per 1.00 of rate with the forward held fixed (``-T V`` for Black-76).

A future has ``delta = exp(c T)``, ``theta_per_day = -c F / 365`` and no gamma, vega or
rho (it is marked to market, not discounted). Position greeks multiply these unit
greeks by the signed quantity (lots x lot size), so they are in rupees per rupee of
spot (delta), per rupee squared (gamma), per day, per vol point and per unit of rate.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optionsintel.pricing import greeks as black_greeks
from optionsintel.strategies.legs import FloatArray, Strategy

__all__ = ["STRATEGY_GREEKS", "strategy_greeks", "unit_greeks"]

STRATEGY_GREEKS: tuple[str, ...] = ("delta", "gamma", "theta_per_day", "vega_per_point", "rho")


def unit_greeks(strategy: Strategy) -> dict[str, FloatArray]:
    """Greeks per unit of every leg, as arrays keyed by :data:`STRATEGY_GREEKS`."""
    a = strategy.arrays
    S = strategy.market.spot
    growth = np.exp(a.carry * a.t0)  # F / S of each leg's expiry
    F = S * growth
    out = {
        "delta": growth.copy(),
        "gamma": np.zeros_like(F),
        "theta_per_day": -a.carry * F / 365.0,
        "vega_per_point": np.zeros_like(F),
        "rho": np.zeros_like(F),
    }
    opt = a.is_option
    if opt.any():
        g = black_greeks(F[opt], a.strike[opt], a.t0[opt], a.rate, a.iv[opt], a.sign[opt])
        assert isinstance(g, pd.DataFrame)  # array input gives a frame
        delta_f = g["delta"].to_numpy()
        out["delta"][opt] = delta_f * growth[opt]
        out["gamma"][opt] = g["gamma"].to_numpy() * growth[opt] ** 2
        theta_year = g["theta_per_year"].to_numpy() - delta_f * a.carry[opt] * F[opt]
        out["theta_per_day"][opt] = theta_year / 365.0
        out["vega_per_point"][opt] = g["vega_pct"].to_numpy()
        out["rho"][opt] = g["rho"].to_numpy()
    return out


def strategy_greeks(strategy: Strategy) -> pd.DataFrame:
    """Position greeks of every leg and of the whole strategy.

    Returns
    -------
    DataFrame
        One row per leg (index ``"i: <leg label>"``) and a last row ``"net"`` (the column
        sums); columns ``quantity`` and :data:`STRATEGY_GREEKS`, each the unit greek times
        the signed quantity (units in the module docstring).

    Notes
    -----
    Black-76 greeks (Hull, *Options, Futures and Other Derivatives*, "The Greek Letters";
    Haug 2007, section 2.2) mapped from the forward to the spot by the chain rule
    through :math:`F = S e^{cT}`.
    """
    a = strategy.arrays
    unit = unit_greeks(strategy)
    table = np.empty((len(strategy.legs) + 1, len(STRATEGY_GREEKS) + 1))
    table[:-1, 0] = a.quantity
    for j, name in enumerate(STRATEGY_GREEKS, start=1):
        table[:-1, j] = a.quantity * unit[name]
    table[-1] = table[:-1].sum(axis=0)
    table[-1, 0] = np.nan  # a net quantity of mixed contracts means nothing
    labels = [f"{i}: {leg.label}" for i, leg in enumerate(strategy.legs)] + ["net"]
    return pd.DataFrame(table, index=labels, columns=["quantity", *STRATEGY_GREEKS])
