import datetime as dt

import numpy as np
import pandas as pd

from optionsintel.services.demo import demo_plan, recent_trading_days
from optionsintel.synthetic import generate_day
from optionsintel.transforms.daily import daily_ohlc_from_quotes
from optionsintel.transforms.derived import cluster_labels, levels_to_rows, signals_for_snapshots


def test_signals_rows_fit_the_table():
    day = generate_day("NIFTY", "2025-07-16", interval_seconds=900, seed=3)
    rows = signals_for_snapshots(day.chains["NIFTY"].frame(slice(None)))
    assert {"signal_type", "confidence", "strength", "strikes", "supporting"} <= set(rows.columns)
    assert rows["confidence"].between(0, 100).all()
    assert not rows.duplicated(
        ["underlying", "provider", "snapshot_ts", "expiry", "signal_type"]
    ).any()
    assert signals_for_snapshots(day.chains["NIFTY"].frame([0])).empty


def test_levels_include_walls_and_pivots():
    day = generate_day("NIFTY", "2025-07-16", interval_seconds=900, seed=3)
    eod = day.chains["NIFTY"].eod()
    bars = daily_ohlc_from_quotes(day.quotes)
    rows = levels_to_rows(eod, bars)
    assert set(rows["method"]) == {"oi_wall", "pivot_classic"}
    piv = rows.loc[rows["method"] == "pivot_classic"].set_index("level_type")
    h, lo, c = bars[["high", "low", "close"]].iloc[0]
    p = (h + lo + c) / 3
    np.testing.assert_allclose(piv.loc["PIVOT", "level"], p)
    assert not rows.duplicated(
        ["underlying", "provider", "trade_date", "method", "level_type", "rank"]
    ).any()


def test_cluster_labels_report_insufficient_data_then_label():
    rng = np.random.default_rng(1)
    days = pd.bdate_range("2025-01-01", periods=40)
    summ = pd.DataFrame(
        {
            "underlying": "NIFTY",
            "provider": "synthetic",
            "trade_date": np.repeat(days, 2),
            "expiry": np.tile(pd.to_datetime(["2025-03-27", "2025-04-24"]), 40),
            "pcr_oi": rng.normal(1, 0.1, 80),
            "total_ce_oi": rng.normal(1e6, 1e4, 80),
            "total_pe_oi": rng.normal(1e6, 1e4, 80),
            "total_ce_volume": rng.normal(1e5, 1e3, 80),
            "total_pe_volume": rng.normal(1e5, 1e3, 80),
            "atm_iv": rng.normal(14, 1, 80),
            "gex_total": rng.normal(0, 1e9, 80),
        }
    )
    empty, res = cluster_labels(summ.iloc[:6], summ.iloc[:0], "synthetic")
    assert empty.empty and res.status == "INSUFFICIENT_DATA" and res.reason
    labels, res = cluster_labels(summ, summ.iloc[:0], "synthetic")
    assert res.status == "OK" and len(labels)
    assert (labels["provider"] == "synthetic").all() and labels["ts"].dt.tz is not None


def test_demo_plan_picks_closed_recent_days_and_replay_days():
    now = pd.Timestamp("2025-07-16 12:00", tz="Asia/Kolkata")  # session not closed yet
    assert recent_trading_days(now, 3) == [
        dt.date(2025, 7, 11),
        dt.date(2025, 7, 14),
        dt.date(2025, 7, 15),
    ]
    plan = demo_plan(now, synthetic_days=2)
    assert plan.days["synthetic"] == [dt.date(2025, 7, 14), dt.date(2025, 7, 15)]
    assert dt.date(2019, 8, 23) in plan.days["replay"]


def test_demo_plan_beyond_calendar_coverage_uses_last_covered_days():
    """A clone run after the holiday data ends still gets a demo (no CalendarError)."""
    days = recent_trading_days(pd.Timestamp("2027-03-01 12:00", tz="Asia/Kolkata"), 2)
    assert days == [dt.date(2026, 12, 30), dt.date(2026, 12, 31)]
