"""The validation boundary for provider answers: hostile rows are refused with a reason."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from optionsintel.frames import CHAIN_COLUMNS
from optionsintel.validation import day_horizon, instant_horizon, validate_market_frame


def _chain(n: int = 6) -> pd.DataFrame:
    frame = pd.DataFrame({c: np.nan for c in CHAIN_COLUMNS}, index=range(n))
    frame["underlying"] = "NIFTY"
    frame["snapshot_ts"] = pd.Timestamp("2025-07-16 10:00", tz="UTC")
    frame["exchange_ts"] = frame["snapshot_ts"]
    frame["ingested_at"] = frame["snapshot_ts"]
    frame["expiry"] = pd.Timestamp("2025-07-17")
    frame["strike"] = 25000.0 + 50 * (np.arange(n) // 2)
    frame["option_type"] = ["CE", "PE"] * (n // 2)
    frame["ltp"] = 100.0
    frame["oi"] = 1000.0
    frame["provider"] = "nse"
    return frame


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("oi", np.inf, "oi is not finite"),
        ("ltp", 1e308, "ltp is beyond 1e+12"),
        ("strike", -25000.0, "strike is not > 0"),
        ("volume", -5.0, "volume is negative"),
        ("oi", "1,234", "oi is not a number"),
        ("expiry", "01-Jan-0001", "expiry is"),
        ("snapshot_ts", pd.Timestamp("2099-01-01", tz="UTC"), "snapshot_ts is outside"),
        ("snapshot_ts", 1_752_660_000, "snapshot_ts is not a timestamp"),
        ("underlying", "BANKNIFTY", "underlying BANKNIFTY is not the requested NIFTY"),
        ("option_type", "XX", "option_type is not CE or PE"),
        ("provider", "", "provider is missing"),
    ],
)
def test_one_hostile_value_refuses_only_its_row(column: str, value: object, reason: str) -> None:
    frame = _chain().astype({column: object})
    frame.loc[2, column] = value
    clean, rejected = validate_market_frame(frame, "chain", symbol="NIFTY")
    assert len(clean) == 5
    assert len(rejected) == 1
    assert reason in rejected["reason"].iloc[0]
    assert clean["oi"].dtype == np.float64
    assert str(clean["snapshot_ts"].dt.tz) == "UTC"


def test_repeated_contracts_are_all_refused() -> None:
    # the same contract twice with different values: which copy is right is unknowable
    frame = pd.concat([_chain(), _chain().iloc[[0]].assign(ltp=101.0)], ignore_index=True)
    clean, rejected = validate_market_frame(frame, "chain")
    assert len(clean) == 5 and len(rejected) == 2
    assert set(rejected["reason"]) == {"contract repeated within a snapshot"}


def test_an_identical_copy_of_a_contract_keeps_the_first() -> None:
    frame = pd.concat([_chain(), _chain().iloc[[0]]], ignore_index=True)
    clean, rejected = validate_market_frame(frame, "chain")
    assert len(clean) == 6 and len(rejected) == 1
    assert rejected["reason"].tolist() == ["duplicated contract (first one kept)"]
    assert not clean.duplicated(["underlying", "expiry", "strike", "option_type"]).any()


def test_the_window_and_trading_day_narrow_the_horizon() -> None:
    frame = _chain().astype({"expiry": object})
    frame.loc[1, "expiry"] = pd.Timestamp("2025-07-10")  # expired before the trading day
    frame.loc[3, "snapshot_ts"] = pd.Timestamp("2025-07-15 10:00", tz="UTC")  # a day old
    at = pd.Timestamp("2025-07-16 10:00", tz="UTC")
    clean, rejected = validate_market_frame(
        frame, "chain", window=(at - pd.Timedelta(hours=1), at), trading_day=dt.date(2025, 7, 16)
    )
    assert len(clean) == 4
    assert rejected["reason"].tolist() == [
        "expiry is before the day 2025-07-16",
        "snapshot_ts is outside 2025-07-16 09:00 to 2025-07-16 10:00 UTC",
    ]


def test_clean_frame_passes_whole_and_nan_is_allowed() -> None:
    frame = _chain()
    clean, rejected = validate_market_frame(frame, "chain", symbol="NIFTY")
    assert rejected.empty and len(clean) == len(frame)
    assert clean["iv"].isna().all()


def test_missing_columns_refuse_every_row() -> None:
    clean, rejected = validate_market_frame(_chain().drop(columns="oi"), "chain")
    assert clean.empty and rejected["reason"].str.contains("missing columns").all()


def test_naive_instants_are_ist() -> None:
    frame = _chain().assign(snapshot_ts=pd.Timestamp("2025-07-16 15:30"))
    clean, _ = validate_market_frame(frame, "chain")
    assert clean["snapshot_ts"].iloc[0] == pd.Timestamp("2025-07-16 10:00", tz="UTC")


def test_horizon_bounds() -> None:
    assert day_horizon(dt.date(2024, 2, 29)) == (dt.date(1990, 1, 1), dt.date(2034, 2, 28))
    lo, hi = instant_horizon(dt.date(2025, 7, 16))
    assert (lo, hi) == (pd.Timestamp("1990-01-01", tz="UTC"), pd.Timestamp("2035-07-16", tz="UTC"))


def test_a_partial_frame_checks_what_it_has() -> None:
    frame = _chain().drop(columns=["bid", "ask", "iv"]).astype({"oi": object})
    frame.loc[1, "oi"] = -3.0
    clean, rejected = validate_market_frame(frame, "chain", partial=True)
    assert list(clean.columns) == list(frame.columns)  # absent columns stay absent
    assert len(clean) == 5 and rejected["reason"].tolist() == ["oi is negative"]
    keyless = validate_market_frame(frame.drop(columns="strike"), "chain", partial=True)
    assert keyless.clean.empty and keyless.rejected["reason"].str.contains("missing columns").all()
