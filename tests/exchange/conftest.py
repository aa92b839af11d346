"""Rows of every importable data set, as the store holds them (with awkward values)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

PROVIDER = "my_broker"


def daily_bars(n: int = 40) -> pd.DataFrame:
    k = 2 if n <= 1_000 else 40  # symbols per day (n must be a multiple of k)
    rng = np.random.default_rng(7)
    close = 100 + rng.normal(0, 1, n).cumsum()
    return pd.DataFrame(
        {
            # k symbols a day, so large n stays within the store's date horizon
            "symbol": (["NIFTY", "M&M"] + [f"SYM{i}" for i in range(k - 2)]) * (n // k),
            "trade_date": pd.Timestamp("2025-06-02") + pd.to_timedelta(np.arange(n) // k, unit="D"),
            "open": close + 0.1,
            "high": close + 1.0 / 3.0,
            "low": close - 0.7,
            "close": close,
            "volume": rng.integers(0, 10**9, n).astype(float),
            "oi": np.where(np.arange(n) % 5, 1e7, np.nan),
            "provider": PROVIDER,
        }
    )


def option_chain() -> pd.DataFrame:
    strikes = np.arange(24000.0, 25000.0, 100.0)
    frames = []
    for ts in ("2025-07-16 03:45:00", "2025-07-16 03:45:15.250"):
        for side in ("CE", "PE"):
            f = pd.DataFrame({"strike": strikes, "option_type": side})
            f["snapshot_ts"] = pd.Timestamp(ts, tz="UTC")
            frames.append(f)
    f = pd.concat(frames, ignore_index=True)
    n = len(f)
    rng = np.random.default_rng(3)
    f["underlying"] = "NIFTY"
    f["expiry"] = pd.Timestamp("2025-07-31")
    for col in (
        "ltp",
        "bid",
        "ask",
        "bid_qty",
        "ask_qty",
        "volume",
        "oi",
        "iv",
        "underlying_price",
    ):
        f[col] = rng.random(n) * 500
    f["oi_change"] = rng.normal(0, 1000, n)
    f["delta"] = rng.uniform(-1, 1, n)
    for col in ("gamma", "theta", "vega"):
        f[col] = np.where(np.arange(n) % 3, rng.normal(0, 1, n), np.nan)
    f["exchange_ts"] = f["snapshot_ts"] - pd.Timedelta(seconds=2)
    f.loc[0, "exchange_ts"] = pd.NaT
    f["provider"] = PROVIDER
    return f


def instruments() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "symbol": ["NIFTY", "M&M", "BAJAJ-AUTO"],
            "segment": ["index", "equity", "equity"],
            "exchange": "NSE",
            "name": ['=HYPERLINK("x")', '+Mahindra, "quoted"', "-Bajaj\nAuto"],
            "sector": [None, "@Auto", "Auto"],
            "is_active": [True, False, True],
            "attributes": [{}, {"lot": 75, "tags": ["a", "ü"]}, {"nested": {"x": [1, 2.5]}}],
            "provider": PROVIDER,
        }
    )


SEEDS = {
    "daily_bars": ("daily_ohlc", daily_bars),
    "option_chain": ("option_chain_snapshots", option_chain),
    "instruments": ("instruments", instruments),
}


@pytest.fixture
def seeds():
    return SEEDS
