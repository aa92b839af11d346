"""Hypothesis properties of strategy payoffs, breakevens, POP and greeks."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from strategy_builders import FAR, NEAR, market

from optionsintel.strategies import (
    STRATEGY_GREEKS,
    Leg,
    Strategy,
    breakevens,
    payoff_at,
    payoff_at_expiry,
    probability_of_profit,
    profit_range,
    strategy_greeks,
)

GRID = np.linspace(20_000.0, 30_000.0, 4001)
MARKET = market()

legs = st.builds(
    lambda kind, side, k, lots, premium, iv: Leg(
        kind, side, NEAR, lots, 75, 25_000.0 + premium * 10 if kind == "FUT" else premium,
        None if kind == "FUT" else 23_000.0 + 50.0 * k, None if kind == "FUT" else iv,
    ),
    st.sampled_from(["CE", "PE", "CE", "PE", "FUT"]),
    st.sampled_from(["buy", "sell"]),
    st.integers(0, 80),
    st.integers(1, 4),
    st.floats(0.0, 600.0),
    st.floats(0.05, 0.6),
)  # fmt: skip
strategies = st.lists(legs, min_size=1, max_size=4).map(lambda ls: Strategy("NIFTY", ls, MARKET))
SETTINGS = settings(max_examples=60, deadline=None)


def _scaled(s: Strategy, n: int) -> Strategy:
    return Strategy(
        s.underlying, tuple(replace(leg, lots=leg.lots * n) for leg in s.legs), s.market
    )


@SETTINGS
@given(strategies, st.integers(2, 5), st.floats(0.0, 10.0))
def test_payoff_is_linear_in_lots(s, n, days):
    big = _scaled(s, n)
    assert_allclose(
        payoff_at_expiry(big, GRID), n * payoff_at_expiry(s, GRID), rtol=1e-12, atol=1e-6
    )
    assert_allclose(payoff_at(big, GRID, days), n * payoff_at(s, GRID, days), rtol=1e-12, atol=1e-6)
    assert_allclose(breakevens(big).prices, breakevens(s).prices, rtol=1e-9)
    assert_allclose(
        strategy_greeks(big).loc["net", list(STRATEGY_GREEKS)],
        n * strategy_greeks(s).loc["net", list(STRATEGY_GREEKS)],
        rtol=1e-12, atol=1e-9,
    )  # fmt: skip


@SETTINGS
@given(legs, st.floats(0.0, 10.0), st.floats(-0.04, 0.2))
def test_buying_and_selling_the_same_leg_is_flat(leg, days, shift):
    other = replace(leg, side="sell" if leg.side == "buy" else "buy")
    s = Strategy("NIFTY", (leg, other), MARKET)
    assert np.all(payoff_at_expiry(s, GRID) == 0.0)
    assert np.all(payoff_at(s, GRID, days, iv_shift=shift) == 0.0)
    assert np.all(strategy_greeks(s).loc["net", list(STRATEGY_GREEKS)] == 0.0)
    assert probability_of_profit(s).probability == 0.0
    r = profit_range(s)
    assert r.max_profit == r.max_loss == 0.0


@SETTINGS
@given(strategies)
def test_breakevens_are_the_zeros_and_every_sign_change_of_the_payoff(s):
    be = np.array(breakevens(s).prices)
    scale = sum(abs(leg.quantity) * (leg.premium + 30_000.0) for leg in s.legs)
    if be.size:
        assert np.all(np.abs(payoff_at_expiry(s, be)) <= 1e-9 * scale)
    pnl = payoff_at_expiry(s, GRID)
    sign = np.sign(np.where(np.abs(pnl) <= 1e-9 * scale, 0.0, pnl))
    crossings = np.flatnonzero(sign[:-1] * sign[1:] < 0)
    for i in crossings:  # every crossing on the grid has a breakeven inside its cell
        assert np.any((be >= GRID[i]) & (be <= GRID[i + 1]))


@SETTINGS
@given(strategies)
def test_profit_range_bounds_the_payoff_and_pop_is_a_probability(s):
    r = profit_range(s)
    pnl = payoff_at_expiry(s, GRID)
    tol = 1e-9 * max(1.0, float(np.abs(pnl).max()))
    assert pnl.max() <= r.max_profit + tol and pnl.min() >= r.max_loss - tol
    pop = probability_of_profit(s).probability
    flipped = Strategy(
        "NIFTY",
        tuple(replace(x, side="sell" if x.side == "buy" else "buy") for x in s.legs),
        s.market,
    )
    assert 0.0 <= pop <= 1.0
    assert pop + probability_of_profit(flipped).probability <= 1.0 + 1e-12


@SETTINGS
@given(st.floats(0.05, 0.5), st.floats(0.05, 0.5), st.integers(-10, 10))
def test_calendar_roots_are_zeros(iv_near, iv_far, k):
    strike = 25_000.0 + 50.0 * k
    m = MARKET
    near = Leg("CE", "sell", NEAR, 1, 75, 250.0, strike, iv_near)
    far = Leg("CE", "buy", FAR, 1, 75, 420.0, strike, iv_far)
    s = Strategy("NIFTY", (near, far), m)
    be = breakevens(s)
    assert be.method == "brentq"
    if be.prices:
        assert np.all(np.abs(payoff_at_expiry(s, np.array(be.prices))) <= 1e-4)
