"""The provider-boundary quarantine (issue 12 items 2 and 6) on a recorded NSE chain."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.providers.conftest import load_nse_chain

from optionsintel.frames import validate_chain
from optionsintel.providers.base import Snapshot
from optionsintel.providers.nse_parse import parse_option_chain
from optionsintel.providers.quarantine import expiry_horizon, validate_snapshot
from optionsintel.validation import day_horizon

NOW = pd.Timestamp("2025-07-17 10:00:20", tz="UTC")  # 20 s after the recording


@pytest.fixture(scope="module")
def recorded() -> Snapshot:
    payload = load_nse_chain("nse_option_chain_indices_NIFTY_2025-07-17_ethanelliott50.json")
    parsed = parse_option_chain(payload, ingested_at=NOW, underlying="NIFTY")
    return Snapshot(parsed.quote, parsed.chain)


def test_a_real_answer_passes_whole(recorded) -> None:
    clean, rejected = validate_snapshot(recorded, underlying="NIFTY", now=NOW)
    assert clean is not None and rejected.empty
    pd.testing.assert_frame_equal(clean.chain, recorded.chain, check_dtype=False)
    assert expiry_horizon(NOW.date()) >= recorded.chain["expiry"].max().date()  # 2030 kept


HOSTILE = {  # row -> (column, value, reason)
    0: ("oi", np.inf, "oi is not finite"),
    1: ("ltp", 1e308, "ltp is beyond 1e+12"),
    2: ("strike", -100.0, "strike is not > 0"),
    3: ("bid", -0.05, "bid is negative"),
    4: ("volume", -1.0, "volume is negative"),
    5: ("oi", -5.0, "oi is negative"),
    6: ("oi", "1,234", "oi is not a number"),
    7: ("strike", "abc", "strike is not a number"),
    8: ("expiry", "01-Jan-0001", "expiry is missing or not a date"),
    9: ("expiry", pd.Timestamp("2099-12-31"), "expiry is beyond the horizon"),
    10: ("expiry", pd.Timestamp("2025-07-10"), "expiry is before the day 2025-07-17"),
    11: ("exchange_ts", pd.Timestamp("2099-01-01", tz="UTC"), "exchange_ts is outside"),
    12: ("underlying", "BANKNIFTY", "underlying BANKNIFTY is not the requested NIFTY"),
    13: ("option_type", "XX", "option_type is not CE or PE"),
    14: ("strike", None, "strike is missing"),
}


def test_hostile_rows_are_dropped_with_their_reason(recorded) -> None:
    chain = recorded.chain.astype({"oi": object, "ltp": object, "strike": object,
                                   "expiry": object, "exchange_ts": object})  # fmt: skip
    for row, (col, value, _) in HOSTILE.items():
        chain.loc[row, col] = value
    chain = pd.concat([chain, chain.iloc[[20, 21]]], ignore_index=True)  # two duplicated legs
    clean, rejected = validate_snapshot(
        Snapshot(recorded.quote, chain), underlying="nifty", now=NOW
    )
    assert clean is not None
    assert len(clean.chain) == len(recorded.chain) - len(HOSTILE)
    by_row = rejected.loc[rejected["part"] == "chain"].reset_index(drop=True)
    for i, (_, _, reason) in enumerate(HOSTILE.values()):
        assert by_row.loc[i, "reason"].startswith(reason), (i, by_row.loc[i, "reason"])
    assert (by_row["reason"].iloc[-2:] == "duplicated contract (first one kept)").all()
    stored = validate_chain(clean.chain)  # what is left is a storable canonical chain
    values = stored[["strike", "oi", "ltp"]].to_numpy(dtype=float)
    assert not np.isinf(values).any() and (np.nan_to_num(values) <= 1e12).all()  # NaN = absent
    assert not stored.duplicated(["underlying", "expiry", "strike", "option_type"]).any()


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("underlying", "BANKNIFTY", "underlying BANKNIFTY is not the requested NIFTY"),
        ("exchange_ts", pd.Timestamp("2099-01-01", tz="UTC"), "exchange_ts is outside"),
        ("exchange_ts", pd.Timestamp("2025-06-01", tz="UTC"), "exchange_ts is outside"),
        ("ltp", -1.0, "ltp is negative"),
    ],
)
def test_an_untrustworthy_quote_refuses_the_whole_snapshot(recorded, column, value, reason):
    quote = recorded.quote.astype({column: object})
    quote.loc[0, column] = value
    clean, rejected = validate_snapshot(
        Snapshot(quote, recorded.chain), underlying="NIFTY", now=NOW
    )
    assert clean is None
    assert len(rejected) == 1 + len(recorded.chain)
    assert rejected["reason"].str.startswith(f"snapshot refused: its quote is bad: {reason}").all()


def test_a_chain_of_nothing_but_bad_rows_is_refused(recorded) -> None:
    chain = recorded.chain.assign(underlying="BANKNIFTY")
    clean, rejected = validate_snapshot(
        Snapshot(recorded.quote, chain), underlying="NIFTY", now=NOW
    )
    assert clean is None and rejected["reason"].str.contains("every one of the").all()


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 99), st.sampled_from([-1.0, np.inf, -np.inf, 1e300])),
                max_size=20))  # fmt: skip
def test_clean_and_rejected_partition_the_rows(recorded, corruptions) -> None:
    chain = recorded.chain.iloc[:100].copy()
    for row, value in corruptions:
        chain.loc[row, "oi"] = value
    clean, rejected = validate_snapshot(
        Snapshot(recorded.quote, chain), underlying="NIFTY", now=NOW
    )
    bad = {row for row, _ in corruptions}
    assert clean is not None and len(clean.chain) + len(rejected) == 100
    assert len(rejected) == len(bad)
    oi = clean.chain["oi"].dropna()
    assert ((oi >= 0) & np.isfinite(oi) & (oi <= 1e12)).all()


def test_an_old_last_trade_on_a_far_strike_is_kept_but_not_an_absurd_one(recorded) -> None:
    chain = recorded.chain.copy()
    chain.loc[0, "exchange_ts"] = NOW - pd.Timedelta(days=21)  # illiquid: traded weeks ago
    chain.loc[1, "exchange_ts"] = pd.Timestamp("2019-01-01", tz="UTC")
    clean, rejected = validate_snapshot(
        Snapshot(recorded.quote, chain), underlying="NIFTY", now=NOW
    )
    assert clean is not None and len(clean.chain) == len(chain) - 1
    assert rejected["reason"].tolist() == [
        "exchange_ts is outside 2024-07-16 10:00 to 2025-07-17 10:05 UTC"
    ]


def test_the_expiry_horizon_is_the_stores_ten_years(recorded) -> None:
    day = NOW.date()
    assert expiry_horizon(day) == day_horizon(day)[1] == dt.date(2035, 7, 17)
    chain = recorded.chain.copy()
    chain.loc[0, "expiry"] = pd.Timestamp("2035-07-17")  # a ten-year contract is kept
    chain.loc[1, "expiry"] = pd.Timestamp("2035-07-18")
    clean, rejected = validate_snapshot(
        Snapshot(recorded.quote, chain), underlying="NIFTY", now=NOW
    )
    assert clean is not None and len(clean.chain) == len(chain) - 1
    assert rejected["reason"].tolist() == ["expiry is beyond the horizon 2035-07-17"]


def test_a_contract_repeated_with_other_values_loses_every_copy(recorded) -> None:
    chain = pd.concat([recorded.chain, recorded.chain.iloc[[5]].assign(oi=1.0)], ignore_index=True)
    clean, rejected = validate_snapshot(
        Snapshot(recorded.quote, chain), underlying="NIFTY", now=NOW
    )
    assert clean is not None and len(clean.chain) == len(recorded.chain) - 1
    assert rejected["reason"].tolist() == ["contract repeated within a snapshot"] * 2
