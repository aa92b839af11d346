"""Option pricing: Black-Scholes-Merton and Black-76 prices, greeks and implied volatility."""

from optionsintel.pricing._inputs import PricingInputError
from optionsintel.pricing.black import black76_price, black_scholes_price, forward_from_spot

__all__ = ["PricingInputError", "black76_price", "black_scholes_price", "forward_from_spot"]
