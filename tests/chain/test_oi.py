"""PCR, max pain, concentration, OI walls and pivots on hand-built and real chains."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from chain_builders import load_nse, make_chain
from optionsintel import chain as ch
from optionsintel.errors import FrameValidationError

K4 = [100.0, 110.0, 120.0, 130.0]


def test_max_pain_by_hand():
    # settle 100: puts 30*10+50*20+10*30=1600; 110: calls 100 + puts 500+200 = 800;
    # 120: calls 200+200 + puts 100 = 500; 130: calls 300+400+300 = 1000 -> 120.
    c = make_chain(K4, [10, 20, 30, 40], [40, 30, 50, 10], spot=115.0)
    mp = ch.max_pain(c)
    assert mp["max_pain"].iloc[0] == 120.0
    assert_allclose(mp["payout_at_max_pain"].iloc[0], 500.0)


def test_max_pain_tie_goes_to_lowest_strike():
    c = make_chain([90.0, 100.0, 110.0], [0, 100, 0], [50, 0, 100])
    assert ch.max_pain(c)["max_pain"].iloc[0] == 100.0


def test_max_pain_matches_brute_force_on_real_chain(nifty_0716):
    c = nifty_0716.chain
    got = ch.max_pain(c)
    for expiry, part in c.groupby("expiry"):
        k = np.sort(part["strike"].unique())
        ce = (
            part[part.option_type == "CE"].set_index("strike")["oi"].reindex(k).fillna(0).to_numpy()
        )
        pe = (
            part[part.option_type == "PE"].set_index("strike")["oi"].reindex(k).fillna(0).to_numpy()
        )
        pay = (ce[None, :] * np.maximum(k[:, None] - k[None, :], 0)).sum(1) + (
            pe[None, :] * np.maximum(k[None, :] - k[:, None], 0)
        ).sum(1)
        row = got[got["expiry"] == expiry].iloc[0]
        if ce.sum() + pe.sum() == 0:
            assert np.isnan(row["max_pain"])  # no open interest: undefined
            continue
        assert row["max_pain"] == k[np.argmin(pay)]
        assert_allclose(row["payout_at_max_pain"], pay.min(), rtol=1e-9, atol=1e-3)


@pytest.mark.parametrize(
    "name",
    [
        "NIFTY_2025-07-16_ethanelliott50",
        "NIFTY_2025-07-17_ethanelliott50",
        "NIFTY_2022-03-24_lakk1",
        "NIFTY_2019-08-23_aadityatamrakar",
        "BANKNIFTY_2022-03-28_lakk1",
        "BANKNIFTY_2023-05-03_lamba-manish",
    ],
)
def test_pcr_of_nearest_expiry_equals_nse_totals(name):
    parsed = load_nse(name)
    tot = parsed.nse_totals
    row = ch.pcr(parsed.chain).sort_values("expiry").iloc[0]
    assert row["ce_oi"] == tot["CE"]["totOI"] and row["pe_oi"] == tot["PE"]["totOI"]
    assert_allclose(row["pcr_oi"], tot["PE"]["totOI"] / tot["CE"]["totOI"], rtol=1e-12)
    assert_allclose(row["pcr_volume"], tot["PE"]["totVol"] / tot["CE"]["totVol"], rtol=1e-12)


def test_pcr_window_and_pooled():
    c = make_chain(K4, [10, 20, 30, 40], [40, 30, 50, 10], spot=112.0)
    assert_allclose(ch.pcr(c)["pcr_oi"].iloc[0], 130 / 100)
    # nearest strike to 112 is 110; +/-1 strike keeps 100, 110, 120
    assert_allclose(ch.pcr(c, window_strikes=1)["pcr_oi"].iloc[0], 120 / 60)
    assert_allclose(ch.pcr(c, window_pct=5.0)["pcr_oi"].iloc[0], 30 / 20)
    two = pd.concat([c, make_chain(K4, [1, 1, 1, 1], [2, 2, 2, 2], expiry="2025-07-31")])
    pooled = ch.pcr(two, by="underlying")
    assert "expiry" not in pooled.columns
    assert_allclose(pooled["pcr_oi"].iloc[0], (130 + 8) / (100 + 4))


def test_pcr_is_nan_without_call_oi():
    c = make_chain(K4, [0, 0, 0, 0], [1, 1, 1, 1])
    assert np.isnan(ch.pcr(c)["pcr_oi"].iloc[0])


def test_support_resistance_and_concentration():
    c = make_chain(K4, [10, 20, 30, 40], [40, 30, 50, 10], spot=115.0)
    sr = ch.support_resistance(c).iloc[0]
    assert sr["support"] == 100.0 and sr["support_oi"] == 40.0  # max PE OI at K <= 115
    assert sr["resistance"] == 130.0 and sr["resistance_oi"] == 40.0
    assert_allclose(sr["resistance_dominance"], 40 / 70)
    conc = ch.oi_concentration(c, top_n=1).iloc[0]
    assert_allclose(conc["ce_top_share"], 0.4)
    assert_allclose(conc["ce_hhi"], (0.01 + 0.04 + 0.09 + 0.16))
    assert_allclose(conc["ce_effective_strikes"], 1 / 0.3)


def test_oi_change_by_strike_against_previous():
    prev = make_chain(K4, [10, 20, 30, 40], [40, 30, 50, 10])
    cur = make_chain([*K4, 140.0], [15, 20, 25, 40, 7], [40, 35, 50, 10, 0])
    out = ch.oi_change_by_strike(cur, prev)
    assert out["ce_oi_change"].tolist() == [5, 0, -5, 0, 7]
    assert out["net_oi_change"].tolist() == [-5, 5, 5, 0, -7]


def test_pivots_classic_by_hand():
    bar = pd.DataFrame({"high": [110.0], "low": [90.0], "close": [105.0]})
    p = ch.pivot_levels(bar).iloc[0]
    pv = 305 / 3
    assert_allclose(
        [p.pivot, p.r1, p.s1, p.r2, p.s2, p.r3, p.s3],
        [pv, 2 * pv - 90, 2 * pv - 110, pv + 20, pv - 20, 110 + 2 * (pv - 90), 90 - 2 * (110 - pv)],
    )
    with pytest.raises(FrameValidationError):
        ch.pivot_levels(pd.DataFrame({"high": [1.0], "low": [2.0], "close": [1.5]}))


def test_bad_input_raises():
    c = make_chain(K4, [1, 1, 1, 1], [1, 1, 1, 1])
    with pytest.raises(FrameValidationError, match="duplicated"):
        ch.pcr(pd.concat([c, c.iloc[:1]]))
    with pytest.raises(FrameValidationError, match="missing columns"):
        ch.max_pain(c.drop(columns="oi"))
    mixed = c.copy()
    mixed.loc[0, "provider"] = "nse"
    with pytest.raises(FrameValidationError, match="mixes providers"):
        ch.max_pain(mixed)
