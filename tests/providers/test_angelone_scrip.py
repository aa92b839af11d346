"""Instrument master: expiry parsing, strike scaling, token lookups, daily disk cache."""

from __future__ import annotations

import datetime as dt

import httpx
import pandas as pd
import pytest
from _angel_fakes import DATA, load

from optionsintel.providers.angelone_scrip import (
    ScripMaster,
    ScripMasterError,
    parse_expiry,
    scrip_frame,
)
from optionsintel.providers.base import NoDataError, TransientProviderError

NIFTY_2022 = "scrip_master_excerpt_NFO_NIFTY_05MAY2022_options.json"
MIXED_2024 = "scrip_master_excerpt_NFO_2024_sarveshsta_MIXEDCASE_EXPIRY.json"
HEAD_2025 = "scrip_master_excerpt_2025_head_indices_and_equities.json"


@pytest.fixture(scope="module")
def master() -> ScripMaster:
    return ScripMaster.from_records(load(NIFTY_2022) + load(MIXED_2024) + load(HEAD_2025))


def test_parse_expiry_formats():
    s = pd.Series(["05MAY2022", "04Apr2024", "31Dec2026", "", None, "05may22", "2024-03-27"])
    out = parse_expiry(s)
    expected = ["2022-05-05", "2024-04-04", "2026-12-31", None, None, "2022-05-05", "2024-03-27"]
    assert out.tolist() == pd.Series(pd.to_datetime(expected)).tolist()
    assert out.dtype == "datetime64[ns]"
    with pytest.raises(ScripMasterError, match="32XYZ2024"):
        parse_expiry(pd.Series(["32XYZ2024"]))


def test_scrip_frame_units(master):
    f = master.frame
    row = f[f["token"] == "42494"].iloc[0]
    assert row["strike"] == 16400.0 and row["option_type"] == "PE"
    assert row["expiry"] == pd.Timestamp("2022-05-05") and row["lotsize"] == 50
    assert row["tick_size"] == pytest.approx(0.05)
    idx = f[f["token"] == "99926000"].iloc[0]
    assert pd.isna(idx["strike"]) and pd.isna(idx["option_type"]) and pd.isna(idx["expiry"])
    with pytest.raises(ScripMasterError, match="strike"):
        scrip_frame([{"token": "1", "symbol": "X"}])


def test_nifty_2022_chain_strikes(master):
    rows = master.options("nifty", dt.date(2022, 5, 5))
    assert len(rows) == 46
    assert rows["strike"].min() == 16400 and rows["strike"].max() == 17500
    assert sorted(rows["option_type"].unique()) == ["CE", "PE"]
    assert master.expiries("NIFTY")[0] == dt.date(2022, 5, 5)


@pytest.mark.parametrize(
    ("underlying", "expiry", "strike", "kind", "token"),
    [
        ("NIFTY", dt.date(2022, 5, 5), 16400, "PE", "42494"),
        ("NIFTY", dt.date(2022, 5, 5), 16400, "CE", "42493"),
        ("NIFTY", dt.date(2022, 5, 5), 17000, "ce", "42529"),
        ("NIFTY", dt.date(2024, 4, 4), 23000, "CE", "45829"),  # mixed-case 04Apr2024
        ("BANKNIFTY", dt.date(2024, 3, 27), 49500, "PE", "52239"),
        ("MIDCPNIFTY", dt.date(2024, 3, 18), 9500, "CE", "50357"),
        ("MIDCPNIFTY", dt.date(2024, 4, 1), 10275, "CE", "53414"),
    ],
)
def test_option_token_lookup(master, underlying, expiry, strike, kind, token):
    assert master.option_token(underlying, expiry, strike, kind) == token


def test_lookup_errors_are_actionable(master):
    with pytest.raises(NoDataError, match=r"nearest strikes: \[16400.0, 16450.0"):
        master.option_token("NIFTY", dt.date(2022, 5, 5), 16410, "CE")
    with pytest.raises(NoDataError, match="listed expiries"):
        master.options("NIFTY", dt.date(2022, 5, 12))
    with pytest.raises(NoDataError, match="FOO"):
        master.spot_token("FOO")


def test_spot_tokens(master):
    assert master.spot_token("NIFTY") == ("NSE", "99926000")
    assert master.spot_token("BANKNIFTY") == ("NSE", "99926009")
    assert master.spot_token("MIDCPNIFTY") == ("NSE", "99926074")
    assert master.spot_token("BPCL") == ("NSE", "526")
    assert master.spot_token("NIFTY05MAY2216400PE") == ("NFO", "42494")


def test_daily_cache_downloads_once_per_ist_day(tmp_path):
    body = (DATA / NIFTY_2022).read_bytes()
    hits = []

    def handler(request):
        hits.append(str(request.url))
        return httpx.Response(200, content=body)

    http = httpx.Client(transport=httpx.MockTransport(handler))
    day1 = dt.datetime(2025, 7, 16, 10, 0, tzinfo=dt.UTC)
    m = ScripMaster.load(tmp_path, http=http, clock=lambda: day1)
    assert len(m.options("NIFTY")) == 46 and len(hits) == 1
    assert (tmp_path / "OpenAPIScripMaster_2025-07-16.json").exists()
    ScripMaster.load(tmp_path, http=http, clock=lambda: day1 + dt.timedelta(hours=8))
    assert len(hits) == 1  # 2025-07-16 23:30 IST: same IST day, cached
    # 19:00 UTC is already 00:30 IST on the 17th: stale, re-download and drop the old file
    ScripMaster.load(tmp_path, http=http, clock=lambda: day1 + dt.timedelta(hours=9))
    assert len(hits) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["OpenAPIScripMaster_2025-07-17.json"]
    assert "OpenAPIScripMaster.json" in hits[0]


def test_download_failure_is_transient(tmp_path):
    http = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(503)))
    with pytest.raises(TransientProviderError, match="instrument master"):
        ScripMaster.load(tmp_path, http=http)
