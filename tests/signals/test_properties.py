"""Property tests (hypothesis) of the chain kernels and the signal scores."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from chain_builders import make_chain
from optionsintel import chain as ch
from optionsintel.signals import detect_signals

N = 9
K = np.linspace(80.0, 120.0, N)
oi = st.lists(st.floats(0, 1e6, allow_nan=False), min_size=N, max_size=N)


@settings(max_examples=60, deadline=None)
@given(oi, oi, st.floats(85, 115))
def test_max_pain_is_listed_strike_and_pcr_non_negative(ce, pe, spot):
    c = make_chain(K, ce, pe, spot=spot)
    mp = ch.max_pain(c)["max_pain"].iloc[0]
    assert np.isnan(mp) or mp in set(K)
    p = ch.pcr(c)["pcr_oi"].iloc[0]
    assert np.isnan(p) or p >= 0


@settings(max_examples=40, deadline=None)
@given(oi, oi)
def test_gex_sign_consistent_with_positioning(ce, pe):
    c = make_chain(K, ce, pe)
    for pos in ("dealers_short_both", "dealers_long_both"):
        sign = -1 if pos == "dealers_short_both" else 1
        flip = ch.gamma_flip_level(c, config=ch.ChainConfig(positioning=pos)).iloc[0]
        assert sign * flip["net_gex"] >= 0 and np.isnan(flip["flip_level"])
    classic = ch.ChainConfig(positioning="dealers_long_calls_short_puts")
    mirror = ch.ChainConfig(positioning="dealers_short_calls_long_puts")
    a = ch.gamma_exposure(c, config=classic, by="underlying")["net_gex"].iloc[0]
    b = ch.gamma_exposure(c, config=mirror, by="underlying")["net_gex"].iloc[0]
    assert np.isclose(a, -b)


@settings(max_examples=30, deadline=None)
@given(oi, oi, oi, oi, st.floats(97, 103))
def test_confidence_in_range(ce0, pe0, ce1, pe1, spot):
    before = make_chain(K, ce0, pe0, snapshot_ts="2025-07-10 05:00")
    after = make_chain(K, ce1, pe1, spot=spot, snapshot_ts="2025-07-10 08:00")
    out = detect_signals(before, after)
    assert out["confidence"].between(0, 100).all()
