"""Hostile frames on write: one timestamp rule, no silent coercion, no NULL over stored values.

Each test reproduces a defect of issue 12 (items 4, 5, 6) and failed before the fix.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from optionsintel.errors import FrameValidationError
from optionsintel.store import Store
from optionsintel.store.schema import metadata


def _quote(ts: object, **extra: object) -> pd.DataFrame:
    row = {"underlying": "NIFTY", "snapshot_ts": ts, "ltp": 25000.0, "provider": "replay"}
    return pd.DataFrame([row | extra])


# -- item 4: timestamps ---------------------------------------------------------------------


def test_naive_timestamps_are_ist_on_write_as_on_read(clean_store: Store) -> None:
    clean_store.write("underlying_quotes", _quote(pd.Timestamp("2025-07-16 15:30")))
    got = clean_store.read("underlying_quotes", start="2025-07-16 15:30", end="2025-07-16 15:30")
    assert len(got) == 1
    assert got["snapshot_ts"].iloc[0] == pd.Timestamp("2025-07-16 10:00", tz="UTC")


def test_naive_and_aware_copies_of_one_instant_are_a_duplicate(clean_store: Store) -> None:
    frame = pd.concat(
        [
            _quote(pd.Timestamp("2025-07-16 15:30")),
            _quote(pd.Timestamp("2025-07-16 10:00", tz="UTC")),
        ],
        ignore_index=True,
    )
    with pytest.raises(FrameValidationError, match="repeat a natural key"):
        clean_store.write("underlying_quotes", frame)
    assert clean_store.count("underlying_quotes") == 0


@pytest.mark.parametrize("epoch", [1_752_660_000, 1_752_660_000.0])
def test_epoch_numbers_are_refused_not_1970(clean_store: Store, epoch) -> None:
    with pytest.raises(FrameValidationError, match="snapshot_ts"):
        clean_store.write("underlying_quotes", _quote(epoch))
    assert clean_store.count("underlying_quotes") == 0


@pytest.mark.parametrize(
    "ts",
    [pd.Timestamp("2099-07-16 10:00", tz="UTC"), pd.Timestamp("1970-01-01 00:00", tz="UTC")],
)
def test_instants_outside_the_horizon_are_refused(clean_store: Store, ts) -> None:
    with pytest.raises(FrameValidationError, match="outside"):
        clean_store.write("underlying_quotes", _quote(ts))
    inventory = clean_store.partition_inventory()["underlying_quotes"]
    assert not any("2099" in name or "1970" in name for name in inventory)


def test_mixed_object_timestamps_follow_the_same_rule(clean_store: Store) -> None:
    frame = pd.DataFrame(
        {
            "underlying": ["NIFTY", "NIFTY"],
            "snapshot_ts": pd.Series(
                [pd.Timestamp("2025-07-16 15:30"), "2025-07-16T10:00:15+00:00"], dtype=object
            ),
            "provider": "replay",
        }
    )
    clean_store.write("underlying_quotes", frame)
    got = clean_store.read("underlying_quotes", order_by=["snapshot_ts"])["snapshot_ts"]
    assert list(got) == [
        pd.Timestamp("2025-07-16 10:00:00", tz="UTC"),
        pd.Timestamp("2025-07-16 10:00:15", tz="UTC"),
    ]


def test_expiry_far_in_the_past_is_refused(clean_store: Store) -> None:
    chain = _chain_row(expiry=dt.date(1, 1, 1))
    with pytest.raises(FrameValidationError, match="expiry"):
        clean_store.write("option_chain_snapshots", chain)


# -- item 5: no silent coercion ---------------------------------------------------------------


def _level(**values: object) -> pd.DataFrame:
    row = {
        "underlying": "NIFTY", "provider": "replay", "trade_date": dt.date(2025, 7, 16),
        "method": "oi_wall", "level_type": "SUPPORT", "rank": 1, "level": 25000.0,
    }  # fmt: skip
    return pd.DataFrame([row | values])


def _metrics(**values: object) -> pd.DataFrame:
    row = {
        "provider": "nse", "ts": pd.Timestamp("2025-07-16 10:00", tz="UTC"),
        "requests": 3, "successes": 3, "failures": 0, "breaker_state": "closed",
    }  # fmt: skip
    return pd.DataFrame([row | values])


@pytest.mark.parametrize(
    ("table", "frame", "column"),
    [
        ("data_source_metrics", _metrics(requests=10_000_000_000), "requests"),
        ("data_source_metrics", _metrics(requests=2**32 + 75), "requests"),
        ("data_source_metrics", _metrics(requests=75.9), "requests"),
        ("data_source_metrics", _metrics(requests="12"), "requests"),
        ("support_resistance_levels", _level(rank=40_000), "rank"),
        ("support_resistance_levels", _level(level="1,234"), "level"),
    ],
)
def test_numbers_are_never_wrapped_truncated_or_parsed(
    clean_store: Store, table: str, frame: pd.DataFrame, column: str
) -> None:
    with pytest.raises(FrameValidationError, match=column) as info:
        clean_store.write(table, frame)
    assert "row" in str(info.value)
    assert clean_store.count(table) == 0


@pytest.mark.parametrize("flag", ["False", "no", 2, 0.5])
def test_booleans_take_only_booleans(clean_store: Store, flag: object) -> None:
    frame = pd.DataFrame(
        [{"symbol": "NIFTY", "segment": "index", "is_active": flag, "provider": "nse"}]
    )
    with pytest.raises(FrameValidationError, match="is_active"):
        clean_store.write("instruments", frame)


def test_integral_floats_and_nullable_ints_are_accepted(clean_store: Store) -> None:
    frame = pd.concat(
        [_metrics(requests=5.0), _metrics(ts=pd.Timestamp("2025-07-16 10:01", tz="UTC"))],
        ignore_index=True,
    )
    clean_store.write("data_source_metrics", frame)
    got = clean_store.read("data_source_metrics", order_by=["ts"])
    assert list(got["requests"]) == [5, 3]


def test_binary_encoder_refuses_overflow_directly() -> None:
    from optionsintel.store import _pgbinary

    t = metadata.tables["data_source_metrics"]
    with pytest.raises(FrameValidationError, match="requests"):
        _pgbinary.encode(t, _metrics(requests=2**40)[["provider", "ts", "requests"]])


# -- item 6 (store side): NULL never overwrites a stored value --------------------------------


def _chain_row(**values: object) -> pd.DataFrame:
    row = {
        "underlying": "NIFTY", "snapshot_ts": pd.Timestamp("2025-07-16 10:00", tz="UTC"),
        "expiry": dt.date(2025, 7, 17), "strike": 25000.0, "option_type": "CE",
        "ltp": 101.5, "oi": 1234.0, "iv": 12.5, "provider": "replay",
    }  # fmt: skip
    return pd.DataFrame([row | values])


def test_partial_answer_never_nulls_a_stored_value(clean_store: Store) -> None:
    clean_store.write("option_chain_snapshots", _chain_row())
    partial = _chain_row(oi=np.nan, iv=np.nan, ltp=102.0)
    result = clean_store.write("option_chain_snapshots", partial)
    assert result.updated == 1
    got = clean_store.read("option_chain_snapshots").iloc[0]
    assert (got["ltp"], got["oi"], got["iv"]) == (102.0, 1234.0, 12.5)
    again = clean_store.write("option_chain_snapshots", partial)
    assert again.unchanged == 1
