"""COPY + merge: idempotent upserts, exact round trips, clear errors."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optionsintel.errors import FrameValidationError, StoreError, StoreWriteError
from optionsintel.store import Store


def _chain(n_ts: int = 3, strikes=(25000.0, 25050.0, 25100.0), provider="replay", seed=0):
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp("2025-07-16 09:15:00+05:30").tz_convert("UTC")
    idx = pd.MultiIndex.from_product(
        [[t0 + pd.Timedelta(seconds=15 * k) for k in range(n_ts)], strikes, ["CE", "PE"]],
        names=["snapshot_ts", "strike", "option_type"],
    )
    df = idx.to_frame(index=False)
    n = len(df)
    df["underlying"] = "NIFTY"
    df["expiry"] = pd.Timestamp("2025-07-17")
    df["ltp"] = rng.uniform(0.05, 500, n).round(2)
    df["bid"] = df["ltp"] - 0.05
    df["ask"] = df["ltp"] + 0.05
    df["oi"] = rng.integers(0, 100_000, n).astype(float)
    df["iv"] = np.where(rng.random(n) < 0.2, np.nan, rng.uniform(8, 30, n))
    df["delta"] = rng.uniform(-1, 1, n)
    df["provider"] = provider
    df["exchange_ts"] = df["snapshot_ts"]
    df["ingested_at"] = pd.Timestamp("2025-07-16 09:16:00+05:30").tz_convert("UTC")
    return df


def test_upsert_is_idempotent(clean_store: Store) -> None:
    df = _chain()
    first = clean_store.write("option_chain_snapshots", df)
    assert (first.inserted, first.updated) == (len(df), 0)
    before = clean_store.read("option_chain_snapshots", order_by=["snapshot_ts", "strike"])
    again = df.assign(ingested_at=pd.Timestamp.now(tz="UTC"))  # a re-run ingests later
    second = clean_store.write("option_chain_snapshots", again)
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, len(df))
    after = clean_store.read("option_chain_snapshots", order_by=["snapshot_ts", "strike"])
    pd.testing.assert_frame_equal(before, after)


def test_changed_rows_are_updated(clean_store: Store) -> None:
    df = _chain()
    clean_store.write("option_chain_snapshots", df)
    changed = df.copy()
    changed.loc[[0, 5], "ltp"] = 1.23
    result = clean_store.write("option_chain_snapshots", changed)
    assert (result.inserted, result.updated) == (0, 2)
    got = clean_store.read("option_chain_snapshots", where={"ltp": 1.23})
    assert len(got) == 2


def test_copy_round_trip_is_exact(clean_store: Store) -> None:
    df = _chain(n_ts=4, seed=3)
    df.loc[3, "ltp"] = 0.1 + 0.2  # a float whose shortest repr is long
    df.loc[4, "delta"] = -1e-300
    clean_store.write("option_chain_snapshots", df)
    got = clean_store.read("option_chain_snapshots")
    key = ["snapshot_ts", "strike", "option_type"]
    got = got.sort_values(key).reset_index(drop=True)
    exp = df.sort_values(key).reset_index(drop=True)
    for col in ["ltp", "bid", "ask", "oi", "iv", "delta"]:
        np.testing.assert_array_equal(got[col].to_numpy(), exp[col].to_numpy(), err_msg=col)
    assert (got["snapshot_ts"] == exp["snapshot_ts"]).all()
    assert (got["provider"] == "replay").all()


def test_providers_never_collide(clean_store: Store) -> None:
    clean_store.write("option_chain_snapshots", _chain(provider="replay"))
    clean_store.write("option_chain_snapshots", _chain(provider="synthetic", seed=9))
    counts = clean_store.read("option_chain_snapshots").groupby("provider").size()
    assert counts.to_dict() == {"replay": 18, "synthetic": 18}


def test_failed_write_leaves_nothing(clean_store: Store) -> None:
    good = _chain()
    bad = _chain().assign(oi=-5.0)  # violates the OI >= 0 check
    bad["underlying"] = "BANKNIFTY"
    with pytest.raises(StoreWriteError, match="oi_non_negative"), clean_store.transaction() as w:
        w.write("option_chain_snapshots", good)
        w.write("option_chain_snapshots", bad)
    assert clean_store.count("option_chain_snapshots") == 0


def test_duplicate_keys_are_rejected(clean_store: Store) -> None:
    df = _chain()
    dup = pd.concat([df, df.iloc[[0]]])
    with pytest.raises(FrameValidationError, match="repeat a natural key"):
        clean_store.write("option_chain_snapshots", dup)


def test_missing_key_columns_are_named(clean_store: Store) -> None:
    with pytest.raises(FrameValidationError, match="expiry"):
        clean_store.write("option_chain_snapshots", _chain().drop(columns="expiry"))


def test_unknown_table(clean_store: Store) -> None:
    with pytest.raises(StoreError, match="unknown table"):
        clean_store.write("nope", _chain())


def test_json_columns_round_trip(clean_store: Store) -> None:
    sig = pd.DataFrame(
        {
            "underlying": ["NIFTY"],
            "snapshot_ts": [pd.Timestamp("2025-07-17 10:00+05:30")],
            "expiry": [dt.date(2025, 7, 24)],
            "signal_type": ["CALL_BUILDUP"],
            "confidence": [72.5],
            "strength": ["STRONG"],
            "strikes": [[25200.0, 25300.0]],
            "supporting": [{"oi_change": np.float64(12345.0), "note": "x"}],
            "provider": ["replay"],
        }
    )
    clean_store.write("signals", sig)
    got = clean_store.read("signals")
    assert got.loc[0, "strikes"] == [25200.0, 25300.0]
    assert got.loc[0, "supporting"] == {"oi_change": 12345.0, "note": "x"}


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(st.sampled_from(["NIFTY", "BANKNIFTY"]), st.integers(0, 30), st.floats(1, 1e5)),
        min_size=1,
        max_size=30,
        unique_by=lambda r: (r[0], r[1]),
    )
)
def test_upsert_idempotent_property(clean_store: Store, rows) -> None:
    df = pd.DataFrame(rows, columns=["symbol", "day", "close"])
    df["trade_date"] = pd.Timestamp("2025-01-01") + pd.to_timedelta(df.pop("day"), unit="D")
    df["provider"] = "synthetic"
    with clean_store.engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE daily_ohlc")
    clean_store.write("daily_ohlc", df)
    snap = clean_store.read("daily_ohlc", order_by=["symbol", "trade_date"])
    r = clean_store.write("daily_ohlc", df)
    assert r.inserted == 0 and r.updated == 0
    pd.testing.assert_frame_equal(
        snap, clean_store.read("daily_ohlc", order_by=["symbol", "trade_date"])
    )


def test_binary_copy_handles_nulls_and_text_lengths(clean_store: Store) -> None:
    """Rows with different NULL patterns and text lengths land in different binary layouts."""
    df = pd.DataFrame(
        {
            "symbol": ["NIFTY", "BANKNIFTY", "RELIANCE", "X"],
            "segment": ["index", "index", "equity", "equity"],
            "name": ["Nifty 50", None, "Reliance Industries Ltd — ₹", ""],
            "sector": [None, None, "Energy", "Ünïcode"],
            "is_active": [True, False, True, True],
            "provider": ["reference"] * 4,
        }
    )
    clean_store.write("instruments", df)
    got = clean_store.read("instruments", order_by=["symbol"]).set_index("symbol")
    assert got.loc["RELIANCE", "name"] == "Reliance Industries Ltd — ₹"
    assert got.loc["X", "sector"] == "Ünïcode"
    assert pd.isna(got.loc["BANKNIFTY", "name"]) and not got.loc["BANKNIFTY", "is_active"]
    assert got.loc["X", "name"] == ""
