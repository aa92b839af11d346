"""Each of the eight signals on hand-built snapshot pairs, with negative cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chain_builders import make_chain
from optionsintel.signals import (
    SIGNAL_COLUMNS,
    MixedProvidersError,
    SignalConfig,
    SignalType,
    Strength,
    detect_signals,
)

K = np.arange(90.0, 111.0, 1.0)  # 21 strikes around spot 100; window = 95..105
BASE = np.full(len(K), 1000.0)
T0, T1 = "2025-07-10 05:00", "2025-07-10 08:00"


def chain(ce=BASE, pe=BASE, **kw):
    kw.setdefault("snapshot_ts", T1)
    return make_chain(K, ce, pe, **kw)


def prev(**kw):
    return chain(snapshot_ts=T0, **kw)


def types(sig: pd.DataFrame) -> set[str]:
    return set(sig["signal_type"])


def test_quiet_pair_fires_nothing():
    out = detect_signals(prev(), chain())
    assert list(out.columns) == list(SIGNAL_COLUMNS) and out.empty


def test_call_buildup_short_buildup():
    ce = BASE * np.where(np.abs(K - 100) <= 5, 1.5, 1.0)
    ltp = np.maximum(100 - K, 0) + 1.5  # call premiums down from +2
    out = detect_signals(prev(), chain(ce=ce, ce_ltp=ltp))
    # PCR(OI) near the money falls 1.0 -> 0.67: a bearish momentum shift as well
    assert types(out) == {"CALL_BUILDUP", "MOMENTUM_SHIFT"}
    assert out.iloc[1]["supporting"]["direction"] == "bearish"
    row = out.iloc[0]
    assert row["supporting"]["interpretation"] == "short_buildup"
    assert row["supporting"]["bias"] == "bearish"
    assert np.isclose(row["supporting"]["oi_change_pct"], 50.0)
    assert 0 <= row["confidence"] <= 100 and row["strength"] in set(Strength)
    assert set(row["strikes"]) <= set(K[np.abs(K - 100) <= 5])


def test_small_call_oi_rise_is_not_buildup():
    ce = BASE * np.where(np.abs(K - 100) <= 5, 1.05, 1.0)
    assert detect_signals(prev(), chain(ce=ce)).empty


def test_put_buildup_and_unwinding_interpretations():
    pe = BASE * np.where(np.abs(K - 100) <= 5, 1.4, 1.0)
    down = np.maximum(K - 100, 0) + 1.0
    out = detect_signals(prev(), chain(pe=pe, pe_ltp=down))
    assert "PUT_BUILDUP" in types(out)
    sup = out[out.signal_type == "PUT_BUILDUP"].iloc[0]["supporting"]
    assert (sup["interpretation"], sup["bias"]) == ("short_buildup", "bullish")
    ce = BASE * np.where(np.abs(K - 100) <= 5, 0.6, 1.0)
    up = np.maximum(100 - K, 0) + 3.0
    out = detect_signals(prev(), chain(ce=ce, ce_ltp=up))
    assert types(out) == {"CALL_UNWINDING", "MOMENTUM_SHIFT"}
    assert out.iloc[0]["supporting"]["interpretation"] == "short_covering"
    assert out.iloc[1]["supporting"]["direction"] == "bullish"
    pe = BASE * np.where(np.abs(K - 100) <= 5, 0.7, 1.0)
    out = detect_signals(prev(), chain(pe=pe))
    assert "PUT_UNWINDING" in types(out)


def test_gamma_squeeze_up_needs_short_gamma():
    ce = BASE * np.where(np.abs(K - 101) <= 5, 0.8, 1.0)
    before, after = prev(spot=100.0), chain(ce=ce, spot=101.5)
    out = detect_signals(before, after)
    assert "GAMMA_SQUEEZE" in types(out)
    sup = out[out.signal_type == "GAMMA_SQUEEZE"].iloc[0]["supporting"]
    assert sup["direction"] == "up" and sup["net_gex"] < 0
    long_gamma = SignalConfig(positioning="dealers_long_both")
    assert "GAMMA_SQUEEZE" not in types(detect_signals(before, after, long_gamma))
    small = chain(ce=ce, spot=100.2)
    assert "GAMMA_SQUEEZE" not in types(detect_signals(before, small))


def test_max_pain_pull_near_expiry_only():
    ce = np.where(K >= 100, 1000.0, 10.0)
    pe = np.where(K <= 100, 1000.0, 10.0)  # max pain 100
    near = dict(ce=ce, pe=pe, spot=101.5, expiry="2025-07-11")
    out = detect_signals(prev(**near), chain(**near))
    assert types(out) == {"MAX_PAIN"}
    row = out.iloc[0]
    assert row["strikes"] == [100.0] and row["supporting"]["direction"] == "down"
    far = dict(near, expiry="2025-07-31")
    assert detect_signals(prev(**far), chain(**far)).empty
    at = dict(near, spot=100.2)
    assert detect_signals(prev(**at), chain(**at)).empty


def test_unusual_activity_and_history_baseline():
    vol = np.full(len(K), 100.0)
    vol[K == 104] = 20000.0  # 20x the contract's OI
    out = detect_signals(prev(), chain(ce_volume=vol))
    assert types(out) == {"UNUSUAL_ACTIVITY"}
    assert out.iloc[0]["strikes"][0] == 104.0
    history = pd.concat(
        [chain(ce_volume=vol, snapshot_ts=f"2025-07-0{d} 08:00") for d in (7, 8, 9)]
    )
    calm = detect_signals(prev(), chain(ce_volume=vol), history=history)
    assert calm.empty  # the contract always trades like this


def test_momentum_shift_bullish():
    pe = BASE * np.where(np.abs(K - 100) <= 5, 1.3, 1.0)
    out = detect_signals(prev(), chain(pe=pe, spot=100.4))
    assert "MOMENTUM_SHIFT" in types(out)
    sup = out[out.signal_type == "MOMENTUM_SHIFT"].iloc[0]["supporting"]
    assert sup["direction"] == "bullish" and sup["pcr_change"] >= 0.15


def test_mixed_providers_raise():
    with pytest.raises(MixedProvidersError, match="providers"):
        detect_signals(prev(provider="nse"), chain(provider="angelone"))


def test_many_underlyings_match_one_by_one():
    rng = np.random.default_rng(7)
    befores, afters = [], []
    for i in range(20):
        ce = BASE * rng.uniform(0.6, 1.6, len(K))
        pe = BASE * rng.uniform(0.6, 1.6, len(K))
        befores.append(prev(underlying=f"U{i:02d}"))
        afters.append(chain(ce=ce, pe=pe, underlying=f"U{i:02d}", spot=rng.uniform(98, 102)))
    together = detect_signals(pd.concat(befores), pd.concat(afters))
    alone = pd.concat([detect_signals(b, a) for b, a in zip(befores, afters, strict=True)])
    cols = ["underlying", "signal_type", "confidence"]
    pd.testing.assert_frame_equal(
        together[cols].reset_index(drop=True),
        alone[cols].reset_index(drop=True),
        check_dtype=False,
    )
    assert set(together["signal_type"]) <= {s.value for s in SignalType}
