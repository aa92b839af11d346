"""Forward price (and discount factor) implied by put-call parity on one expiry.

For European options on one expiry, ``C(K) - P(K) = D (F - K)``: the call-put
difference is linear in the strike with slope ``-D`` and intercept ``D F``. Quotes
far from the money are wide and stale, so only the strikes nearest the money (where
``|C - P|`` is smallest) are used, and medians keep one bad quote from moving the
answer.

Glossary: ``K`` strike, ``C``/``P`` call/put prices, ``F`` forward, ``D`` discount
factor ``exp(-r T)``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from optionsintel._typing import ArrayLike
from optionsintel.pricing._inputs import FloatArray, PricingInputError

__all__ = ["ForwardEstimate", "estimate_forward_and_discount", "implied_forward"]


class ForwardEstimate(NamedTuple):
    """Parity-implied forward, discount factor and the number of strikes used."""

    forward: float
    discount_factor: float
    strikes_used: int


def _near_money_pairs(
    strikes: ArrayLike, call_prices: ArrayLike, put_prices: ArrayLike, n_strikes: int, minimum: int
) -> tuple[FloatArray, FloatArray]:
    K, C, P = (
        np.asarray(a, dtype=np.float64).reshape(-1) for a in (strikes, call_prices, put_prices)
    )
    if not (K.shape == C.shape == P.shape):
        raise PricingInputError(
            "strikes, call_prices and put_prices must have equal lengths, "
            f"got {K.size}, {C.size}, {P.size}"
        )
    valid = np.isfinite(K) & np.isfinite(C) & np.isfinite(P) & (K > 0) & (C > 0) & (P > 0)
    if valid.sum() < minimum:
        raise PricingInputError(
            f"need at least {minimum} strikes with positive call and put prices to imply a "
            f"forward, found {int(valid.sum())}; check the chain has two-sided quotes"
        )
    K, diff = K[valid], (C - P)[valid]
    nearest = np.argsort(np.abs(diff), kind="stable")[: max(n_strikes, minimum)]
    return K[nearest], diff[nearest]


def implied_forward(
    strikes: ArrayLike,
    call_prices: ArrayLike,
    put_prices: ArrayLike,
    time_to_expiry: float,
    rate: float,
    n_strikes: int = 5,
) -> float:
    """Forward price implied by put-call parity, discounting at ``rate``.

    Parameters
    ----------
    strikes
        Strikes of one expiry (array or Series).
    call_prices, put_prices
        Call and put prices (mids) at those strikes; NaN or non-positive prices are
        ignored.
    time_to_expiry
        Years to the expiry.
    rate
        Continuous rate used for the discount factor ``exp(-rate * time_to_expiry)``.
    n_strikes
        How many strikes nearest the money (smallest ``|C - P|``) to use.

    Returns
    -------
    float
        The median over those strikes of ``K + (C - P) / D``.

    Raises
    ------
    PricingInputError
        Unequal lengths, or no strike with both prices positive.

    Notes
    -----
    Put-call parity for European options, :math:`C - P = e^{-rT}(F - K)`
    (Hull, *Options, Futures and Other Derivatives*, chapter "Properties of stock
    options").

    Examples
    --------
    >>> round(implied_forward([95, 100, 105], [8.0, 5.0, 2.5], [2.6, 4.6, 7.1], 0.25, 0.0), 6)
    100.4
    """
    K, diff = _near_money_pairs(strikes, call_prices, put_prices, n_strikes, 1)
    discount = np.exp(-rate * time_to_expiry)
    return float(np.median(K + diff / discount))


def estimate_forward_and_discount(
    strikes: ArrayLike, call_prices: ArrayLike, put_prices: ArrayLike, n_strikes: int = 7
) -> ForwardEstimate:
    """Forward and discount factor from the slope and level of ``C - P`` against ``K``.

    Parameters
    ----------
    strikes, call_prices, put_prices
        As for :func:`implied_forward`; at least two usable strikes.
    n_strikes
        How many strikes nearest the money to regress on.

    Returns
    -------
    ForwardEstimate
        ``forward``, ``discount_factor`` and ``strikes_used``.

    Raises
    ------
    PricingInputError
        Fewer than two usable strikes, or quotes implying a non-positive discount
        factor (the chain's quotes are inconsistent).

    Notes
    -----
    Theil-Sen regression of :math:`C - P = D F - D K`: :math:`D` is minus the median
    of pairwise slopes, :math:`D F` the median of :math:`C - P + D K` (Sen 1968).

    Examples
    --------
    Quotes generated with F = 101 and D = 0.99:

    >>> est = estimate_forward_and_discount([95, 100, 105], [7.94, 4.99, 3.04], [2.0, 4.0, 7.0])
    >>> round(est.forward, 9), round(est.discount_factor, 9), est.strikes_used
    (101.0, 0.99, 3)
    """
    K, diff = _near_money_pairs(strikes, call_prices, put_prices, n_strikes, 2)
    i, j = np.triu_indices(K.size, k=1)
    distinct = K[i] != K[j]
    if not distinct.any():
        raise PricingInputError("the usable quotes all share one strike; need two distinct strikes")
    slopes: npt.NDArray[np.float64] = (diff[j] - diff[i])[distinct] / (K[j] - K[i])[distinct]
    discount = -float(np.median(slopes))
    if not discount > 0.0:
        raise PricingInputError(
            f"call-put differences imply a discount factor of {discount:.4g} (<= 0); "
            "the quotes are inconsistent, use implied_forward with a known rate"
        )
    level = float(np.median(diff + discount * K))
    return ForwardEstimate(level / discount, discount, int(K.size))
