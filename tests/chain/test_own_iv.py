"""The platform's own implied volatility on the real recorded NSE chains (issue 11.3).

Data: the NSE option-chain responses shipped gzip-compressed in
``src/optionsintel/providers/replay_data/nse/`` and the NSE contract-wise option history
of NIFTY, January 2019 (``replay_data/market/nse_contract_history_OPTIDX_NIFTY_*``);
provenance in the PROVENANCE.md next to them and in tests/data/PROVENANCE.md.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from chain_builders import load_nse
from optionsintel import chain as ch
from optionsintel.chain.iv_compare import provider_iv_gap
from optionsintel.pricing import black76_price, implied_forward
from optionsintel.providers.replay_history import eod_chain, parse_contract_history

_NAMES = [
    "BANKNIFTY_2020-04-20_aadityatamrakar", "BANKNIFTY_2020-05-14_aadityatamrakar",
    "BANKNIFTY_2022-03-28_lakk1", "BANKNIFTY_2022-04-27_lakk1",
    "BANKNIFTY_2023-05-03_lamba-manish", "NIFTY_2019-08-23_aadityatamrakar",
    "NIFTY_2020-04-20_aadityatamrakar", "NIFTY_2020-05-14_aadityatamrakar",
    "NIFTY_2022-03-24_lakk1", "NIFTY_2025-07-16_ethanelliott50", "NIFTY_2025-07-17_ethanelliott50",
]  # fmt: skip


def test_own_iv_reprices_the_quotes(nifty_0716):
    out = ch.chain_iv(nifty_0716.chain)
    ok = out[out["iv"].notna()]
    assert len(ok) > 900 and set(out["price_source"]) <= {"mid", "ltp", "mid_wide", "none"}
    back = black76_price(ok["forward"], ok["strike"], ok["time_to_expiry"], 0.065,
                         ok["iv"] / 100.0, ok["option_type"])  # fmt: skip
    assert_allclose(np.asarray(back), ok["price"], rtol=1e-8, atol=1e-8)
    # mid only where the quote is two-sided with ask - bid <= 25 % of the mid
    chain = nifty_0716.chain.set_index(["expiry", "strike", "option_type"])
    mids = out[out["price_source"] == "mid"].set_index(["expiry", "strike", "option_type"])
    q = chain.loc[mids.index]
    assert ((q["ask"] - q["bid"]) <= 0.25 * 0.5 * (q["ask"] + q["bid"])).all()
    assert_allclose(mids["price"], 0.5 * (q["ask"] + q["bid"]).to_numpy())
    # the provider's figure is kept beside ours, zeros ("not computed") as NaN
    nse = chain.loc[out.set_index(["expiry", "strike", "option_type"]).index, "iv"].to_numpy()
    assert_allclose(out["provider_iv"], np.where(nse > 0, nse, np.nan), equal_nan=True)


def test_forward_is_the_parity_forward_of_pricing(nifty_0716):
    out = ch.chain_iv(nifty_0716.chain)
    for expiry, g in list(out.groupby("expiry"))[:8]:
        wide = g.pivot(index="strike", columns="option_type", values="price")
        t = g["time_to_expiry"].iloc[0]
        ref = implied_forward(wide.index, wide["CE"], wide["PE"], t, 0.065, n_strikes=5)
        assert_allclose(g["forward"].iloc[0], ref, rtol=1e-12, err_msg=str(expiry))


def test_analytics_use_own_iv_not_the_providers(nifty_0716):
    chain = nifty_0716.chain
    blank = chain.assign(iv=np.nan)  # e.g. an EOD chain or an Angel One quote
    pd.testing.assert_frame_equal(ch.atm_iv(chain), ch.atm_iv(blank))
    pd.testing.assert_frame_equal(ch.constant_maturity_iv(chain), ch.constant_maturity_iv(blank))
    smile = ch.iv_smile(blank)
    assert smile["provider_call_iv"].isna().all() and smile["call_iv"].notna().sum() > 400
    assert 8.0 < ch.atm_iv(blank)["atm_iv"].iloc[0] < 12.0


def test_provider_gap_on_all_shipped_chains():
    """NSE's IV minus ours, volatility points, pooled over the 11 shipped chains.

    Figures reported in docs/signals.md ("NSE's IV against ours"); expiry-day
    contracts (< 1 day) left out.
    """
    chains = pd.concat([load_nse(n).chain for n in _NAMES], ignore_index=True)
    gap = provider_iv_gap(chains).set_index("moneyness")
    assert gap.loc["all", "contracts"] == 4720
    assert_allclose(gap.loc["all", ["median_gap", "p90_abs_gap"]], [0.26, 6.10], atol=0.01)
    assert_allclose(gap.loc["0.98-1.02", ["median_gap", "p90_abs_gap"]], [0.22, 4.64], atol=0.01)
    assert gap["contracts"].iloc[:-1].sum() == 4720


def _history():
    base = resources.files("optionsintel.providers").joinpath("replay_data", "market")
    parts = []
    for side in ("CE", "PE"):
        name = f"nse_contract_history_OPTIDX_NIFTY_{side}_1-Jan-2019_TO_31-Jan-2019.csv.gz"
        text = gzip.decompress(base.joinpath(name).read_bytes()).decode()
        parts.append(parse_contract_history(text, name))
    return pd.concat(parts, ignore_index=True)


def _closes() -> pd.Series:
    """NIFTY 50 NSE daily closes (arun7pulse/askIndex, shipped with the replay provider),
    for the days NSE's archive writes ``-`` as the underlying value."""
    base = resources.files("optionsintel.providers").joinpath("replay_data", "market")
    name = "NIFTY50_daily_2000-01-03_2021-08-26_arun7pulse.csv.gz"
    bars = pd.read_csv(io.BytesIO(gzip.decompress(base.joinpath(name).read_bytes())))
    return bars.set_index(pd.to_datetime(bars["date"]).dt.date)["close"]


@pytest.fixture(scope="module")
def jan_2019_chains():
    hist, close = _history(), _closes()
    days = sorted(d.date() for d in hist["date"].unique())
    chains = [eod_chain(hist, d, lot_size=75, underlying_price=float(close[d])) for d in days]
    return pd.concat(chains, ignore_index=True)


def test_iv_rank_over_contract_histories_has_values(jan_2019_chains):
    """NSE's contract-wise archive has no IV column: the provider figure is NaN on
    every row, so an analytic reading it had no ATM IV and no IV rank. Ours has."""
    chains = jan_2019_chains
    assert chains["iv"].isna().all()
    cm = ch.constant_maturity_iv(chains)
    series = cm.set_index("snapshot_ts")["cm_iv"]
    # 31-Jan (expiry day, T = 0 at the close) has only expiring contracts in the file
    assert len(series) == 23 and series.iloc[:-1].notna().all() and np.isnan(series.iloc[-1])
    series = series.iloc[:-1]
    assert series.between(8.0, 30.0).all()
    rank = ch.iv_rank(series, window=20, min_periods=5)
    pct = ch.iv_percentile(series, window=20, min_periods=5)
    assert rank.iloc[:4].isna().all() and rank.iloc[4:].between(0, 100).all()
    assert pct.iloc[4:].notna().all()
    assert dt.date(2019, 1, 1) <= series.index[0].date()
