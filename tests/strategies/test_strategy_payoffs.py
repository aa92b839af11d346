"""Payoffs, breakevens and P&L ranges of every template against hand-derived closed forms.

Each leg is priced with Black-76 on a smile (every leg at its own IV), so premiums are
realistic and different; the closed forms below use only those premiums and the strikes.
Units: ``q = 75`` units per lot (NIFTY on 2025-07-10).
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from strategy_builders import FAR, LOT, NEAR, SPOT, STEP, build, smile

from optionsintel.pricing import black76_price
from optionsintel.strategies import (
    bear_call_spread,
    bear_put_spread,
    breakevens,
    bull_call_spread,
    bull_put_spread,
    calendar_spread,
    call_butterfly,
    covered_call,
    covered_put,
    diagonal_spread,
    iron_butterfly,
    iron_condor,
    leg_payoffs,
    long_straddle,
    long_strangle,
    payoff_at,
    payoff_at_expiry,
    price_grid,
    profit_range,
    put_butterfly,
    ratio_spread,
    short_straddle,
    short_strangle,
    tail_slopes,
)

K = SPOT
W = 2 * STEP  # widths of two strike steps
Q = float(LOT)
GRID = np.linspace(20_000.0, 30_000.0, 10_001)


def _p(strategy):
    return [leg.premium for leg in strategy.legs]


def _check(strategy, be, max_profit, max_loss, profit_unbounded=False, loss_unbounded=False):
    b = breakevens(strategy)
    assert b.method == "exact"
    assert_allclose(b.prices, be, rtol=0, atol=1e-7)
    r = profit_range(strategy)
    assert (r.profit_unbounded, r.loss_unbounded) == (profit_unbounded, loss_unbounded)
    if not profit_unbounded:
        assert r.max_profit == pytest.approx(max_profit, abs=1e-7)
    if not loss_unbounded:
        assert r.max_loss == pytest.approx(max_loss, abs=1e-7)
    # the exact extremes bound the grid and the payoff vanishes at the breakevens
    pnl = payoff_at_expiry(strategy, GRID)
    assert pnl.max() <= r.max_profit + 1e-7 and pnl.min() >= r.max_loss - 1e-7
    assert_allclose(payoff_at_expiry(strategy, np.array(be)), 0.0, atol=1e-7)


def test_long_straddle_breaks_even_at_strike_plus_minus_total_premium():
    s = build(long_straddle(K, NEAR), vol=smile)
    total = sum(_p(s))
    _check(s, [K - total, K + total], None, -total * Q, profit_unbounded=True)


def test_short_straddle_mirrors_the_long_one():
    s = build(short_straddle(K, NEAR), vol=smile)
    total = sum(_p(s))
    _check(s, [K - total, K + total], total * Q, None, loss_unbounded=True)


def test_strangles():
    s = build(long_strangle(K, STEP, NEAR, 2), vol=smile)
    total = sum(_p(s))
    _check(s, [K - W - total, K + W + total], None, -total * Q, profit_unbounded=True)
    s = build(short_strangle(K, STEP, NEAR, 2), vol=smile)
    total = sum(_p(s))
    _check(s, [K - W - total, K + W + total], total * Q, None, loss_unbounded=True)


def test_vertical_spreads():
    s = build(bull_call_spread(K, STEP, NEAR, 2), vol=smile)
    debit = _p(s)[0] - _p(s)[1]
    _check(s, [K + debit], (W - debit) * Q, -debit * Q)
    s = build(bear_call_spread(K, STEP, NEAR, 2), vol=smile)
    credit = _p(s)[0] - _p(s)[1]
    _check(s, [K + credit], credit * Q, -(W - credit) * Q)
    s = build(bear_put_spread(K, STEP, NEAR, 2), vol=smile)
    debit = _p(s)[0] - _p(s)[1]
    _check(s, [K - debit], (W - debit) * Q, -debit * Q)
    s = build(bull_put_spread(K, STEP, NEAR, 2), vol=smile)
    credit = _p(s)[0] - _p(s)[1]
    _check(s, [K - credit], credit * Q, -(W - credit) * Q)


def test_iron_condor_max_profit_is_the_credit_and_max_loss_width_minus_credit():
    s = build(iron_condor(K, STEP, NEAR, short_width=4, wing_width=2), vol=smile)
    p = _p(s)
    credit = p[1] + p[2] - p[0] - p[3]
    _check(s, [K - 200 - credit, K + 200 + credit], credit * Q, -(W - credit) * Q)
    assert profit_range(s).max_loss_at in (K - 300, K + 300)


def test_iron_butterfly():
    s = build(iron_butterfly(K, STEP, NEAR, wing_width=2), vol=smile)
    p = _p(s)
    credit = p[1] + p[2] - p[0] - p[3]
    _check(s, [K - credit, K + credit], credit * Q, -(W - credit) * Q)
    assert profit_range(s).max_profit_at == K


@pytest.mark.parametrize("template", [call_butterfly, put_butterfly])
def test_butterflies(template):
    s = build(template(K, STEP, NEAR, 2), vol=smile)
    p = _p(s)
    debit = p[0] - 2 * p[1] + p[2]
    _check(s, [K - W + debit, K + W - debit], (W - debit) * Q, -debit * Q)


def test_call_ratio_spread_one_by_two():
    s = build(ratio_spread("CE", K, STEP, NEAR, 2, 2), vol=smile)
    p = _p(s)
    net = p[0] - 2 * p[1]  # debit if > 0
    upper = 2 * (K + W) - K - net  # where S - K - 2 (S - K - W) - net = 0
    be = [K + net, upper] if net > 0 else [upper]
    loss_left = -net * Q
    _check(s, be, (W - net) * Q, None, loss_unbounded=True)
    assert payoff_at_expiry(s, np.array([1_000.0]))[0] == pytest.approx(loss_left, abs=1e-7)


def test_put_ratio_spread_loss_is_bounded_because_prices_stop_at_zero():
    s = build(ratio_spread("PE", K, STEP, NEAR, 2, 2), vol=smile)
    p = _p(s)
    net = p[0] - 2 * p[1]
    lower = 2 * (K - W) - K + net  # where K - S - 2 (K - W - S) - net = 0
    # at S = 0: K - 2 (K - W) - net
    _check(s, [lower, K - net] if net > 0 else [lower], (W - net) * Q, (K - 2 * (K - W) - net) * Q)
    assert profit_range(s).max_loss_at == 0.0


def test_covered_call_and_put():
    s = build(covered_call(K, STEP, NEAR, 2), vol=smile)
    fut, c = _p(s)
    _check(s, [fut - c], (K + W - fut + c) * Q, (c - fut) * Q)
    s = build(covered_put(K, STEP, NEAR, 2), vol=smile)
    fut, p = _p(s)
    _check(s, [fut + p], (fut - (K - W) + p) * Q, None, loss_unbounded=True)


def test_expiry_payoff_equals_the_intrinsic_sum_and_legs_add_up():
    s = build(iron_condor(K, STEP, NEAR, 3, 2), vol=smile)
    pnl = sum(
        leg.quantity
        * (np.maximum((1 if leg.instrument == "CE" else -1) * (GRID - leg.strike), 0) - leg.premium)
        for leg in s.legs
    )
    assert_allclose(payoff_at_expiry(s, GRID), pnl, rtol=0, atol=1e-8)
    frame = leg_payoffs(s, GRID, days=None)
    assert_allclose(frame.drop(columns="total").sum(axis=1), frame["total"], atol=1e-8)
    assert_allclose(frame["total"], pnl, atol=1e-8)


def test_value_today_at_the_spot_is_zero_for_model_priced_legs():
    s = build(iron_condor(K, STEP, NEAR, 3, 2), vol=smile)
    assert payoff_at(s, [SPOT], days=0.0)[0] == pytest.approx(0.0, abs=1e-8)


def test_t_plus_n_uses_black76_on_the_forward_with_the_time_left_and_shifted_iv():
    s = build(long_straddle(K, NEAR), vol=smile)
    a = s.arrays
    days, shift, S = 5.0, 0.02, np.array([24_500.0, 25_000.0, 25_700.0])
    T = a.t0[0] - days / 365.0
    F = S * np.exp(a.carry[0] * T)
    expect = sum(
        leg.quantity
        * (black76_price(F, leg.strike, T, 0.065, leg.iv + shift, leg.instrument) - leg.premium)
        for leg in s.legs
    )
    assert_allclose(payoff_at(s, S, days=days, iv_shift=shift), expect, rtol=1e-13)


def test_calendar_breakevens_by_brentq_are_zeros_of_an_independent_formula():
    s = build(calendar_spread("CE", K, NEAR, FAR), vol=smile)
    near, far = s.legs
    b = breakevens(s)
    assert b.method == "brentq" and "brentq" in b.note and len(b.prices) == 2
    t_left = s.market.years_to(FAR) - s.market.years_to(NEAR)
    carry = np.log(s.market.forward(FAR) / SPOT) / s.market.years_to(FAR)

    def independent(S):
        F = S * np.exp(carry * t_left)
        back = black76_price(F, K, t_left, 0.065, far.iv, "CE")
        return Q * (-(np.maximum(S - K, 0) - near.premium) + (back - far.premium))

    assert_allclose(independent(np.array(b.prices)), 0.0, atol=1e-6)
    grid = np.linspace(15_000.0, 40_000.0, 200_001)
    crossings = np.flatnonzero(np.diff(np.sign(independent(grid))))
    assert_allclose(b.prices, grid[crossings], atol=0.2)
    r = profit_range(s)
    assert not r.profit_unbounded and not r.loss_unbounded  # carry == rate: slopes cancel
    assert r.max_profit == pytest.approx(independent(grid).max(), abs=1e-3)
    assert abs(r.max_profit_at - K) < 60.0


def test_diagonal_is_smooth_and_its_roots_are_zeros():
    s = build(diagonal_spread("PE", K - 2 * STEP, K, NEAR, FAR), vol=smile)
    b = breakevens(s)
    assert b.method == "brentq"
    assert_allclose(payoff_at_expiry(s, np.array(b.prices)), 0.0, atol=1e-4)  # rupees


def test_price_grid_covers_the_strikes_and_has_the_points_asked():
    s = build(iron_condor(K, STEP, NEAR, 4, 2), vol=smile)
    g = price_grid(s, points=2001)
    assert g.size == 2001 and g[0] < K - 300 and g[-1] > K + 300


def test_a_later_future_keeps_the_expiry_payoff_piecewise_linear():
    from optionsintel.strategies import LegSpec

    s = build([*long_straddle(K, NEAR), LegSpec("FUT", "sell", FAR)], vol=smile)
    assert s.is_piecewise_linear_at_expiry
    b = breakevens(s)
    assert b.method == "exact"
    assert_allclose(payoff_at_expiry(s, np.array(b.prices)), 0.0, atol=1e-7)
    # beyond the strikes: +1 per unit from the call, -exp(c T_left) from the later future
    a = s.arrays
    t_left = a.t0[2] - a.t0[0]
    left, right = tail_slopes(s)
    assert right == pytest.approx(Q * (1.0 - np.exp(a.carry[2] * t_left)), rel=1e-12)
    assert left == pytest.approx(-Q * (1.0 + np.exp(a.carry[2] * t_left)), rel=1e-12)
    r = profit_range(s)
    assert r.loss_unbounded and not r.profit_unbounded and r.max_profit_at == 0.0
    assert r.max_profit == pytest.approx(payoff_at_expiry(s, np.array([1e-9]))[0], abs=1e-4)
