"""Container handling, reason codes, errors and the parity-implied forward."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from optionsintel.errors import OptionsIntelError
from optionsintel.pricing import (
    GREEK_COLUMNS,
    IVReason,
    PricingInputError,
    black76_price,
    black_scholes_price,
    estimate_forward_and_discount,
    greeks,
    implied_forward,
    implied_volatility,
    implied_volatility_with_reason,
)


def test_series_in_series_out_scalar_in_float_out() -> None:
    index = pd.Index(["a", "b", "c"], name="symbol")
    strikes = pd.Series([90.0, 100.0, 110.0], index=index)
    types = pd.Series(["CE", "PE", "call"], index=index)
    price = black76_price(100.0, strikes, 0.25, 0.07, 0.2, types)
    assert isinstance(price, pd.Series) and price.index.equals(index)
    assert isinstance(black76_price(100.0, 100.0, 0.25, 0.07, 0.2, "c"), float)
    as_array = black76_price(100.0, strikes.to_numpy(), 0.25, 0.07, 0.2, types.to_numpy())
    assert isinstance(as_array, np.ndarray)
    assert_allclose(as_array, price.to_numpy(), rtol=0, atol=0)
    iv = implied_volatility(price, 100.0, strikes, 0.25, 0.07, types)
    assert isinstance(iv, pd.Series) and iv.index.equals(index)
    assert_allclose(iv, 0.2, rtol=1e-12)
    frame = greeks(100.0, strikes, 0.25, 0.07, 0.2, types)
    assert list(frame.columns) == list(GREEK_COLUMNS) and frame.index.equals(index)
    assert set(greeks(100.0, 100.0, 0.25, 0.07, 0.2, "PE")) == set(GREEK_COLUMNS)


def test_option_type_spellings_are_equivalent() -> None:
    calls = black76_price(100.0, 95.0, 0.5, 0.05, 0.3, ["CE", "ce", "call", "C", "c", 1][:5])
    assert np.ptp(calls) == 0.0
    puts = black76_price(100.0, 95.0, 0.5, 0.05, 0.3, np.array([-1, -1]))
    assert puts[0] == black76_price(100.0, 95.0, 0.5, 0.05, 0.3, "PE")


def test_iv_reason_codes_for_bad_quotes() -> None:
    F, K, T, r = 100.0, np.array([90.0] * 8), np.full(8, 0.5), 0.05
    T[3] = 0.0
    prices = np.array([5.0, 200.0, 12.0, 12.0, 0.0, np.nan, 12.0, 12.0])
    K[6] = -5.0
    K[7] = np.nan
    result = implied_volatility_with_reason(prices, F, K, T, r, "CE")
    expected = [
        IVReason.BELOW_INTRINSIC, IVReason.ABOVE_MAX, IVReason.OK, IVReason.EXPIRED,
        IVReason.NON_POSITIVE_PRICE, IVReason.NON_POSITIVE_PRICE, IVReason.INVALID_INPUT,
        IVReason.INVALID_INPUT,
    ]  # fmt: skip
    assert list(result["reason"]) == [int(e) for e in expected]
    assert result["iv"].isna().tolist() == [e != IVReason.OK for e in expected]
    assert 0.0 < result["iv"][2] < 1.0


def test_iv_deep_itm_otm_and_near_expiry() -> None:
    """A NIFTY-like chain one hour before expiry and three months out."""
    F, r = 24_350.0, 0.065
    strikes = np.arange(20_000.0, 29_000.0, 50.0)
    for T in (1.0 / (365 * 24), 1.0 / 365, 0.25):
        for flag in ("CE", "PE"):
            price = black76_price(F, strikes, T, r, 0.14, flag)
            result = implied_volatility_with_reason(price, F, strikes, T, r, flag)
            ok = result["reason"].to_numpy() == IVReason.OK
            repriced = black76_price(F, strikes[ok], T, r, result["iv"].to_numpy()[ok], flag)
            assert_allclose(repriced, price[ok], rtol=0, atol=1e-10)
            solvable = (
                price - np.exp(-r * T) * np.maximum((F - strikes) * (1 if flag == "CE" else -1), 0)
                > 1e-12
            )
            assert ok[solvable].all()


def test_black_scholes_iv_uses_carry_forward() -> None:
    price = black_scholes_price(100.0, 95.0, 0.5, 0.1, 0.2, "PE", dividend_yield=0.05)
    iv = implied_volatility(price, 100.0, 95.0, 0.5, 0.1, "PE", "black_scholes", 0.05)
    assert iv == pytest.approx(0.2, abs=1e-13)


@pytest.mark.parametrize(
    "call",
    [
        lambda: black76_price(100.0, 100.0, 0.5, 0.0, 0.2, "straddle"),
        lambda: black76_price(-1.0, 100.0, 0.5, 0.0, 0.2, "CE"),
        lambda: black76_price(100.0, 100.0, -0.5, 0.0, 0.2, "CE"),
        lambda: black76_price(100.0, 100.0, 0.5, 0.0, -0.2, "CE"),
        lambda: black76_price(100.0, [1.0, 2.0], 0.5, 0.0, [0.1, 0.2, 0.3], "CE"),
        lambda: black76_price(
            pd.Series([1.0], index=[1]), pd.Series([1.0], index=[2]), 1, 0, 0.1, "c"
        ),
        lambda: implied_volatility(5.0, 100.0, 100.0, 0.5, 0.0, "CE", model="bachelier"),
        lambda: implied_volatility(5.0, 100.0, 100.0, 0.5, 0.0, "CE", dividend_yield=0.01),
        lambda: greeks(100.0, 100.0, 0.5, 0.0, 0.2, "CE", model="heston"),
    ],
)
def test_bad_input_raises_clear_error(call) -> None:
    with pytest.raises(PricingInputError) as info:
        call()
    assert isinstance(info.value, OptionsIntelError) and len(str(info.value)) > 20


def test_zero_volatility_and_expiry_give_intrinsic() -> None:
    assert black76_price(110.0, 100.0, 0.0, 0.05, 0.2, "CE") == 10.0
    assert black76_price(110.0, 100.0, 1.0, 0.05, 0.0, "CE") == pytest.approx(
        10.0 * math.exp(-0.05)
    )
    assert math.isnan(black76_price(110.0, 100.0, 1.0, 0.05, np.nan, "CE"))
    assert math.isnan(greeks(110.0, 100.0, 0.0, 0.05, 0.2, "CE")["delta"])


def _chain(F: float = 24_312.5, D: float = 0.995, vol: float = 0.15, T: float = 0.05):
    strikes = np.arange(23_000.0, 25_600.0, 100.0)
    r = -math.log(D) / T
    return (
        strikes,
        black76_price(F, strikes, T, r, vol, "CE"),
        black76_price(F, strikes, T, r, vol, "PE"),
        T,
        r,
    )


def test_implied_forward_recovers_forward_and_discount() -> None:
    strikes, calls, puts, T, r = _chain()
    assert implied_forward(strikes, calls, puts, T, r) == pytest.approx(24_312.5, abs=1e-8)
    est = estimate_forward_and_discount(strikes, calls, puts)
    assert est.forward == pytest.approx(24_312.5, abs=1e-6)
    assert est.discount_factor == pytest.approx(0.995, abs=1e-12)
    assert est.strikes_used == 7


def test_implied_forward_robust_to_a_bad_quote_and_missing_prices() -> None:
    strikes, calls, puts, T, r = _chain()
    calls = calls.copy()
    atm = np.argmin(np.abs(strikes - 24_312.5))
    calls[atm] += 40.0  # one stale quote at the money
    calls[0] = np.nan
    puts[-1] = 0.0
    assert implied_forward(strikes, calls, puts, T, r) == pytest.approx(24_312.5, abs=1e-6)
    assert estimate_forward_and_discount(strikes, calls, puts).forward == pytest.approx(
        24_312.5, abs=1e-6
    )


def test_implied_forward_errors() -> None:
    with pytest.raises(PricingInputError, match="at least 1"):
        implied_forward([100.0], [np.nan], [1.0], 0.1, 0.05)
    with pytest.raises(PricingInputError, match="equal lengths"):
        implied_forward([100.0, 105.0], [1.0], [1.0], 0.1, 0.05)
    with pytest.raises(PricingInputError, match="at least 2"):
        estimate_forward_and_discount([100.0], [2.0], [1.0])
