"""NSE option-chain parser over every recorded real response, plus edge cases."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from optionsintel.frames import CHAIN_COLUMNS, QUOTE_COLUMNS, validate_chain
from optionsintel.providers.base import SchemaDriftError
from optionsintel.providers.nse import (
    MalformedResponseError,
    ParsedChain,
    expiry_totals,
    parse_option_chain,
)
from optionsintel.providers.nse_parse import parse_nse_timestamp

INGESTED = dt.datetime(2025, 7, 16, 10, 5, tzinfo=dt.UTC)


def _legs(payload: dict[str, Any], side: str) -> list[dict[str, Any]]:
    return [row[side] for row in payload["records"]["data"] if side in row]


def test_every_recorded_payload_parses_to_a_valid_chain(nse_chain_payload) -> None:
    name, payload = nse_chain_payload
    parsed = parse_option_chain(payload, ingested_at=INGESTED)
    assert isinstance(parsed, ParsedChain)
    assert list(parsed.chain.columns) == list(CHAIN_COLUMNS)
    validate_chain(parsed.chain)  # no duplicates, CE/PE only, provider set, OI >= 0
    n_ce, n_pe = len(_legs(payload, "CE")), len(_legs(payload, "PE"))
    assert (parsed.chain["option_type"] == "CE").sum() == n_ce
    assert (parsed.chain["option_type"] == "PE").sum() == n_pe
    assert set(parsed.chain["provider"]) == {"nse"}
    assert parsed.underlying in name
    assert set(parsed.chain["underlying"]) == {parsed.underlying}
    assert parsed.chain["snapshot_ts"].iloc[0] == parse_nse_timestamp(
        payload["records"]["timestamp"]
    )
    assert (parsed.chain["ingested_at"] == pd.Timestamp(INGESTED)).all()
    assert len(parsed.expiries) == len(payload["records"]["expiryDates"])
    assert list(parsed.expiries) == sorted(parsed.expiries)
    assert set(parsed.chain["expiry"].dt.date) <= set(parsed.expiries)
    assert list(parsed.quote.columns) == list(QUOTE_COLUMNS)
    assert parsed.quote["ltp"].iloc[0] == payload["records"]["underlyingValue"]


def test_oi_and_volume_sums_equal_nse_filtered_totals(nse_chain_payload) -> None:
    _, payload = nse_chain_payload
    parsed = parse_option_chain(payload)
    if "filtered" not in payload:
        assert parsed.nse_totals == {}  # saved without NSE's filtered block
        return
    ours = expiry_totals(parsed.chain, parsed.expiries[0])
    for side in ("CE", "PE"):
        assert parsed.nse_totals[side]["totOI"] == payload["filtered"][side]["totOI"]
        assert_allclose(ours[side]["totOI"], payload["filtered"][side]["totOI"], rtol=0, atol=1e-6)
        assert_allclose(
            ours[side]["totVol"], payload["filtered"][side]["totVol"], rtol=0, atol=1e-6
        )


def test_values_of_one_contract_match_the_raw_leg(nifty_2019_payload) -> None:
    parsed = parse_option_chain(nifty_2019_payload)
    leg = next(
        r["CE"]
        for r in nifty_2019_payload["records"]["data"]
        if "CE" in r and r["CE"]["totalTradedVolume"] > 0 and r["expiryDate"] == "29-Aug-2019"
    )
    row = parsed.chain.loc[
        (parsed.chain["strike"] == leg["strikePrice"])
        & (parsed.chain["expiry"] == pd.Timestamp("2019-08-29"))
        & (parsed.chain["option_type"] == "CE")
    ].iloc[0]
    assert row["oi"] == leg["openInterest"]
    assert row["volume"] == leg["totalTradedVolume"]
    assert row["oi_change"] == leg["changeinOpenInterest"]
    assert row["ltp"] == leg["lastPrice"]
    assert row["bid"] == leg["bidprice"] and row["ask"] == leg["askPrice"]
    assert row["underlying_price"] == leg["underlyingValue"]


def test_timestamps_are_ist_converted_to_utc_and_expiries_are_dates(nifty_2019_payload) -> None:
    parsed = parse_option_chain(nifty_2019_payload)
    assert parsed.snapshot_ts == pd.Timestamp("2019-08-23 10:00:00", tz="UTC")
    assert str(parsed.chain["snapshot_ts"].dtype) == "datetime64[ns, UTC]"
    assert parsed.expiries[0] == dt.date(2019, 8, 29)
    assert parsed.chain["expiry"].min() == pd.Timestamp("2019-08-29")


def test_rows_with_only_one_side_yield_only_that_side(nifty_2019_payload) -> None:
    pe_only = [r for r in nifty_2019_payload["records"]["data"] if "CE" not in r]
    assert pe_only, "fixture must contain PE-only rows"
    r = pe_only[0]
    parsed = parse_option_chain(nifty_2019_payload)
    sel = parsed.chain[
        (parsed.chain["strike"] == r["strikePrice"])
        & (
            parsed.chain["expiry"]
            == pd.Timestamp(dt.datetime.strptime(r["expiryDate"], "%d-%b-%Y"))
        )
    ]
    assert list(sel["option_type"]) == ["PE"]


def test_zero_iv_and_zero_prices_become_nan(nifty_2019_payload) -> None:
    parsed = parse_option_chain(nifty_2019_payload)
    ivs = np.array(
        [leg["impliedVolatility"] for s in ("CE", "PE") for leg in _legs(nifty_2019_payload, s)]
    )
    assert (ivs == 0).sum() == parsed.chain["iv"].isna().sum()
    assert (parsed.chain["iv"].dropna() > 0).all()
    assert (parsed.chain["ltp"].dropna() > 0).all() and (parsed.chain["ask"].dropna() > 0).all()
    assert parsed.chain.loc[parsed.chain["ask"].isna(), "ask_qty"].isna().all()


def test_fractional_open_interest_is_kept(nifty_2025_payload) -> None:
    parsed = parse_option_chain(nifty_2025_payload)
    frac = parsed.chain["oi"] % 1 != 0
    assert frac.any()
    assert_allclose(
        parsed.chain.loc[frac, "oi"].iloc[0] * 3 % 1, 0, atol=1e-9
    )  # 4.333.. = 13/3 lots


def test_index_block_fills_the_quote(nifty_2025_payload) -> None:
    q = parse_option_chain(nifty_2025_payload).quote.iloc[0]
    idx = nifty_2025_payload["records"]["index"]
    assert (q["open"], q["high"], q["low"], q["prev_close"]) == (
        idx["open"], idx["high"], idx["low"], idx["previousClose"],
    )  # fmt: skip


def test_bidprice_camel_case_spelling_is_accepted(nifty_2019_payload) -> None:
    payload = copy.deepcopy(nifty_2019_payload)
    for row in payload["records"]["data"]:
        for side in ("CE", "PE"):
            if side in row:
                row[side]["bidPrice"] = row[side].pop("bidprice")
    a = parse_option_chain(payload, ingested_at=INGESTED).chain
    b = parse_option_chain(nifty_2019_payload, ingested_at=INGESTED).chain
    pd.testing.assert_frame_equal(a, b)


def test_missing_filtered_block_gives_empty_totals(nifty_2019_payload) -> None:
    payload = {"records": nifty_2019_payload["records"]}
    assert parse_option_chain(payload).nse_totals == {}


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda p: p.pop("records"), ["records"]),
        (lambda p: p["records"].pop("timestamp"), ["records.timestamp"]),
        (
            lambda p: [p["records"].pop(k) for k in ("data", "expiryDates")],
            ["records.data", "records.expiryDates"],
        ),
        (lambda p: p["records"]["data"][5]["PE"].pop("openInterest"), ["PE.openInterest"]),
        (lambda p: p["records"]["data"][5]["PE"].pop("bidprice"), ["PE.bidprice"]),
    ],
)
def test_schema_drift_lists_the_missing_keys(nifty_2019_payload, mutate, expected) -> None:
    payload = copy.deepcopy(nifty_2019_payload)
    mutate(payload)
    with pytest.raises(SchemaDriftError) as info:
        parse_option_chain(payload)
    assert info.value.missing == expected
    assert all(k in str(info.value) for k in expected)


def test_bad_timestamp_and_non_object_payload_raise_clear_errors(nifty_2019_payload) -> None:
    payload = copy.deepcopy(nifty_2019_payload)
    payload["records"]["timestamp"] = "2019-08-23T15:30"
    with pytest.raises(SchemaDriftError, match="timestamp"):
        parse_option_chain(payload)
    with pytest.raises(MalformedResponseError, match="JSON object"):
        parse_option_chain([1, 2])  # type: ignore[arg-type]


def test_explicit_underlying_and_provider_override(nifty_2019_payload) -> None:
    parsed = parse_option_chain(nifty_2019_payload, underlying="nifty", provider="replay")
    assert parsed.underlying == "NIFTY"
    assert (
        set(parsed.chain["provider"]) == {"replay"} and parsed.quote["provider"].iloc[0] == "replay"
    )


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_property_any_subset_of_rows_sums_to_the_raw_legs(nifty_2025_payload, data) -> None:
    rows = nifty_2025_payload["records"]["data"]
    picked = data.draw(
        st.lists(st.sampled_from(range(len(rows))), min_size=1, max_size=60, unique=True)
    )
    payload = {"records": {**nifty_2025_payload["records"], "data": [rows[i] for i in picked]}}
    chain = parse_option_chain(payload).chain
    for side in ("CE", "PE"):
        legs = [rows[i][side] for i in picked if side in rows[i]]
        got = chain.loc[chain["option_type"] == side, "oi"].sum()
        assert_allclose(got, sum(leg["openInterest"] for leg in legs), rtol=1e-12, atol=1e-9)
    assert len(chain) == sum(("CE" in rows[i]) + ("PE" in rows[i]) for i in picked)
