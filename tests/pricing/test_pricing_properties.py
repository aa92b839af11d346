"""Property tests (hypothesis) of prices, greeks and implied volatility.

Tolerances: relations between prices hold to 1e-9 relative to the larger of forward
and strike (double-precision rounding of the formulas); the implied-volatility round
trip reproduces the price to 1e-10 absolute (plus 4 machine epsilons relative:
a double cannot resolve 1e-10 on premiums above about 1e5).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from optionsintel.pricing import (
    IVReason,
    black76_price,
    black_scholes_price,
    greeks,
    implied_volatility,
    implied_volatility_with_reason,
)

forwards = st.floats(1.0, 1e5)
log_moneyness = st.floats(-2.0, 2.0)
hour = 1.0 / (365.0 * 24.0)
times = st.floats(hour, 5.0)
vols = st.floats(0.01, 3.0)
rates = st.floats(-0.02, 0.15)
dividends = st.floats(0.0, 0.08)
flags = st.sampled_from(["CE", "PE"])
settings.register_profile("pricing", max_examples=200, deadline=None)
settings.load_profile("pricing")


@given(forwards, log_moneyness, times, rates, vols)
def test_put_call_parity_black76(F: float, k: float, T: float, r: float, sigma: float) -> None:
    K = F * math.exp(k)
    call = black76_price(F, K, T, r, sigma, "CE")
    put = black76_price(F, K, T, r, sigma, "PE")
    assert abs(call - put - math.exp(-r * T) * (F - K)) <= 1e-9 * max(F, K)


@given(forwards, log_moneyness, times, rates, vols, dividends)
def test_put_call_parity_black_scholes(S, k, T, r, sigma, q) -> None:
    K = S * math.exp(k)
    call = black_scholes_price(S, K, T, r, sigma, "c", dividend_yield=q)
    put = black_scholes_price(S, K, T, r, sigma, "p", dividend_yield=q)
    parity = S * math.exp(-q * T) - K * math.exp(-r * T)
    assert abs(call - put - parity) <= 1e-9 * max(S, K)


@given(forwards, log_moneyness, st.floats(1e-3, 0.5), times, rates, vols)
def test_call_decreasing_and_convex_in_strike(F, k, step, T, r, sigma) -> None:
    strikes = F * math.exp(k) * np.array([1.0, 1.0 + step, 1.0 + 2 * step])
    c = black76_price(F, strikes, T, r, sigma, "CE")
    tol = 1e-9 * max(F, strikes[-1])
    assert c[0] >= c[1] - tol and c[1] >= c[2] - tol
    assert c[0] - 2.0 * c[1] + c[2] >= -tol


@given(forwards, log_moneyness, times, rates, vols, vols, flags)
def test_price_increasing_in_vol(F, k, T, r, s1, s2, flag) -> None:
    K = F * math.exp(k)
    low, high = sorted((s1, s2))
    assert black76_price(F, K, T, r, low, flag) <= black76_price(F, K, T, r, high, flag) + 1e-12 * F


@given(forwards, log_moneyness, times, rates, vols, flags)
def test_vega_positive(F, k, T, r, sigma, flag) -> None:
    g = greeks(F, F * math.exp(k), T, r, sigma, flag)
    assert g["vega"] >= 0.0 and g["gamma"] >= 0.0
    total_vol = sigma * math.sqrt(T)
    if abs(k) / total_vol < 30.0:  # beyond that exp(-d1^2/2) underflows to 0
        assert g["vega"] > 0.0
    assert math.isclose(g["vega_pct"], g["vega"] / 100.0, rel_tol=1e-15)


def _round_trip_tolerance(price: float) -> float:
    return 1e-10 + 4.0 * np.finfo(float).eps * price


def _otm_time_value(price: float, F: float, K: float, T: float, r: float, flag: str) -> float:
    sign = 1.0 if flag == "CE" else -1.0
    return price - math.exp(-r * T) * max(sign * (F - K), 0.0)


@pytest.mark.slow
@given(forwards, log_moneyness, times, rates, vols, flags)
def test_iv_round_trip_black76(F, k, T, r, sigma, flag) -> None:
    K = F * math.exp(k)
    price = black76_price(F, K, T, r, sigma, flag)
    assume(_otm_time_value(price, F, K, T, r, flag) > 1e-12)
    result = implied_volatility_with_reason(price, F, K, T, r, flag)
    assert result.reason == IVReason.OK
    assert abs(black76_price(F, K, T, r, result.iv, flag) - price) <= _round_trip_tolerance(price)


@pytest.mark.slow
@given(forwards, log_moneyness, times, rates, vols, dividends, flags)
def test_iv_round_trip_black_scholes(S, k, T, r, sigma, q, flag) -> None:
    K = S * math.exp(k)
    price = black_scholes_price(S, K, T, r, sigma, flag, dividend_yield=q)
    F = S * math.exp((r - q) * T)
    assume(_otm_time_value(price, F, K, T, r, flag) > 1e-12)
    iv = implied_volatility(price, S, K, T, r, flag, model="black_scholes", dividend_yield=q)
    repriced = black_scholes_price(S, K, T, r, iv, flag, dividend_yield=q)
    assert abs(repriced - price) <= _round_trip_tolerance(price)


@given(forwards, log_moneyness, times, rates, vols, flags)
def test_iv_never_wrong(F, k, T, r, sigma, flag) -> None:
    """Solved or not, a returned volatility always reprices; otherwise NaN with a reason."""
    K = F * math.exp(k)
    price = black76_price(F, K, T, r, sigma, flag)
    result = implied_volatility_with_reason(price, F, K, T, r, flag)
    if result.reason == IVReason.OK:
        assert abs(black76_price(F, K, T, r, result.iv, flag) - price) <= _round_trip_tolerance(
            price
        )
    else:
        assert math.isnan(result.iv)


@pytest.mark.slow
@given(forwards, log_moneyness, times, rates, flags, st.floats(1e-6, 0.99))
def test_reason_below_intrinsic_and_above_max(F, k, T, r, flag, fraction) -> None:
    K = F * math.exp(k)
    D = math.exp(-r * T)
    intrinsic = D * max((F - K) if flag == "CE" else (K - F), 0.0)
    upper = D * (F if flag == "CE" else K)
    assume(intrinsic > 1e-6 * upper)
    below = implied_volatility_with_reason(intrinsic * fraction, F, K, T, r, flag)
    assert below.reason == IVReason.BELOW_INTRINSIC and math.isnan(below.iv)
    above = implied_volatility_with_reason(upper * (1.0 + fraction), F, K, T, r, flag)
    assert above.reason == IVReason.ABOVE_MAX and math.isnan(above.iv)
