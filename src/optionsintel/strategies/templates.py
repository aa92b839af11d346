"""Strategy templates: the classic multi-leg shapes as leg specifications.

A template returns :class:`LegSpec` rows (instrument, side, strike, expiry and a lot
ratio) built from an ATM strike, the strike step and widths counted in strike steps.
:func:`build_strategy` turns specifications into a :class:`Strategy` by asking a quote
source (:func:`optionsintel.strategies.quotes.model_quotes` or
:func:`optionsintel.strategies.quotes.chain_quotes`) for each leg's premium and IV.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from optionsintel.errors import StrategyError
from optionsintel.strategies.legs import (
    Instrument,
    Leg,
    MarketState,
    Side,
    Strategy,
    as_date,
    default_lot_size,
)

__all__ = [
    "LegSpec",
    "QuoteSource",
    "atm_strike",
    "bear_call_spread",
    "bear_put_spread",
    "build_strategy",
    "bull_call_spread",
    "bull_put_spread",
    "calendar_spread",
    "call_butterfly",
    "covered_call",
    "covered_put",
    "diagonal_spread",
    "iron_butterfly",
    "iron_condor",
    "long_straddle",
    "long_strangle",
    "put_butterfly",
    "ratio_spread",
    "reverse",
    "short_straddle",
    "short_strangle",
]


@dataclass(frozen=True)
class LegSpec:
    """A leg before pricing: what to trade, not at what price."""

    instrument: Instrument
    side: Side
    expiry: dt.date
    strike: float | None = None
    ratio: int = 1  # lots of this leg per strategy lot


#: Premium and IV (decimal; ``None`` for futures) of one leg specification.
QuoteSource = Callable[[LegSpec], tuple[float, float | None]]

_FLIP: dict[str, Side] = {"buy": "sell", "sell": "buy"}


def atm_strike(spot: float, step: float) -> float:
    """The listed strike nearest ``spot`` on a grid of ``step`` (ties round up).

    >>> atm_strike(24_137.0, 50.0)
    24150.0
    """
    if not step > 0:
        raise StrategyError(f"strike step must be > 0, got {step!r}")
    return float(step * int(spot / step + 0.5))


def _width(n: int, name: str = "width") -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise StrategyError(f"{name} is a whole number of strike steps > 0, got {n!r}")
    return n


def _opt(kind: Instrument, side: Side, expiry: Any, strike: float, ratio: int = 1) -> LegSpec:
    if not strike > 0:
        raise StrategyError(f"template strike {strike} is not > 0; use a smaller width")
    return LegSpec(kind, side, as_date(expiry), float(strike), ratio)


def reverse(specs: list[LegSpec]) -> list[LegSpec]:
    """The opposite position (every buy becomes a sell and vice versa)."""
    return [replace(s, side=_FLIP[s.side]) for s in specs]


def long_straddle(atm: float, expiry: Any) -> list[LegSpec]:
    """Buy the ATM call and the ATM put."""
    return [_opt("CE", "buy", expiry, atm), _opt("PE", "buy", expiry, atm)]


def short_straddle(atm: float, expiry: Any) -> list[LegSpec]:
    """Sell the ATM call and the ATM put."""
    return reverse(long_straddle(atm, expiry))


def long_strangle(atm: float, step: float, expiry: Any, width: int = 1) -> list[LegSpec]:
    """Buy the put ``width`` steps below and the call ``width`` steps above the ATM strike."""
    w = _width(width) * step
    return [_opt("PE", "buy", expiry, atm - w), _opt("CE", "buy", expiry, atm + w)]


def short_strangle(atm: float, step: float, expiry: Any, width: int = 1) -> list[LegSpec]:
    """Sell the put ``width`` steps below and the call ``width`` steps above the ATM strike."""
    return reverse(long_strangle(atm, step, expiry, width))


def bull_call_spread(atm: float, step: float, expiry: Any, width: int = 1) -> list[LegSpec]:
    """Buy the ATM call, sell the call ``width`` steps higher (debit)."""
    hi = atm + _width(width) * step
    return [_opt("CE", "buy", expiry, atm), _opt("CE", "sell", expiry, hi)]


def bear_call_spread(atm: float, step: float, expiry: Any, width: int = 1) -> list[LegSpec]:
    """Sell the ATM call, buy the call ``width`` steps higher (credit)."""
    return reverse(bull_call_spread(atm, step, expiry, width))


def bear_put_spread(atm: float, step: float, expiry: Any, width: int = 1) -> list[LegSpec]:
    """Buy the ATM put, sell the put ``width`` steps lower (debit)."""
    lo = atm - _width(width) * step
    return [_opt("PE", "buy", expiry, atm), _opt("PE", "sell", expiry, lo)]


def bull_put_spread(atm: float, step: float, expiry: Any, width: int = 1) -> list[LegSpec]:
    """Sell the ATM put, buy the put ``width`` steps lower (credit)."""
    return reverse(bear_put_spread(atm, step, expiry, width))


def iron_condor(
    atm: float, step: float, expiry: Any, short_width: int = 2, wing_width: int = 2
) -> list[LegSpec]:
    """Short strangle ``short_width`` steps out, long wings ``wing_width`` steps further."""
    s, w = _width(short_width, "short_width") * step, _width(wing_width, "wing_width") * step
    return [
        _opt("PE", "buy", expiry, atm - s - w),
        _opt("PE", "sell", expiry, atm - s),
        _opt("CE", "sell", expiry, atm + s),
        _opt("CE", "buy", expiry, atm + s + w),
    ]


def iron_butterfly(atm: float, step: float, expiry: Any, wing_width: int = 2) -> list[LegSpec]:
    """Short ATM straddle with long wings ``wing_width`` steps away."""
    w = _width(wing_width, "wing_width") * step
    return [
        _opt("PE", "buy", expiry, atm - w),
        _opt("PE", "sell", expiry, atm),
        _opt("CE", "sell", expiry, atm),
        _opt("CE", "buy", expiry, atm + w),
    ]


def _butterfly(kind: Instrument, atm: float, step: float, expiry: Any, width: int) -> list[LegSpec]:
    w = _width(width) * step
    return [
        _opt(kind, "buy", expiry, atm - w),
        _opt(kind, "sell", expiry, atm, ratio=2),
        _opt(kind, "buy", expiry, atm + w),
    ]


def call_butterfly(atm: float, step: float, expiry: Any, width: int = 1) -> list[LegSpec]:
    """Long call butterfly: buy ``atm - w``, sell 2 ``atm``, buy ``atm + w`` calls."""
    return _butterfly("CE", atm, step, expiry, width)


def put_butterfly(atm: float, step: float, expiry: Any, width: int = 1) -> list[LegSpec]:
    """Long put butterfly: buy ``atm - w``, sell 2 ``atm``, buy ``atm + w`` puts."""
    return _butterfly("PE", atm, step, expiry, width)


def ratio_spread(
    kind: Instrument, atm: float, step: float, expiry: Any, width: int = 1, ratio: int = 2
) -> list[LegSpec]:
    """Buy 1 ATM option, sell ``ratio`` options ``width`` steps out of the money.

    Calls are sold above the ATM strike, puts below it.
    """
    if kind not in ("CE", "PE"):
        raise StrategyError(f"a ratio spread is of calls ('CE') or puts ('PE'), got {kind!r}")
    out = atm + (1 if kind == "CE" else -1) * _width(width) * step
    return [_opt(kind, "buy", expiry, atm), _opt(kind, "sell", expiry, out, _width(ratio, "ratio"))]


def calendar_spread(
    kind: Instrument, strike: float, near_expiry: Any, far_expiry: Any
) -> list[LegSpec]:
    """Sell the near-expiry option, buy the far-expiry option at the same strike."""
    return diagonal_spread(kind, strike, strike, near_expiry, far_expiry)


def diagonal_spread(
    kind: Instrument, near_strike: float, far_strike: float, near_expiry: Any, far_expiry: Any
) -> list[LegSpec]:
    """Sell the near-expiry option at ``near_strike``, buy the far one at ``far_strike``."""
    near, far = as_date(near_expiry), as_date(far_expiry)
    if not near < far:
        raise StrategyError(f"near expiry {near} must be before far expiry {far}")
    if kind not in ("CE", "PE"):
        raise StrategyError(f"calendars and diagonals are of 'CE' or 'PE', got {kind!r}")
    return [_opt(kind, "sell", near, near_strike), _opt(kind, "buy", far, far_strike)]


def covered_call(atm: float, step: float, expiry: Any, width: int = 1) -> list[LegSpec]:
    """Buy the future, sell the call ``width`` steps above the ATM strike."""
    return [
        LegSpec("FUT", "buy", as_date(expiry)),
        _opt("CE", "sell", expiry, atm + _width(width) * step),
    ]


def covered_put(atm: float, step: float, expiry: Any, width: int = 1) -> list[LegSpec]:
    """Sell the future, sell the put ``width`` steps below the ATM strike."""
    return [
        LegSpec("FUT", "sell", as_date(expiry)),
        _opt("PE", "sell", expiry, atm - _width(width) * step),
    ]


def build_strategy(
    underlying: str,
    specs: list[LegSpec],
    market: MarketState,
    quotes: QuoteSource,
    *,
    lots: int = 1,
    lot_size: int | None = None,
) -> Strategy:
    """Price leg specifications and return the :class:`Strategy`.

    Parameters
    ----------
    underlying
        Symbol, e.g. ``"NIFTY"``.
    specs
        Leg specifications (from a template or hand-written).
    market
        The market the strategy is valued in.
    quotes
        Callable giving ``(premium, iv)`` for a :class:`LegSpec`.
    lots
        Strategy lots; each leg trades ``lots * spec.ratio`` lots.
    lot_size
        Units per lot; by default the index's lot size on the valuation date from
        :func:`optionsintel.calendar.lot_size` (stocks must pass it).

    Raises
    ------
    StrategyError
        Unknown lot size, invalid legs, or a quote source that cannot price a leg.
    """
    size = lot_size if lot_size is not None else default_lot_size(underlying, market.as_of)
    legs = []
    for spec in specs:  # a handful of legs: the loop is not a hot path
        premium, iv = quotes(spec)
        legs.append(
            Leg(
                spec.instrument,
                spec.side,
                spec.expiry,
                lots * spec.ratio,
                size,
                premium,
                spec.strike,
                iv,
            )
        )
    return Strategy(underlying, tuple(legs), market)
