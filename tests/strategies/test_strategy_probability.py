"""Probability of profit and expected value against closed forms and a seeded Monte Carlo."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import ndtr
from strategy_builders import FAR, NEAR, SPOT, STEP, build, smile

from optionsintel.errors import StrategyError
from optionsintel.strategies import (
    LegSpec,
    MarketState,
    analyse_strategy,
    bull_call_spread,
    calendar_spread,
    covered_call,
    expected_value,
    expiry_distribution,
    iron_condor,
    long_straddle,
    payoff_at_expiry,
    probability_of_profit,
    ratio_spread,
    short_strangle,
    sigma_levels,
)

N_PATHS = 400_000


def _intrinsic_pnl(strategy, S):
    """P&L at expiry from the legs' definitions only (single-expiry strategies)."""
    total = np.zeros_like(S)
    for leg in strategy.legs:
        if leg.instrument == "FUT":
            value = S
        else:
            sign = 1.0 if leg.instrument == "CE" else -1.0
            value = np.maximum(sign * (S - leg.strike), 0.0)
        total += leg.quantity * (value - leg.premium)
    return total


def _simulate(strategy, seed):
    d = expiry_distribution(strategy)
    z = np.random.default_rng(seed).standard_normal(N_PATHS)
    s = d.total_sd
    return d.forward * np.exp(-0.5 * s * s + s * z)


TEMPLATES = {
    "iron_condor": lambda: iron_condor(SPOT, STEP, NEAR, 4, 2),
    "long_straddle": lambda: long_straddle(SPOT, NEAR),
    "short_strangle": lambda: short_strangle(SPOT, STEP, NEAR, 3),
    "bull_call_spread": lambda: bull_call_spread(SPOT, STEP, NEAR, 2),
    "call_ratio": lambda: ratio_spread("CE", SPOT, STEP, NEAR, 2, 2),
    "covered_call": lambda: covered_call(SPOT, STEP, NEAR, 2),
}


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_pop_and_ev_match_an_independent_monte_carlo(name):
    s = build(TEMPLATES[name](), vol=smile)
    S = _simulate(s, seed=20250710)
    pnl = _intrinsic_pnl(s, S)
    hit = pnl > 0
    p_mc = hit.mean()
    se = np.sqrt(p_mc * (1 - p_mc) / N_PATHS)
    assert abs(probability_of_profit(s).probability - p_mc) < 4 * se
    ev_se = pnl.std() / np.sqrt(N_PATHS)
    assert abs(expected_value(s) - pnl.mean()) < 4 * ev_se


def test_calendar_pop_and_ev_match_monte_carlo_of_the_smooth_curve():
    s = build(calendar_spread("CE", SPOT, NEAR, FAR), vol=smile)
    S = _simulate(s, seed=7)
    pnl = payoff_at_expiry(s, S)
    p_mc = (pnl > 0).mean()
    se = np.sqrt(p_mc * (1 - p_mc) / N_PATHS)
    assert abs(probability_of_profit(s).probability - p_mc) < 4 * se
    assert abs(expected_value(s) - pnl.mean()) < 4 * pnl.std() / np.sqrt(N_PATHS)


def test_long_call_pop_is_the_lognormal_tail_beyond_strike_plus_premium():
    s = build([LegSpec("CE", "buy", NEAR, 25_200.0)], vol=0.13)
    d = expiry_distribution(s)
    x = 25_200.0 + s.legs[0].premium
    d2 = (np.log(d.forward / x) - 0.5 * d.total_sd**2) / d.total_sd
    pop = probability_of_profit(s)
    assert pop.probability == pytest.approx(float(ndtr(d2)), abs=1e-14)
    assert pop.profitable_intervals == ((pytest.approx(x, abs=1e-9), float("inf")),)


def test_pop_states_its_conventions_and_uses_the_front_atm_iv():
    s = build(iron_condor(SPOT, STEP, NEAR, 4, 2), vol=smile)
    pop = probability_of_profit(s)
    d = pop.distribution
    assert d.volatility == s.market.atm_ivs[NEAR]
    assert d.time_to_expiry == pytest.approx(14.229166666666666 / 365, abs=1e-15)  # to 15:30 IST
    assert d.forward == pytest.approx(SPOT * np.exp(0.065 * d.time_to_expiry), rel=1e-15)
    for words in ("lognormal", "risk-neutral", "front ATM IV", "15:30 IST", "/ 365"):
        assert words in pop.conventions
    assert probability_of_profit(s, volatility=0.3).distribution.volatility == 0.3


def test_missing_atm_iv_is_an_error_unless_a_volatility_is_given():
    m = MarketState(as_of="2025-07-10 10:00", spot=SPOT)
    s = build(long_straddle(SPOT, NEAR), vol=0.14, mkt=m)
    with pytest.raises(StrategyError, match="ATM IV"):
        probability_of_profit(s)
    assert 0.0 < probability_of_profit(s, volatility=0.14).probability < 1.0


def test_sigma_levels_are_quantiles_of_the_pop_distribution():
    s = build(long_straddle(SPOT, NEAR), vol=smile)
    d = expiry_distribution(s)
    levels = sigma_levels(s)
    for k, price in levels.items():
        assert float(d.cdf(price)) == pytest.approx(float(ndtr(k)), abs=1e-12)
    assert levels[-2.0] < levels[-1.0] < SPOT < levels[1.0] < levels[2.0]


def test_analysis_bundles_every_card():
    s = build(iron_condor(SPOT, STEP, NEAR, 4, 2), vol=smile)
    a = analyse_strategy(s)
    assert a.breakevens.method == "exact" and len(a.breakevens.prices) == 2
    assert a.pop.probability == probability_of_profit(s).probability
    assert a.expected_value == expected_value(s)
    assert list(a.greeks.index)[-1] == "net"
    assert "ESTIMATE" in a.margin.label
