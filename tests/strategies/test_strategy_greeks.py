"""Greeks of a combination: the sum of its legs, textbook values, finite differences; margin."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from strategy_builders import FAR, NEAR, SPOT, STEP, build, smile

from optionsintel.errors import StrategyError
from optionsintel.pricing import greeks as black_greeks
from optionsintel.strategies import (
    STRATEGY_GREEKS,
    LegSpec,
    calendar_spread,
    iron_condor,
    long_straddle,
    margin_estimate,
    payoff_at,
    short_straddle,
    strategy_greeks,
)

CASES = {
    "iron_condor": lambda: iron_condor(SPOT, STEP, NEAR, 3, 2),
    "calendar": lambda: calendar_spread("PE", SPOT - 100, NEAR, FAR),
    "straddle_plus_future": lambda: [*long_straddle(SPOT, NEAR), LegSpec("FUT", "sell", FAR)],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_net_greeks_are_the_sum_of_the_legs(name):
    g = strategy_greeks(build(CASES[name](), vol=smile))
    assert_allclose(g.loc["net", list(STRATEGY_GREEKS)], g.iloc[:-1][list(STRATEGY_GREEKS)].sum())


def test_leg_greeks_equal_black_scholes_greeks_when_the_forward_carries_at_the_rate():
    # with F = S exp(rT) Black-76 on the forward is Black-Scholes on the spot (q = 0)
    s = build(iron_condor(SPOT, STEP, NEAR, 3, 2), vol=smile)
    g = strategy_greeks(s).iloc[:-1]
    a = s.arrays
    bs = black_greeks(SPOT, a.strike, a.t0, 0.065, a.iv, a.sign, model="black_scholes")
    q = a.quantity
    assert_allclose(g["delta"], q * bs["delta"], rtol=1e-12)
    assert_allclose(g["gamma"], q * bs["gamma"], rtol=1e-12)
    assert_allclose(g["theta_per_day"], q * bs["theta_per_day"], rtol=1e-10)
    assert_allclose(g["vega_per_point"], q * bs["vega_pct"], rtol=1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
def test_combination_greeks_match_finite_differences_of_the_value(name):
    s = build(CASES[name](), vol=smile)
    net = strategy_greeks(s).loc["net"]
    h = 0.5
    v = payoff_at(s, [SPOT - h, SPOT, SPOT + h], days=0.0)
    assert net["delta"] == pytest.approx((v[2] - v[0]) / (2 * h), rel=1e-6, abs=1e-6)
    assert net["gamma"] == pytest.approx((v[2] - 2 * v[1] + v[0]) / h**2, rel=1e-4, abs=1e-6)
    dt = 1e-4  # days
    theta_fd = (payoff_at(s, [SPOT], days=dt)[0] - v[1]) / dt
    assert net["theta_per_day"] == pytest.approx(theta_fd, rel=1e-4)
    dv = 1e-5
    up, down = (payoff_at(s, [SPOT], days=0.0, iv_shift=x)[0] for x in (dv, -dv))
    assert net["vega_per_point"] == pytest.approx((up - down) / (2 * dv) * 0.01, rel=1e-6)


def test_futures_leg_greeks():
    s = build([LegSpec("FUT", "buy", FAR)], vol=0.14)
    g = strategy_greeks(s).loc["net"]
    a = s.arrays
    assert g["delta"] == pytest.approx(75 * np.exp(a.carry[0] * a.t0[0]), rel=1e-15)
    assert g["gamma"] == g["vega_per_point"] == g["rho"] == 0.0
    assert g["theta_per_day"] == pytest.approx(-75 * 0.065 * s.market.forward(FAR) / 365, rel=1e-12)


def test_margin_is_labelled_an_estimate_with_its_method():
    m = margin_estimate(build(short_straddle(SPOT, NEAR), vol=smile))
    assert m.label.startswith("ESTIMATE") and "not NSE SPAN" in m.label
    assert "16 scenarios" in m.method and "exposure" in m.method
    assert m.total == pytest.approx(m.scan_loss + m.exposure)
    assert m.exposure == pytest.approx(0.02 * 2 * 75 * SPOT)


def test_margin_of_a_short_future_is_the_price_range_move_plus_exposure():
    s = build([LegSpec("FUT", "sell", NEAR)], vol=0.14)
    m = margin_estimate(s, price_range=0.07, exposure_pct=0.02)
    growth = s.market.forward(NEAR) / SPOT
    assert m.scan_loss == pytest.approx(75 * 0.07 * SPOT * growth, rel=1e-12)
    assert m.exposure == pytest.approx(0.02 * 75 * SPOT)
    assert m.worst_scenario.startswith("price +100%")


def test_long_options_need_no_exposure_and_lose_at_most_their_premium():
    long = margin_estimate(build(long_straddle(SPOT, NEAR), vol=smile))
    short = margin_estimate(build(short_straddle(SPOT, NEAR), vol=smile))
    assert long.exposure == 0.0 and long.scan_loss <= long.premium_paid
    assert short.total > long.total and short.premium_paid == 0.0


@pytest.mark.parametrize("kw", [{"price_range": -0.1}, {"vol_range": 2.0}, {"exposure_pct": 1.5}])
def test_margin_parameters_are_checked(kw):
    with pytest.raises(StrategyError):
        margin_estimate(build(long_straddle(SPOT, NEAR), vol=0.14), **kw)
