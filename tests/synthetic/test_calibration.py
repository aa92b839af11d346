"""Shape of synthetic chains against the recorded NSE chains (tests/data/PROVENANCE.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optionsintel.synthetic import chain_shape_stats, generate_eod_chain

REAL = [
    "nse_option_chain_indices_NIFTY_2025-07-16_ethanelliott50",
    "nse_option_chain_indices_NIFTY_2025-07-17_ethanelliott50",
    "nse_option_chain_indices_BANKNIFTY_2023-05-03_lamba-manish",
]
SYNTH = [
    ("NIFTY", "2025-07-16"),
    ("NIFTY", "2025-09-10"),
    ("BANKNIFTY", "2025-07-16"),
    ("FINNIFTY", "2025-11-12"),
]


def _stats(chain: pd.DataFrame, which: int) -> dict[str, float]:
    expiries = sorted(chain["expiry"].unique())
    return chain_shape_stats(chain, expiries[which])


@pytest.fixture(scope="module")
def real_stats(real_chain_loader) -> list[dict[str, float]]:
    # the second expiry: NSE's IV for the expiring contract is noisy (1-day wings)
    return [_stats(real_chain_loader(name), 1) for name in REAL]


@pytest.fixture(scope="module", params=SYNTH, ids=lambda p: f"{p[0]}-{p[1]}")
def synth(request) -> pd.DataFrame:
    name, day = request.param
    return generate_eod_chain(name, day, seed=11)


def test_real_chains_satisfy_the_stated_bounds(real_stats):
    # the bounds below are taken from these chains; keep them honest
    for s in real_stats:
        assert 0.6 <= s["oi_share_5pct"] <= 0.97
        assert s["ce_peak_strike"] > s["spot"] > s["pe_peak_strike"]
        assert 6 <= s["atm_iv"] <= 20
        assert s["put_iv_95"] > s["atm_iv"]


@pytest.mark.parametrize("which", [0, 1, 2])
def test_oi_concentration_and_writer_peaks(synth, which):
    expiry = sorted(synth["expiry"].unique())[which]
    far = (expiry - synth["snapshot_ts"].iloc[0].tz_localize(None)).days > 35
    s = _stats(synth, which)
    # far expiries spread OI widely (real NIFTY Sep-2025 at 71 days: 0.45 within 5 %)
    assert (0.3 if far else 0.6) <= s["oi_share_5pct"] <= 0.97
    assert s["ce_peak_strike"] > s["spot"]
    assert s["pe_peak_strike"] < s["spot"]
    # walls sit about 1-2 sigma*sqrt(T) out: within 8 % near term, 15 % for far expiries
    limit = 0.15 if far else 0.08
    assert s["ce_peak_strike"] / s["spot"] - 1 < limit
    assert 1 - s["pe_peak_strike"] / s["spot"] < limit


def test_peaks_sit_on_round_strikes(synth):
    s = _stats(synth, 1)
    step = 100 if synth["strike"].iloc[0] % 100 == 0 and (synth["strike"] % 100 == 0).all() else 50
    assert s["ce_peak_strike"] % (2 * step) == 0 or s["pe_peak_strike"] % (2 * step) == 0


def test_atm_iv_level_like_india_vix(synth):
    for which in (0, 1, 2):
        assert 6 <= _stats(synth, which)["atm_iv"] <= 25


def test_put_skew_matches_real_chains(synth, real_stats):
    s = _stats(synth, 1)
    assert s["put_iv_95"] > s["atm_iv"]
    assert s["put_iv_95"] > s["call_iv_105"]
    synth_ratio = s["put_iv_95"] / s["atm_iv"]
    real_ratios = [r["put_iv_95"] / r["atm_iv"] for r in real_stats]
    assert 0.6 * min(real_ratios) <= synth_ratio <= 1.6 * max(real_ratios)


def test_nearest_expiry_holds_most_oi(synth):
    totals = synth.groupby("expiry")["oi"].sum().sort_index()
    assert totals.iloc[0] == totals.max() or totals.iloc[1] == totals.max()
    assert totals.iloc[-1] < 0.2 * totals.max()


def test_volume_is_concentrated_near_the_money(synth):
    near = synth.loc[synth["expiry"] == synth["expiry"].min()]
    m = np.abs(near["strike"] / near["underlying_price"] - 1)
    assert near.loc[m <= 0.03, "volume"].sum() > 0.5 * near["volume"].sum()


def test_oi_magnitude_like_nse(real_stats):
    chain = generate_eod_chain("NIFTY", "2025-07-16", seed=11)
    synth_total = _stats(chain, 1)["total_oi"]
    real_total = real_stats[0]["total_oi"]  # NIFTY, same day, second expiry
    assert 0.2 * real_total < synth_total < 5 * real_total
