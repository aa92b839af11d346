"""Data coverage per data set and provider (issue 11 item 7), on a real PostgreSQL.

The replay provider's recorded real days (NIFTY, 16 and 17 July 2025) are collected and
stored; a second provider holds quotes on 14, 15 and 18 July (so 16 and 17 July are its
gap), and daily bars around the 15 August 2025 holiday check that holidays and weekends
are not gaps.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from typer.testing import CliRunner

from optionsintel.calendar import missing_trading_days, trading_days
from optionsintel.collect.session import collect_day, intraday_tables
from optionsintel.services.coverage import data_coverage
from optionsintel.store.partitions import ensure_partitions
from optionsintel.store.reads import read_coverage

D = dt.date


def _seed(store) -> None:
    for day in (D(2025, 7, 16), D(2025, 7, 17)):
        got = collect_day("replay", day, ["NIFTY"])
        with store.transaction() as writer:
            for name, frame in intraday_tables(got).items():
                writer.write(name, frame)
    quotes = collect_day("replay", D(2025, 7, 16), ["NIFTY"]).quotes
    moved = [
        quotes.assign(
            provider="synthetic", snapshot_ts=quotes["snapshot_ts"] + pd.Timedelta(days=k)
        )
        for k in (-2, -1, 2)
    ]
    store.write("underlying_quotes", pd.concat(moved, ignore_index=True))
    bars = pd.DataFrame(
        {"symbol": "NIFTY", "trade_date": [D(2025, 8, 14), D(2025, 8, 18), D(2025, 8, 20)],
         "open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0, "volume": 0.0,
         "provider": "replay"}
    )  # fmt: skip
    store.write("daily_ohlc", bars)
    signal = {
        "underlying": "NIFTY",
        "provider": "replay",
        "expiry": D(2025, 7, 24),
        "signal_type": "CALL_BUILDUP",
        "confidence": 50.0,
        "strength": "MODERATE",
        "snapshot_ts": pd.Timestamp("2025-07-16 19:00", tz="UTC"),
    }  # 00:30 IST on the 17th
    store.write("signals", pd.DataFrame([signal]))
    with store.engine.begin() as conn:  # an empty partition holds no day
        ensure_partitions(conn, "underlying_quotes", [D(2025, 7, 21)])


def _row(frame, dataset, provider):
    rows = frame.loc[(frame["dataset"] == dataset) & (frame["provider"] == provider)]
    assert len(rows) == 1, (dataset, provider, frame)
    return rows.iloc[0]


def test_coverage_per_dataset_and_provider(clean_store):
    _seed(clean_store)
    cov = data_coverage(clean_store)
    real = _row(cov, "option_chain_snapshots", "replay")
    assert (real.first_day, real.last_day, real.days) == (D(2025, 7, 16), D(2025, 7, 17), 2)
    assert real.missing == 0 and real.missing_days == []
    other = _row(cov, "underlying_quotes", "synthetic")
    assert (other.first_day, other.last_day, other.days) == (D(2025, 7, 14), D(2025, 7, 18), 3)
    assert other.missing_days == [D(2025, 7, 16), D(2025, 7, 17)] and other.missing == 2
    for dataset in ("underlying_quotes", "intraday_open_interest"):
        assert _row(cov, dataset, "replay").stored_days == [D(2025, 7, 16), D(2025, 7, 17)]
    bars = _row(cov, "daily_ohlc", "replay")  # 15 Aug is a holiday, 16-17 a weekend
    assert bars.missing_days == [D(2025, 8, 19)]
    assert _row(cov, "signals", "replay").stored_days == [D(2025, 7, 17)]  # IST day
    # rows of the empty data sets are absent; no provider is mixed into another's row
    assert set(cov["dataset"]) <= {
        "underlying_quotes", "option_chain_snapshots", "intraday_open_interest",
        "oi_delta_log", "daily_ohlc", "signals",
    }  # fmt: skip
    assert read_coverage(clean_store).equals(cov.drop(columns=["missing", "missing_days"]))


def test_empty_store_has_no_coverage(clean_store):
    assert data_coverage(clean_store).empty


def test_missing_trading_days_against_the_calendar():
    days = [D(2025, 7, 14), D(2025, 7, 18), D(2025, 7, 18)]
    assert list(missing_trading_days(days).date) == [D(2025, 7, 15), D(2025, 7, 16), D(2025, 7, 17)]
    assert missing_trading_days([D(2025, 7, 14)]).empty
    assert missing_trading_days([]).empty
    # a day before the calendar's years: only the covered part of the span is checked
    early = missing_trading_days([D(2010, 1, 4), D(2019, 1, 3)])
    assert list(early.date) == [D(2019, 1, 1), D(2019, 1, 2)]
    # everything the calendar expects between two far days, minus the days held
    span = trading_days("2024-01-01", "2024-12-31")
    held = span[::3]
    assert missing_trading_days(held).equals(
        span[(span >= held[0]) & (span <= held[-1])].difference(held)
    )


def test_db_status_states_coverage(clean_store, database_url, monkeypatch):
    from optionsintel.cli.main import app
    from optionsintel.settings import get_settings

    _seed(clean_store)
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["db", "status"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "coverage" in result.output
    line = next(
        x for x in result.output.splitlines() if "underlying_quotes" in x and "synthetic" in x
    )
    assert "2025-07-14 .. 2025-07-18" in line and "2 missing: 2025-07-16, 2025-07-17" in line
    line = next(
        x for x in result.output.splitlines() if "option_chain_snapshots" in x and "replay" in x
    )
    assert "no gaps" in line
