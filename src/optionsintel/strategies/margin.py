r"""A margin ESTIMATE by a SPAN-like scenario scan. Not NSE's SPAN margin.

NSE Clearing computes initial margin with SPAN from risk-parameter files it publishes
for every contract each day (price scan ranges, volatility scan ranges, inter-month
spreads, short-option minimum), then adds an exposure margin. This module has none of
those files. It applies the *shape* of the SPAN calculation with uniform, stated
parameters, so the figure is an estimate of the order of magnitude, labelled as such:

1. Revalue the whole position at the valuation instant (no time decay) under 16
   scenarios: the spot moved by ``0, +-1/3, +-2/3, +-1`` of ``price_range`` with every
   leg's IV scaled by ``1 +- vol_range`` (14 scenarios), and two extreme moves of
   ``+-extreme_multiple x price_range`` at unchanged IV whose loss counts
   ``extreme_cover`` (35 %), as in the CME SPAN scenario table.
2. ``scan_loss`` is the worst scenario loss (floored at 0).
3. ``exposure`` is ``exposure_pct`` of the notional (``|q| x spot``) of every sold option
   and every future.
4. ``total = scan_loss + exposure``. A long-options-only position needs only its premium
   (``premium_paid``), which is reported beside.

Defaults: ``price_range`` 7 %, ``vol_range`` 25 %, ``exposure_pct`` 2 % (NSE's exposure
margin on index options since 2024-11; check the current circular), ``extreme_multiple``
2, ``extreme_cover`` 0.35.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optionsintel.errors import StrategyError
from optionsintel.strategies.legs import Strategy
from optionsintel.strategies.valuation import leg_values, position_value

__all__ = ["MarginEstimate", "margin_estimate"]

_FRACTIONS = np.array([0.0, 1 / 3, -1 / 3, 2 / 3, -2 / 3, 1.0, -1.0])


@dataclass(frozen=True)
class MarginEstimate:
    """A margin ESTIMATE (rupees) and how it was made; not the exchange's SPAN figure."""

    total: float
    scan_loss: float
    exposure: float
    premium_paid: float
    worst_scenario: str
    method: str
    label: str = "ESTIMATE (SPAN-like scenario scan, not NSE SPAN)"


def _check(name: str, value: float, upper: float) -> float:
    v = float(value)
    if not 0.0 <= v <= upper:
        raise StrategyError(f"{name} must be between 0 and {upper}, got {value!r}")
    return v


def _scenario_values(strategy: Strategy, price_range: float, vol_range: float, extreme: float):
    a = strategy.arrays
    S0 = strategy.market.spot
    prices = S0 * (1.0 + price_range * _FRACTIONS)
    up = position_value(a, leg_values(a, prices, 0.0, vol_scale=1.0 + vol_range))
    down = position_value(a, leg_values(a, prices, 0.0, vol_scale=max(1.0 - vol_range, 0.0)))
    far = S0 * (1.0 + extreme * price_range * np.array([1.0, -1.0]))
    ext = position_value(a, leg_values(a, np.maximum(far, 1e-6 * S0), 0.0))
    now = float(position_value(a, leg_values(a, np.array([S0]), 0.0))[0])
    names = [f"price {f:+.0%} of range, vol {v}" for v in ("up", "down") for f in _FRACTIONS]
    names += [f"extreme {extreme:+g}x range", f"extreme {-extreme:+g}x range"]
    return now, np.concatenate([up, down, ext]), names


def margin_estimate(
    strategy: Strategy,
    *,
    price_range: float = 0.07,
    vol_range: float = 0.25,
    exposure_pct: float = 0.02,
    extreme_multiple: float = 2.0,
    extreme_cover: float = 0.35,
) -> MarginEstimate:
    """Estimate the margin of a strategy with a SPAN-like scan (see the module docstring).

    Parameters
    ----------
    strategy
        The strategy.
    price_range
        Price scan range as a fraction of spot (0.07 is 7 %).
    vol_range
        Relative volatility scan range (0.25 scales every IV by 0.75 and 1.25).
    exposure_pct
        Exposure margin as a fraction of the notional of short options and futures.
    extreme_multiple, extreme_cover
        Size of the two extreme moves (in price ranges) and the share of their loss counted.

    Returns
    -------
    MarginEstimate
        ``total = scan_loss + exposure`` in rupees, its parts, the worst scenario and
        the method in words. Always an estimate.

    Raises
    ------
    StrategyError
        A parameter outside its range.
    """
    price_range = _check("price_range", price_range, 0.9)
    vol_range = _check("vol_range", vol_range, 1.0)
    exposure_pct = _check("exposure_pct", exposure_pct, 1.0)
    extreme_cover = _check("extreme_cover", extreme_cover, 1.0)
    extreme = _check("extreme_multiple", extreme_multiple, 10.0)
    now, values, names = _scenario_values(strategy, price_range, vol_range, extreme)
    losses = now - values
    losses[-2:] *= extreme_cover
    worst = int(np.argmax(losses))
    a = strategy.arrays
    short_or_future = (a.quantity < 0) | ~a.is_option
    notional = float(np.sum(np.abs(a.quantity[short_or_future]))) * strategy.market.spot
    paid = float(np.sum((a.quantity * a.premium)[a.is_option & (a.quantity > 0)]))
    scan = max(float(losses[worst]), 0.0)
    exposure = exposure_pct * notional
    method = (
        f"worst loss over 16 scenarios (price +-{price_range:.1%} in thirds x IV x(1+-"
        f"{vol_range:.0%}); +-{extreme:g}x price range at {extreme_cover:.0%}) plus "
        f"{exposure_pct:.1%} exposure on short options and futures notional"
    )
    return MarginEstimate(scan + exposure, scan, exposure, paid, names[worst], method)
