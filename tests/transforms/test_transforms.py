import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from optionsintel.synthetic import generate_day
from optionsintel.transforms.daily import (
    daily_ohlc_from_quotes,
    daily_option_oi_summary,
    eod_chain_from_snapshots,
    eod_to_chain,
)
from optionsintel.transforms.intraday import intraday_oi_from_chain, oi_delta_log
from optionsintel.transforms.sampling import sample_ticks


@pytest.fixture(scope="module")
def day():
    return generate_day("NIFTY", "2025-07-16", interval_seconds=900, seed=3)


@pytest.fixture(scope="module")
def chain(day):
    return day.chains["NIFTY"].frame(slice(0, 4))


def test_intraday_oi_pivots_calls_and_puts(chain):
    out = intraday_oi_from_chain(chain)
    one = chain.loc[chain["snapshot_ts"] == chain["snapshot_ts"].min()]
    assert len(out) == one.groupby(["expiry", "strike"]).ngroups * 4
    calls = chain.loc[chain["option_type"] == "CE"].set_index(["snapshot_ts", "expiry", "strike"])[
        "oi"
    ]
    got = out.set_index(["snapshot_ts", "expiry", "strike"])["ce_oi"]
    assert_allclose(got.loc[calls.index].to_numpy(), calls.to_numpy())
    assert not out.duplicated(["underlying", "provider", "snapshot_ts", "expiry", "strike"]).any()


def test_oi_delta_log_is_the_difference_of_consecutive_snapshots(chain):
    log = oi_delta_log(chain)
    ts = sorted(chain["snapshot_ts"].unique())
    assert set(log["snapshot_ts"]) <= set(ts[1:])
    key = ["expiry", "strike", "option_type"]
    a = chain.loc[chain["snapshot_ts"] == ts[0]].set_index(key)["oi"]
    b = chain.loc[chain["snapshot_ts"] == ts[1]].set_index(key)["oi"]
    step = log.loc[log["snapshot_ts"] == ts[1]].set_index(key)
    assert_allclose(step["oi_delta"], (b - a).loc[step.index])
    assert (step["oi_delta"] != 0).all()
    prev = step["previous_oi"].where(step["previous_oi"] > 0)  # NaN from a zero base
    assert_allclose(step["oi_delta_pct"], 100 * step["oi_delta"] / prev)


def test_oi_delta_log_links_across_batches(chain):
    ts = sorted(chain["snapshot_ts"].unique())
    first = chain.loc[chain["snapshot_ts"] == ts[0]]
    rest = chain.loc[chain["snapshot_ts"] > ts[0]]
    whole = oi_delta_log(chain)
    split = oi_delta_log(rest, previous=first)
    cols = ["snapshot_ts", "expiry", "strike", "option_type", "oi_delta"]
    pd.testing.assert_frame_equal(
        whole[cols].sort_values(cols[:4]).reset_index(drop=True),
        split[cols].sort_values(cols[:4]).reset_index(drop=True),
    )


def test_eod_chain_and_summary(day):
    snaps = day.chains["NIFTY"].frame(slice(None))
    eod = eod_chain_from_snapshots(snaps)
    close = day.chains["NIFTY"].eod()
    assert len(eod) == len(close)
    merged = eod.merge(
        close.assign(option_type=close["option_type"].astype(str)),
        on=["expiry", "strike", "option_type"],
        suffixes=("", "_c"),
    )
    assert_allclose(merged["oi"], merged["oi_c"])
    assert (merged["high"] >= merged["close"]).all() and (merged["low"] <= merged["close"]).all()
    # iv is the platform's own; the provider's figure of the last snapshot sits beside it
    last = snaps[snaps["snapshot_ts"] == snaps["snapshot_ts"].max()]
    both = eod.merge(last[["expiry", "strike", "option_type", "iv"]].assign(
        option_type=last["option_type"].astype(str)), on=["expiry", "strike", "option_type"],
        suffixes=("", "_last"))  # fmt: skip
    assert_allclose(both["provider_iv"], both["iv_last"].where(both["iv_last"] > 0))
    assert set(eod["iv_price_source"]) <= {"mid", "ltp", "mid_wide", "none"}
    assert eod["iv"].notna().mean() > 0.5
    summary = daily_option_oi_summary(eod)
    assert len(summary) == eod["expiry"].nunique()
    first = summary.sort_values("expiry").iloc[0]
    e0 = eod.loc[eod["expiry"] == eod["expiry"].min()]
    assert_allclose(first["total_ce_oi"], e0.loc[e0["option_type"] == "CE", "oi"].sum())
    assert_allclose(first["pcr_oi"], first["total_pe_oi"] / first["total_ce_oi"])
    assert isinstance(first["extra"], dict) and "support" in first["extra"]
    chain = eod_to_chain(eod)
    assert (chain["snapshot_ts"] == pd.Timestamp("2025-07-16 10:00", tz="UTC")).all()


def test_daily_ohlc_from_quotes(day):
    bars = daily_ohlc_from_quotes(day.quotes)
    q = day.quotes
    assert len(bars) == 1
    assert_allclose(bars["close"].iloc[0], q["ltp"].iloc[-1])
    assert bars["high"].iloc[0] >= q["ltp"].max() and bars["low"].iloc[0] <= q["ltp"].min()


def test_sample_ticks_keeps_bucket_starts_and_last():
    t = pd.date_range("2025-07-16 03:45", "2025-07-16 10:00", freq="15s", tz="UTC")
    s = sample_ticks(t, 15)
    assert s[0] == t[0] and s[-1] == t[-1]
    assert len(s) == 26
    with pytest.raises(ValueError):
        sample_ticks(t, 0)
    assert sample_ticks([], 15).empty
    assert np.all(np.diff(s.asi8) > 0)
