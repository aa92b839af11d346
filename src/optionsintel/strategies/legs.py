"""Legs, market state and strategies: validated, immutable inputs of the analytics.

A :class:`Leg` is one position in an index/stock option (``"CE"``/``"PE"``) or a
future (``"FUT"``): side, lots, lot size, strike, expiry, entry premium (per unit of
the underlying) and, for options, its own implied volatility as a decimal. A
:class:`MarketState` is the valuation instant, spot, rate and (optionally) the
forward and ATM implied volatility of each expiry. A :class:`Strategy` ties legs to
a market and precomputes the per-leg arrays every analytic works on.

Glossary (kernel symbols): ``S`` spot, ``F`` forward, ``K`` strike, ``T`` years to
expiry (calendar days to the 15:30 IST close / 365), ``c`` carry ``ln(F/S)/T``,
``r`` rate, ``q`` signed quantity in units (lots x lot size, negative when sold).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

from optionsintel.calendar import lot_size as calendar_lot_size
from optionsintel.calendar import years_to_expiry
from optionsintel.errors import CalendarError, StrategyError
from optionsintel.tz import EXCHANGE_TZ, to_utc

__all__ = ["DEFAULT_RATE", "Instrument", "Leg", "LegArrays", "MarketState", "Side", "Strategy"]

Instrument = Literal["CE", "PE", "FUT"]
Side = Literal["buy", "sell"]
FloatArray = npt.NDArray[np.float64]

#: Continuously compounded rate used when none is given (the chain analytics' default).
DEFAULT_RATE = 0.065


def as_date(value: Any, what: str = "expiry") -> dt.date:
    """Coerce a date-like to ``datetime.date`` (aware timestamps read in IST)."""
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise StrategyError(f"{what} {value!r} is not a date; pass e.g. '2025-07-31'") from exc
    if ts is pd.NaT:
        raise StrategyError(f"{what} is missing (NaT); every leg needs an expiry date")
    if ts.tzinfo is not None:
        ts = ts.tz_convert(EXCHANGE_TZ)
    return ts.date()


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
        raise StrategyError(f"{name} must be a positive whole number, got {value!r}")
    return int(value)


def _finite(value: Any, name: str, minimum: float = 0.0, strict: bool = True) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError) as exc:
        raise StrategyError(f"{name} must be a number, got {value!r}") from exc
    if not math.isfinite(x) or x < minimum or (strict and x == minimum):
        bound = ">" if strict else ">="
        raise StrategyError(f"{name} must be finite and {bound} {minimum}, got {value!r}")
    return x


def _check_volatility(value: Any, name: str) -> float:
    vol = _finite(value, name)
    if vol > 5.0:
        raise StrategyError(
            f"{name} {vol} looks like a percentage; pass volatility as a decimal (0.15 is 15 %)"
        )
    return vol


@dataclass(frozen=True)
class Leg:
    """One position of a strategy.

    Parameters
    ----------
    instrument
        ``"CE"`` (call), ``"PE"`` (put) or ``"FUT"`` (future).
    side
        ``"buy"`` or ``"sell"``.
    expiry
        Expiry date of the contract.
    lots
        Number of lots (> 0).
    lot_size
        Units per lot on the trade date (see :meth:`Strategy` builders, which take it
        from :func:`optionsintel.calendar.lot_size`).
    premium
        Entry price per unit: the option premium, or the futures price for ``"FUT"``.
    strike
        Strike price for options; ``None`` for futures.
    iv
        The leg's own implied volatility as a decimal (0.15 is 15 %); ``None`` for futures.

    Raises
    ------
    StrategyError
        On any invalid field, with the field named.
    """

    instrument: Instrument
    side: Side
    expiry: dt.date
    lots: int
    lot_size: int
    premium: float
    strike: float | None = None
    iv: float | None = None

    def __post_init__(self) -> None:
        if self.instrument not in ("CE", "PE", "FUT"):
            raise StrategyError(f"instrument must be 'CE', 'PE' or 'FUT', got {self.instrument!r}")
        if self.side not in ("buy", "sell"):
            raise StrategyError(f"side must be 'buy' or 'sell', got {self.side!r}")
        object.__setattr__(self, "expiry", as_date(self.expiry))
        object.__setattr__(self, "lots", _positive_int(self.lots, "lots"))
        object.__setattr__(self, "lot_size", _positive_int(self.lot_size, "lot_size"))
        if self.instrument == "FUT":
            if self.strike is not None or self.iv is not None:
                raise StrategyError("a futures leg has no strike and no iv; leave them None")
            object.__setattr__(self, "premium", _finite(self.premium, "futures price"))
            return
        object.__setattr__(self, "premium", _finite(self.premium, "premium", strict=False))
        object.__setattr__(self, "strike", _finite(self.strike, "strike"))
        if self.iv is None:
            raise StrategyError(
                "an option leg needs its implied volatility (iv, decimal); take it from the "
                "chain with leg_quote() or give a model volatility"
            )
        object.__setattr__(self, "iv", _check_volatility(self.iv, "iv"))

    @property
    def quantity(self) -> int:
        """Signed units: ``lots * lot_size``, negative for a sold leg."""
        return (1 if self.side == "buy" else -1) * self.lots * self.lot_size

    @property
    def label(self) -> str:
        """Short human label, e.g. ``"sell 2x 24000 CE 2025-07-31"``."""
        what = "FUT" if self.strike is None else f"{self.strike:g} {self.instrument}"
        return f"{self.side} {self.lots}x {what} {self.expiry.isoformat()}"


@dataclass(frozen=True)
class MarketState:
    """The market a strategy is valued in.

    Parameters
    ----------
    as_of
        Valuation instant; naive values are IST (:func:`optionsintel.tz.to_utc`).
    spot
        Underlying price at ``as_of`` (> 0).
    rate
        Continuously compounded risk-free rate used for discounting (0.065 is 6.5 %).
    forwards
        Forward (futures) price per expiry date; expiries not given get
        ``spot * exp(rate * T)``.
    atm_ivs
        ATM implied volatility (decimal) per expiry; the front expiry's is the default
        volatility of the probability of profit.
    """

    as_of: pd.Timestamp
    spot: float
    rate: float = DEFAULT_RATE
    forwards: Mapping[dt.date, float] = field(default_factory=dict)
    atm_ivs: Mapping[dt.date, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "as_of", to_utc(self.as_of))
        object.__setattr__(self, "spot", _finite(self.spot, "spot"))
        object.__setattr__(self, "rate", _finite(self.rate, "rate", minimum=-1.0))
        fwd = {as_date(k): _finite(v, f"forward of {k}") for k, v in self.forwards.items()}
        ivs = {as_date(k): _check_volatility(v, f"ATM IV of {k}") for k, v in self.atm_ivs.items()}
        object.__setattr__(self, "forwards", fwd)
        object.__setattr__(self, "atm_ivs", ivs)

    def years_to(self, expiry: Any) -> float:
        """Years from ``as_of`` to the 15:30 IST close of ``expiry`` (calendar days / 365)."""
        return float(years_to_expiry(self.as_of, as_date(expiry), basis="calendar"))

    def forward(self, expiry: Any) -> float:
        """Forward of ``expiry``: the given one, else ``spot * exp(rate * T)``."""
        day = as_date(expiry)
        if day in self.forwards:
            return self.forwards[day]
        return self.spot * math.exp(self.rate * self.years_to(day))


class LegArrays(NamedTuple):
    """Per-leg arrays (one entry per leg) the vectorised kernels work on."""

    is_option: npt.NDArray[np.bool_]
    sign: FloatArray  # +1 call, -1 put, 0 future
    strike: FloatArray  # NaN for futures
    quantity: FloatArray
    premium: FloatArray
    iv: FloatArray  # NaN for futures
    t0: FloatArray  # years from as_of to the leg's expiry close
    carry: FloatArray  # ln(F/S)/T of the leg's expiry (rate when T == 0)
    front: npt.NDArray[np.bool_]  # expires at the front (earliest) expiry
    forward: FloatArray  # forward of the leg's expiry at the valuation instant
    rate: float


@dataclass(frozen=True)
class Strategy:
    """A multi-leg position in one underlying, valued in one market.

    Parameters
    ----------
    underlying
        Symbol, e.g. ``"NIFTY"``.
    legs
        One or more :class:`Leg`.
    market
        The :class:`MarketState` the strategy is valued in.

    Raises
    ------
    StrategyError
        No legs, or a leg that has expired at the valuation instant.
    """

    underlying: str
    legs: tuple[Leg, ...]
    market: MarketState

    def __post_init__(self) -> None:
        object.__setattr__(self, "legs", tuple(self.legs))
        if not self.legs:
            raise StrategyError("a strategy needs at least one leg")
        if not all(isinstance(leg, Leg) for leg in self.legs):
            raise StrategyError("legs must be Leg objects (build them with Leg(...))")
        expired = [leg.label for leg in self.legs if self.market.years_to(leg.expiry) <= 0.0]
        if expired:
            raise StrategyError(
                f"legs {expired} have expired at {self.market.as_of}; value the strategy "
                "at an earlier instant or drop them"
            )

    @property
    def expiries(self) -> tuple[dt.date, ...]:
        """Distinct expiries, earliest first."""
        return tuple(sorted({leg.expiry for leg in self.legs}))

    @property
    def front_expiry(self) -> dt.date:
        """The earliest expiry: "at expiry" analytics are at its 15:30 IST close."""
        return self.expiries[0]

    @cached_property
    def arrays(self) -> LegArrays:
        """The per-leg arrays (computed once; the calendar is not called again)."""
        m = self.market
        times = {e: m.years_to(e) for e in self.expiries}
        carry = {
            e: math.log(m.forward(e) / m.spot) / t if t > 0 else m.rate for e, t in times.items()
        }
        legs = self.legs
        sign = {"CE": 1.0, "PE": -1.0, "FUT": 0.0}
        nan = float("nan")
        return LegArrays(
            is_option=np.array([leg.instrument != "FUT" for leg in legs]),
            sign=np.array([sign[leg.instrument] for leg in legs]),
            strike=np.array([nan if leg.strike is None else leg.strike for leg in legs]),
            quantity=np.array([float(leg.quantity) for leg in legs]),
            premium=np.array([leg.premium for leg in legs]),
            iv=np.array([nan if leg.iv is None else leg.iv for leg in legs]),
            t0=np.array([times[leg.expiry] for leg in legs]),
            carry=np.array([carry[leg.expiry] for leg in legs]),
            front=np.array([leg.expiry == self.front_expiry for leg in legs]),
            forward=np.array(
                [m.spot * math.exp(carry[leg.expiry] * times[leg.expiry]) for leg in legs]
            ),
            rate=m.rate,
        )

    @property
    def front_years(self) -> float:
        """Years from the valuation instant to the front expiry's close."""
        return float(self.arrays.t0[self.arrays.front][0])

    @property
    def front_forward(self) -> float:
        """Forward of the front expiry at the valuation instant."""
        return float(self.arrays.forward[self.arrays.front][0])

    @property
    def days_to_front(self) -> float:
        """Calendar days (fractional) from the valuation instant to the front expiry's close."""
        return self.front_years * 365.0

    @property
    def is_piecewise_linear_at_expiry(self) -> bool:
        """True when every leg expiring after the front is a future (payoff is then linear)."""
        a = self.arrays
        return bool(np.all(a.front | ~a.is_option))


def default_lot_size(underlying: str, on_date: Any) -> int:
    """Lot size of ``underlying``'s index contracts on ``on_date`` from the calendar.

    Raises
    ------
    StrategyError
        For stocks (the calendar holds index lots only): pass ``lot_size`` explicitly.
    """
    try:
        return int(calendar_lot_size(underlying, as_date(on_date, "trade date")))
    except CalendarError as exc:
        raise StrategyError(
            f"{exc}; pass lot_size= explicitly (stock lots come from the contract master)"
        ) from exc
