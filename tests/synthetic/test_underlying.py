from __future__ import annotations

import datetime as dt
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from optionsintel.calendar import is_trading_day
from optionsintel.errors import CalendarError
from optionsintel.frames import CANDLE_COLUMNS, QUOTE_COLUMNS
from optionsintel.synthetic import generate_day, index_daily_ohlc
from optionsintel.synthetic.underlying import intraday_path

LEVELS = {"NIFTY": (21_000, 30_000), "BANKNIFTY": (48_000, 66_000), "FINNIFTY": (22_000, 31_000)}


def test_same_seed_identical_different_seed_differs():
    a = index_daily_ohlc("NIFTY", "2025-01-01", "2025-03-31", seed=3)
    b = index_daily_ohlc("NIFTY", "2025-01-01", "2025-03-31", seed=3)
    c = index_daily_ohlc("NIFTY", "2025-01-01", "2025-03-31", seed=4)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["close"], c["close"])


@pytest.mark.slow
def test_identical_across_processes():
    code = (
        "from optionsintel.synthetic import generate_eod_chain, index_daily_ohlc;"
        "import pandas as pd;"
        "a = index_daily_ohlc('BANKNIFTY', '2025-06-01', '2025-06-30', 11);"
        "c = generate_eod_chain('FINNIFTY', '2025-06-18', 11);"
        "print(repr(a.close.sum()), repr(c.ltp.sum()), repr(c.oi.sum()))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    from optionsintel.synthetic import generate_eod_chain

    a = index_daily_ohlc("BANKNIFTY", "2025-06-01", "2025-06-30", 11)
    c = generate_eod_chain("FINNIFTY", "2025-06-18", 11)
    assert out.stdout.split() == [repr(a.close.sum()), repr(c.ltp.sum()), repr(c.oi.sum())]


def test_a_day_does_not_depend_on_the_requested_range():
    long = index_daily_ohlc("NIFTY", "2024-01-01", "2025-07-31", seed=5).set_index("ts")
    short = index_daily_ohlc("NIFTY", "2025-07-01", "2025-07-31", seed=5).set_index("ts")
    pd.testing.assert_frame_equal(long.loc[short.index], short)


@pytest.mark.parametrize("underlying", sorted(LEVELS))
def test_daily_ohlc_is_consistent_and_realistic(underlying):
    d = index_daily_ohlc(underlying, "2025-01-01", "2026-06-30", seed=0)
    assert list(d.columns) == list(CANDLE_COLUMNS)
    assert (d["provider"] == "synthetic").all()
    assert (d["high"] >= d[["open", "close"]].max(axis=1)).all()
    assert (d["low"] <= d[["open", "close"]].min(axis=1)).all()
    lo, hi = LEVELS[underlying]
    assert d["close"].between(lo, hi).all()
    days = d["ts"].dt.tz_convert("Asia/Kolkata").dt.date
    assert all(is_trading_day(x) for x in days)
    r = np.log(d["close"]).diff().dropna()
    assert 0.06 < r.std() * np.sqrt(252) < 0.35  # index-like annual volatility
    gaps = np.log(d["open"].to_numpy()[1:] / d["close"].to_numpy()[:-1])
    assert np.abs(gaps).mean() < np.abs(r).mean()  # overnight gaps smaller than day moves


def test_ticks_cover_exactly_the_session():
    q, _ = generate_day(["NIFTY"], "2025-07-16", seed=1)
    assert list(q.columns) == list(QUOTE_COLUMNS)
    ist = q["snapshot_ts"].dt.tz_convert("Asia/Kolkata")
    assert len(q) == 1501
    assert ist.iloc[0].time() == dt.time(9, 15) and ist.iloc[-1].time() == dt.time(15, 30)
    assert (q["snapshot_ts"].diff().dropna() == pd.Timedelta(seconds=15)).all()
    assert (q["exchange_ts"] == q["snapshot_ts"]).all() and (
        q["ingested_at"] == q["snapshot_ts"]
    ).all()
    assert (q["high"] >= q["ltp"]).all() and (q["low"] <= q["ltp"]).all()
    assert q["volume"].is_monotonic_increasing


def test_intraday_path_ends_at_daily_close_and_starts_at_open():
    d = index_daily_ohlc("NIFTY", "2025-07-16", "2025-07-16", seed=2).iloc[0]
    p = intraday_path("NIFTY", dt.date(2025, 7, 16), seed=2)
    assert p.spot[0] == pytest.approx(d["open"]) and p.spot[-1] == pytest.approx(d["close"])
    assert p.spot.max() == pytest.approx(d["high"]) and p.spot.min() == pytest.approx(d["low"])
    prev = index_daily_ohlc("NIFTY", "2025-07-15", "2025-07-15", seed=2).iloc[0]
    assert p.prev_close == pytest.approx(prev["close"])


def test_intraday_volume_is_u_shaped():
    q, _ = generate_day("NIFTY", "2025-07-16", seed=1)
    v = q["volume"].diff().fillna(0).to_numpy()
    first, middle, last = v[1:121].sum(), v[690:810].sum(), v[-120:].sum()
    assert first > 1.5 * middle and last > 1.2 * middle


def test_other_intervals_subsample_the_same_ticks():
    q15, _ = generate_day("NIFTY", "2025-07-16", interval_seconds=15, seed=1)
    q60, _ = generate_day("NIFTY", "2025-07-16", interval_seconds=60, seed=1)
    assert len(q60) == 376
    merged = q60.merge(q15, on="snapshot_ts", suffixes=("", "_15"))
    assert len(merged) == len(q60)
    np.testing.assert_allclose(merged["ltp"], merged["ltp_15"])


@pytest.mark.parametrize("day", ["2025-07-19", "2025-08-15"])  # Saturday, Independence Day
def test_non_trading_days_are_refused(day):
    with pytest.raises(CalendarError, match="not an NSE trading day"):
        generate_day("NIFTY", day)


def test_bad_inputs_are_refused():
    from optionsintel.providers.base import NoDataError

    with pytest.raises(NoDataError, match="simulates"):
        index_daily_ohlc("SENSEX", "2025-01-01", "2025-01-31")
    with pytest.raises(ValueError, match="multiple of 15"):
        generate_day("NIFTY", "2025-07-16", interval_seconds=20)
    with pytest.raises(CalendarError):
        index_daily_ohlc("NIFTY", "2025-02-01", "2025-01-01")
