"""Implied Black volatility for Black-76 and Black-Scholes-Merton option prices.

The solver (numba, parallel over options) reduces every quote to the
out-of-the-money time value by put-call parity, normalises it to
``beta = V_otm / (D sqrt(F K))`` and inverts the normalised Black function with
bracketed Halley iterations on log-transformed objectives (details in
:mod:`optionsintel.pricing._iv_kernel`). A quote with no valid volatility gets NaN
and a :class:`IVReason` instead of a wrong number.

Glossary
--------
``F`` forward, ``S`` spot, ``K`` strike, ``T`` years to expiry, ``r`` rate,
``q`` dividend yield, ``D = exp(-r T)``, ``sigma`` Black volatility.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd

from optionsintel._typing import ArrayLike
from optionsintel.pricing._inputs import PricingInputError, as_arrays, restore
from optionsintel.pricing._iv_kernel import implied_volatility_kernel

__all__ = [
    "IVReason",
    "ImpliedVolatilityResult",
    "implied_volatility",
    "implied_volatility_with_reason",
]

PricingModel = Literal["black76", "black_scholes"]


class IVReason(IntEnum):
    """Why an implied volatility is (or is not) available.

    ``OK`` has a volatility; every other code comes with NaN.
    """

    OK = 0
    BELOW_INTRINSIC = 1  # price at or below discounted intrinsic value
    ABOVE_MAX = 2  # price at or above D*F (call) or D*K (put)
    EXPIRED = 3  # time_to_expiry <= 0
    NON_POSITIVE_PRICE = 4  # price zero, negative or NaN
    NO_CONVERGENCE = 5  # time value too small to resolve in double precision
    INVALID_INPUT = 6  # NaN/inf or non-positive forward/spot/strike, NaN rate or time


class ImpliedVolatilityResult(NamedTuple):
    """Implied volatility of one option and the reason code."""

    iv: float
    reason: IVReason


def _solve(
    price, forward_or_spot, strike, time_to_expiry, rate, option_type, model, dividend_yield
):
    if model not in ("black76", "black_scholes"):
        raise PricingInputError(f"model must be 'black76' or 'black_scholes', got {model!r}")
    if model == "black76" and np.any(np.asarray(dividend_yield) != 0.0):
        raise PricingInputError(
            "dividend_yield applies to model='black_scholes' only; a Black-76 forward "
            "already contains the carry"
        )
    arrays, index, scalar = as_arrays(
        price=price,
        forward_or_spot=forward_or_spot,
        strike=strike,
        time_to_expiry=time_to_expiry,
        rate=rate,
        dividend_yield=dividend_yield,
        option_type=option_type,
    )
    shape = arrays[0].shape
    flat = [np.ascontiguousarray(a.reshape(-1)) for a in arrays]
    iv, reason = implied_volatility_kernel(*flat, model == "black_scholes")
    return iv.reshape(shape), reason.reshape(shape), index, scalar


def implied_volatility(
    price: ArrayLike,
    forward_or_spot: ArrayLike,
    strike: ArrayLike,
    time_to_expiry: ArrayLike,
    rate: ArrayLike,
    option_type: object,
    model: PricingModel = "black76",
    dividend_yield: ArrayLike = 0.0,
) -> ArrayLike:
    r"""Implied Black volatility of European option prices.

    Parameters
    ----------
    price
        Option premium (e.g. a mid price).
    forward_or_spot
        Forward (futures) price for ``model="black76"``, spot price for
        ``model="black_scholes"``.
    strike
        Strike price.
    time_to_expiry
        Time to expiry in years.
    rate
        Continuously compounded risk-free rate (0.07 is 7 %).
    option_type
        ``"CE"``/``"PE"`` (also ``"call"``/``"put"``, ``"c"``/``"p"``, +1/-1).
    model
        ``"black76"`` (default) or ``"black_scholes"``
        (then ``F = S exp((r - q) T)``).
    dividend_yield
        Continuous dividend yield; only for ``"black_scholes"``.

    Returns
    -------
    float, ndarray or Series
        Annualised volatility (0.2 is 20 %); NaN where no volatility reproduces the
        price. Use :func:`implied_volatility_with_reason` to learn why.

    Raises
    ------
    PricingInputError
        Unknown model or option type, a dividend yield with Black-76, or arguments
        that cannot be broadcast.

    Notes
    -----
    Solves :math:`V_{Black}(F, K, T, r, \sigma) = V` for :math:`\sigma`. The
    normalised price :math:`b(x, s)=e^{x/2}N(x/s+s/2)-e^{-x/2}N(x/s-s/2)` with
    :math:`x=-|\ln(F/K)|`, :math:`s=\sigma\sqrt T` is inverted as in Jaeckel,
    "Let's Be Rational" (Wilmott 2015), section 2 (normalisation, inflexion point
    :math:`s_c=\sqrt{2|x|}`, log-transformed objectives), with bracketed Halley
    steps instead of rational initial guesses. Prices reproduce to about
    :math:`10^{-13}` relative to the forward.

    Examples
    --------
    py_vollib's doctest (S=100, K=100, T=0.5, r=1 %, price 5.87602423383):

    >>> round(implied_volatility(5.87602423383, 100.0, 100.0, 0.5, 0.01, "c",
    ...                          model="black_scholes"), 9)
    0.2
    """
    iv, _, index, scalar = _solve(
        price, forward_or_spot, strike, time_to_expiry, rate, option_type, model, dividend_yield
    )
    return restore(iv, index, scalar, "iv")


def implied_volatility_with_reason(
    price: ArrayLike,
    forward_or_spot: ArrayLike,
    strike: ArrayLike,
    time_to_expiry: ArrayLike,
    rate: ArrayLike,
    option_type: object,
    model: PricingModel = "black76",
    dividend_yield: ArrayLike = 0.0,
) -> pd.DataFrame | ImpliedVolatilityResult:
    """Implied volatility together with an :class:`IVReason` code per option.

    Parameters are those of :func:`implied_volatility`.

    Returns
    -------
    DataFrame or ImpliedVolatilityResult
        For array or Series input a frame with columns ``iv`` (float) and
        ``reason`` (int8 :class:`IVReason` codes; the Series' index is kept). For
        scalar input an :class:`ImpliedVolatilityResult` ``(iv, reason)``.

    Raises
    ------
    PricingInputError
        As :func:`implied_volatility`.

    Examples
    --------
    >>> implied_volatility_with_reason(1.0, 100.0, 90.0, 0.5, 0.0, "CE")
    ImpliedVolatilityResult(iv=nan, reason=<IVReason.BELOW_INTRINSIC: 1>)
    """
    iv, reason, index, scalar = _solve(
        price, forward_or_spot, strike, time_to_expiry, rate, option_type, model, dividend_yield
    )
    if scalar:
        return ImpliedVolatilityResult(
            float(iv.reshape(-1)[0]), IVReason(int(reason.reshape(-1)[0]))
        )
    return pd.DataFrame({"iv": iv.reshape(-1), "reason": reason.reshape(-1)}, index=index)
