"""Option pricing: Black-Scholes-Merton and Black-76 prices, greeks, implied volatility.

Public API
----------
:func:`black_scholes_price`, :func:`black76_price`, :func:`forward_from_spot`
    Vectorised European option prices.
:func:`greeks`
    Delta, gamma, vega (per 1.00 and per vol point), theta (per year and per day), rho.
:func:`implied_volatility`, :func:`implied_volatility_with_reason`
    Implied Black volatility, NaN plus an :class:`IVReason` where none exists.
:func:`implied_forward`, :func:`estimate_forward_and_discount`
    Forward (and discount factor) implied by put-call parity on one expiry.
"""

from optionsintel.pricing._inputs import PricingInputError
from optionsintel.pricing.black import black76_price, black_scholes_price, forward_from_spot
from optionsintel.pricing.forward import (
    ForwardEstimate,
    estimate_forward_and_discount,
    implied_forward,
)
from optionsintel.pricing.greeks import GREEK_COLUMNS, greeks
from optionsintel.pricing.implied_vol import (
    ImpliedVolatilityResult,
    IVReason,
    PricingModel,
    implied_volatility,
    implied_volatility_with_reason,
)

__all__ = [
    "GREEK_COLUMNS",
    "ForwardEstimate",
    "IVReason",
    "ImpliedVolatilityResult",
    "PricingInputError",
    "PricingModel",
    "black76_price",
    "black_scholes_price",
    "estimate_forward_and_discount",
    "forward_from_spot",
    "greeks",
    "implied_forward",
    "implied_volatility",
    "implied_volatility_with_reason",
]
