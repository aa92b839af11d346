"""Gamma exposure, flip level, ATM IV, constant maturity, straddle move, IV rank."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from chain_builders import make_chain
from optionsintel import chain as ch
from optionsintel.chain.gamma import _black76_gamma
from optionsintel.pricing import greeks

K = np.arange(80.0, 121.0, 5.0)


def test_gamma_kernel_matches_pricing_greeks():
    F, T, r = 100.0, 0.25, 0.065
    sigma = np.full(len(K), 0.2)
    g = _black76_gamma(np.full(len(K), F), K, np.full(len(K), T), sigma, r)
    ref = greeks(F, K, T, r, 0.2, "CE", model="black76")
    assert_allclose(g, np.asarray(ref["gamma"]), rtol=1e-10)


def test_gex_signs_follow_positioning():
    c = make_chain(K, np.full(len(K), 100.0), np.full(len(K), 100.0))
    for pos, (sc, sp) in ch.POSITION_SIGNS.items():
        gex = ch.gamma_exposure(c, config=ch.ChainConfig(positioning=pos))
        assert (np.sign(gex["call_gex"]) * sc >= 0).all()
        assert (np.sign(gex["put_gex"]) * sp >= 0).all()
    short = ch.gamma_flip_level(c, config=ch.ChainConfig(positioning="dealers_short_both"))
    assert short["regime"].iloc[0] == "negative" and np.isnan(short["flip_level"].iloc[0])


def test_flip_level_between_put_and_call_walls():
    # puts piled at 85, calls at 115: under the SqueezeMetrics convention GEX is negative
    # near 85 and positive near 115, so it flips in between.
    ce = np.where(K == 115.0, 1000.0, 0.0)
    pe = np.where(K == 85.0, 1000.0, 0.0)
    c = make_chain(K, ce, pe, spot=100.0, model_prices=True)  # own IV: 15 % flat
    cfg = ch.ChainConfig(positioning="dealers_long_calls_short_puts", rate=0.0)
    flip = ch.gamma_flip_level(c, config=cfg).iloc[0]
    assert 85.0 < flip["flip_level"] < 115.0
    # the total GEX re-evaluated at the flip level is ~0 (mirror walls: flip near 100)
    moved = make_chain(K, ce, pe, spot=flip["flip_level"], model_prices=True)
    assert abs(flip["flip_level"] - 100.0) < 2.0
    at_flip = ch.gamma_exposure(moved, config=cfg, by="underlying")["net_gex"].iloc[0]
    peak = ch.gamma_exposure(c, config=cfg, by="strike")["net_gex"].abs().max()
    assert abs(at_flip) < 0.05 * peak


def test_atm_iv_and_constant_maturity_variance_interpolation():
    # Black-76 prices at 10 % and 20 %: the platform's own IV recovers them
    ones = np.ones(len(K))
    a = make_chain(K, ones, ones, iv=10.0, expiry="2025-07-24", model_prices=True)
    b = make_chain(K, ones, ones, iv=20.0, expiry="2025-08-28", model_prices=True)
    both = pd.concat([a, b], ignore_index=True)
    atm = ch.atm_iv(both)
    assert_allclose(atm["atm_iv"], [10.0, 20.0], rtol=1e-9)
    cm = ch.constant_maturity_iv(both, days=30.0).iloc[0]
    t1, t2 = atm["time_to_expiry"]
    v1, v2 = (atm["atm_iv"] / 100.0) ** 2
    tau = 30 / 365
    w = v1 * t1 + (v2 * t2 - v1 * t1) * (tau - t1) / (t2 - t1)
    assert_allclose(cm["cm_iv"], np.sqrt(w / tau) * 100, rtol=1e-12)
    assert cm["method"] == "interpolated"
    term = ch.iv_term_structure(both)
    fwd = np.sqrt((v2 * t2 - v1 * t1) / (t2 - t1)) * 100
    assert_allclose(term["forward_iv"].iloc[1], fwd, rtol=1e-12)


def test_straddle_expected_move_convention():
    flat = np.full(len(K), 3.0)
    c = make_chain(K, np.ones(len(K)), np.ones(len(K)), ce_ltp=flat, pe_ltp=flat)
    out = ch.straddle_expected_move(c, rate=0.0).iloc[0]
    assert out["atm_strike"] == 100.0 and np.isclose(out["straddle"], 6.0)
    assert_allclose(out["expected_move"], 6.0 * np.sqrt(np.pi / 2), rtol=1e-12)


def test_iv_rank_and_percentile():
    s = pd.Series([10.0, 12.0, 11.0, 14.0, 13.0, 15.0, 9.0])
    r = ch.iv_rank(s, window=5, min_periods=3)
    # last window [11, 14, 13, 15, 9]: (9 - 9) / (15 - 9) = 0
    assert_allclose(r.iloc[-1], 0.0)
    assert_allclose(r.iloc[3], 100 * (14 - 10) / (14 - 10))
    p = ch.iv_percentile(s, window=5, min_periods=3)
    # 13 at index 4, earlier in window [10, 12, 11, 14]: 3 of 4 below
    assert_allclose(p.iloc[4], 75.0)
    assert np.isnan(p.iloc[1])
    wide = ch.iv_rank(pd.DataFrame({"A": s, "B": s * 2}), window=5, min_periods=3)
    assert_allclose(wide["A"], wide["B"])


def test_summary_has_one_row_per_expiry(nifty_0716):
    s = ch.chain_summary(nifty_0716.chain)
    assert len(s) == nifty_0716.chain["expiry"].nunique()
    first = s.iloc[0]
    assert first["max_pain"] in set(nifty_0716.chain["strike"])
    assert first["support"] <= first["spot"] <= first["resistance"]
    assert 5.0 < first["atm_iv"] < 30.0
    assert (s["total_gex"] < 0).all()  # dealers_short_both
    with pytest.raises(Exception, match="positioning"):
        ch.ChainConfig(positioning="nonsense")  # type: ignore[arg-type]
