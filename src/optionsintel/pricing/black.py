"""Black-Scholes-Merton and Black-76 European option prices, vectorised.

Glossary (textbook symbols used only inside the kernels)
--------------------------------------------------------
``S``      spot price of the underlying (``spot``)
``F``      forward (futures) price for the option's expiry (``forward``)
``K``      strike price (``strike``)
``T``      time to expiry in years (``time_to_expiry``)
``r``      continuously compounded risk-free rate (``rate``)
``q``      continuous dividend yield (``dividend_yield``)
``sigma``  Black volatility per year, 0.2 means 20 % (``volatility``)
``D``      discount factor ``exp(-r T)``
``theta``  option sign, +1 for a call (CE) and -1 for a put (PE); not the greek
``N``      standard normal cumulative distribution function

Every public function accepts scalars, ndarrays and pandas Series (broadcast
together). A Series in gives a Series out with the same index; scalars in give a
``float`` out.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from optionsintel._typing import ArrayLike
from optionsintel.pricing._inputs import (
    FloatArray,
    PricingInputError,
    as_arrays,
    require_non_negative,
    restore,
)

__all__ = ["black76_price", "black_scholes_price", "forward_from_spot"]


def _black_kernel(
    F: FloatArray, K: FloatArray, T: FloatArray, D: FloatArray, sigma: FloatArray, theta: FloatArray
) -> FloatArray:
    """Discounted Black-76 price ``D * theta * (F N(theta d1) - K N(theta d2))``."""
    total_vol = sigma * np.sqrt(T)
    with np.errstate(divide="ignore", invalid="ignore"):
        d1 = np.log(F / K) / total_vol + 0.5 * total_vol
        d2 = d1 - total_vol
        price = D * theta * (F * ndtr(theta * d1) - K * ndtr(theta * d2))
    # zero total volatility (sigma = 0 or T = 0): the price is the discounted intrinsic value
    intrinsic = D * np.maximum(theta * (F - K), 0.0)
    # (NaN total volatility compares unequal to 0, so NaN propagates)
    return np.where(total_vol == 0.0, intrinsic, np.maximum(price, intrinsic))


def _validate(F: FloatArray, K: FloatArray, T: FloatArray, sigma: FloatArray, what: str) -> None:
    if np.any(F <= 0) or np.any(K <= 0):
        raise PricingInputError(
            f"{what} and strike must be > 0; drop rows with zero or negative prices first"
        )
    require_non_negative(T, "time_to_expiry")
    require_non_negative(sigma, "volatility")


def forward_from_spot(
    spot: ArrayLike, time_to_expiry: ArrayLike, rate: ArrayLike, dividend_yield: ArrayLike = 0.0
) -> ArrayLike:
    """Forward price implied by cost of carry, ``F = S exp((r - q) T)``.

    Parameters
    ----------
    spot, time_to_expiry, rate, dividend_yield
        Spot price, years to expiry, continuous rate and continuous dividend yield.

    Returns
    -------
    float, ndarray or Series
        The forward price.

    Examples
    --------
    >>> round(forward_from_spot(100.0, 0.5, 0.1, 0.05), 6)
    102.531512
    """
    (S, T, r, q), index, scalar = as_arrays(
        spot=spot, time_to_expiry=time_to_expiry, rate=rate, dividend_yield=dividend_yield
    )
    return restore(S * np.exp((r - q) * T), index, scalar, "forward")


def black76_price(
    forward: ArrayLike,
    strike: ArrayLike,
    time_to_expiry: ArrayLike,
    rate: ArrayLike,
    volatility: ArrayLike,
    option_type: object,
) -> ArrayLike:
    r"""Black-76 price of a European option on a forward or futures price.

    Parameters
    ----------
    forward
        Forward (futures) price for the option's expiry, > 0.
    strike
        Strike price, > 0.
    time_to_expiry
        Time to expiry in years, >= 0 (0 gives the intrinsic value).
    rate
        Continuously compounded risk-free rate used for discounting (0.07 is 7 %).
    volatility
        Black volatility per year (0.2 is 20 %), >= 0.
    option_type
        ``"CE"``/``"PE"`` (also ``"call"``/``"put"``, ``"c"``/``"p"``), scalar or array.

    Returns
    -------
    float, ndarray or Series
        The option premium. NaN inputs give NaN.

    Raises
    ------
    PricingInputError
        Non-positive forward or strike, negative time or volatility, unknown option
        type, or shapes that cannot be broadcast.

    Notes
    -----
    With :math:`d_{1,2} = \ln(F/K)/(\sigma\sqrt T) \pm \sigma\sqrt T/2` and
    :math:`\theta = \pm 1` for calls/puts,

    .. math:: V = e^{-rT}\,\theta\,[F N(\theta d_1) - K N(\theta d_2)]

    Black (1976), "The pricing of commodity contracts"; Hull, *Options, Futures and
    Other Derivatives*, chapter "Futures options"; Haug (2007) p. 8.

    Examples
    --------
    py_vollib's Black-76 doctest value:

    >>> round(black76_price(100.0, 100.0, 0.5, 0.02, 0.2, "CE"), 12)
    5.581106724605
    """
    (F, K, T, r, sigma, theta), index, scalar = as_arrays(
        forward=forward,
        strike=strike,
        time_to_expiry=time_to_expiry,
        rate=rate,
        volatility=volatility,
        option_type=option_type,
    )
    _validate(F, K, T, sigma, "forward")
    price = _black_kernel(F, K, T, np.exp(-r * T), sigma, theta)
    return restore(price, index, scalar, "price")


def black_scholes_price(
    spot: ArrayLike,
    strike: ArrayLike,
    time_to_expiry: ArrayLike,
    rate: ArrayLike,
    volatility: ArrayLike,
    option_type: object,
    dividend_yield: ArrayLike = 0.0,
) -> ArrayLike:
    r"""Black-Scholes-Merton price of a European option on a spot price.

    Parameters
    ----------
    spot
        Spot price of the underlying, > 0.
    strike
        Strike price, > 0.
    time_to_expiry
        Time to expiry in years, >= 0 (0 gives the intrinsic value).
    rate
        Continuously compounded risk-free rate (0.07 is 7 %).
    volatility
        Volatility per year (0.2 is 20 %), >= 0.
    option_type
        ``"CE"``/``"PE"`` (also ``"call"``/``"put"``, ``"c"``/``"p"``), scalar or array.
    dividend_yield
        Continuous dividend yield (0.0 by default).

    Returns
    -------
    float, ndarray or Series
        The option premium. NaN inputs give NaN.

    Raises
    ------
    PricingInputError
        Non-positive spot or strike, negative time or volatility, unknown option type,
        or shapes that cannot be broadcast.

    Notes
    -----
    With :math:`d_{1,2} = [\ln(S/K) + (r - q \pm \sigma^2/2)T]/(\sigma\sqrt T)`,

    .. math:: V = \theta\,[S e^{-qT} N(\theta d_1) - K e^{-rT} N(\theta d_2)]

    which is Black-76 with :math:`F = S e^{(r-q)T}`. Hull, *Options, Futures and
    Other Derivatives*, chapter "The Black-Scholes-Merton
    model"; Haug (2007) p. 4.

    Examples
    --------
    Hull's Black-Scholes-Merton worked example (S=42, K=40, r=10 %, sigma=20 %,
    T=0.5: c = 4.76, p = 0.81):

    >>> round(black_scholes_price(42.0, 40.0, 0.5, 0.1, 0.2, "call"), 4)
    4.7594
    >>> round(black_scholes_price(42.0, 40.0, 0.5, 0.1, 0.2, "put"), 4)
    0.8086

    Haug (2007) p. 4, put with a dividend yield:

    >>> round(black_scholes_price(100.0, 95.0, 0.5, 0.1, 0.2, "PE", dividend_yield=0.05), 4)
    2.4648
    """
    (S, K, T, r, sigma, theta, q), index, scalar = as_arrays(
        spot=spot,
        strike=strike,
        time_to_expiry=time_to_expiry,
        rate=rate,
        volatility=volatility,
        option_type=option_type,
        dividend_yield=dividend_yield,
    )
    _validate(S, K, T, sigma, "spot")
    F = S * np.exp((r - q) * T)
    price = _black_kernel(F, K, T, np.exp(-r * T), sigma, theta)
    return restore(price, index, scalar, "price")
