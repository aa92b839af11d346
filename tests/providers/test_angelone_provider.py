"""AngelOneProvider over a MockTransport SmartAPI: quotes, candles, chains (recorded payloads)."""

from __future__ import annotations

import copy
import datetime as dt
import itertools

import httpx
import numpy as np
import pandas as pd
import pytest
from _angel_fakes import NOW, FakeSmartAPI, credentials, load

from optionsintel.frames import CANDLE_COLUMNS, CHAIN_COLUMNS, QUOTE_COLUMNS, validate_chain
from optionsintel.providers import angelone_client as ac
from optionsintel.providers.angelone import MAX_QUOTE_TOKENS, AngelOneProvider, candle_windows
from optionsintel.providers.angelone_parse import (
    parse_candles,
    parse_market_quote,
    parse_option_greeks,
)
from optionsintel.providers.angelone_scrip import ScripMaster
from optionsintel.providers.base import MarketDataProvider, SchemaDriftError

IST = dt.timezone(dt.timedelta(hours=5, minutes=30))
T_INGEST = dt.datetime(2023, 6, 21, 5, 20, tzinfo=dt.UTC)
# SBIN-EQ / token 3045 is the instrument of the recorded quote and request fixtures
SBIN_ROW = {
    "token": "3045", "symbol": "SBIN-EQ", "name": "SBIN", "expiry": "", "strike": "-1.000000",
    "lotsize": "1", "instrumenttype": "", "exch_seg": "NSE", "tick_size": "5.000000",
}  # fmt: skip


def master() -> ScripMaster:
    rows = load("scrip_master_excerpt_NFO_NIFTY_05MAY2022_options.json")
    rows += [*load("scrip_master_excerpt_2025_head_indices_and_equities.json"), SBIN_ROW]
    return ScripMaster.from_records(rows)


def provider(api: FakeSmartAPI, **kw) -> AngelOneProvider:
    client = ac.AngelOneClient(
        credentials(), http=api.client(), time_source=lambda: NOW, rate_limits={}
    )
    kw.setdefault("scrip_master", master())
    return AngelOneProvider(client=client, clock=lambda: T_INGEST, **kw)


def test_is_a_market_data_provider():
    assert isinstance(provider(FakeSmartAPI()), MarketDataProvider)


def test_parse_recorded_full_quote():
    q = parse_market_quote(load("market_quote_FULL_SBIN-EQ_response.json")["data"])
    r = q.iloc[0]
    assert (r["exchange"], r["trading_symbol"], r["token"]) == ("NSE", "SBIN-EQ", "3045")
    np.testing.assert_allclose(
        r[["ltp", "open", "high", "low", "close", "volume", "oi"]].astype(float),
        [568.2, 567.4, 569.35, 566.1, 567.4, 3556150, 0],
    )
    assert (r["bid"], r["bid_qty"], r["ask"]) == (568.2, 511.0, 568.25)
    assert r["exchange_ts"] == pd.Timestamp("2023-06-21 05:16:10", tz="UTC")  # 10:46:10 IST
    assert q.attrs["unfetched"] == []


@pytest.mark.parametrize("mode", ["LTP", "OHLC"])
def test_parse_recorded_ltp_and_ohlc(mode):
    q = parse_market_quote(load(f"market_quote_{mode}_SBIN-EQ_response.json")["data"])
    assert q["ltp"].iloc[0] == (571.75 if mode == "LTP" else 571.8)
    assert np.isnan(q["volume"].iloc[0]) and pd.isna(q["exchange_ts"].iloc[0])
    if mode == "OHLC":
        assert q["close"].iloc[0] == 566.5


def test_get_quote_canonical_frame():
    api = FakeSmartAPI()
    out = provider(api).get_quote("sbin")
    assert list(out.columns) == list(QUOTE_COLUMNS)
    r = out.iloc[0]
    assert r["underlying"] == "SBIN" and r["provider"] == "angelone"
    assert r["prev_close"] == 567.4 and r["volume"] == 3556150
    assert r["snapshot_ts"] == pd.Timestamp("2023-06-21 05:16:10", tz="UTC")
    assert r["ingested_at"] == pd.Timestamp(T_INGEST)
    assert api.requests[-1][2] == load("market_quote_request.json")


def test_recorded_candle_request_and_response():
    api = FakeSmartAPI()
    api.routes[ac.CANDLES] = load("getCandleData_NIFTY_ONE_HOUR_response.json")
    start = dt.datetime(2023, 9, 6, 11, 15, tzinfo=IST)
    out = provider(api).get_candles("NIFTY", "1h", start, start + dt.timedelta(minutes=45))
    assert api.requests[-1][2] == load("getCandleData_request.json")
    assert list(out.columns) == list(CANDLE_COLUMNS) and len(out) == 1
    r = out.iloc[0]
    assert r["ts"] == pd.Timestamp("2023-09-06 05:45", tz="UTC")
    assert (r["open"], r["high"], r["low"], r["close"], r["volume"]) == (
        19571.2, 19573.35, 19534.4, 19552.05, 0.0,
    )  # fmt: skip
    assert r["symbol"] == "NIFTY" and r["interval"] == "1h" and r["provider"] == "angelone"


def test_long_ranges_are_chunked_by_interval_limit():
    api = FakeSmartAPI()
    api.routes[ac.CANDLES] = {"status": True, "message": "SUCCESS", "errorcode": "", "data": []}
    start = dt.datetime(2024, 1, 1, 9, 15, tzinfo=IST)
    out = provider(api).get_candles("NIFTY", "1m", start, start + dt.timedelta(days=65))
    bodies = [b for p, _, b in api.requests if p == ac.CANDLES]
    assert len(bodies) == 3 and out.empty and list(out.columns) == list(CANDLE_COLUMNS)
    assert all(b["interval"] == "ONE_MINUTE" for b in bodies)
    assert [b["fromdate"] for b in bodies] == [
        "2024-01-01 09:15", "2024-01-31 09:16", "2024-03-01 09:17",
    ]  # fmt: skip
    assert bodies[-1]["todate"] == "2024-03-06 09:15"


def test_candle_windows_cover_range_without_overlap():
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    end = start + dt.timedelta(days=401, minutes=7)
    w = candle_windows(start, end, 100)
    assert w[0][0] == start and w[-1][1] == end
    assert all(hi - lo <= dt.timedelta(days=100) for lo, hi in w)
    assert all(b[0] - a[1] == dt.timedelta(minutes=1) for a, b in itertools.pairwise(w))
    with pytest.raises(ValueError, match="interval"):
        provider(FakeSmartAPI()).get_candles("NIFTY", "7m", start, end)


def test_candle_schema_drift():
    with pytest.raises(SchemaDriftError):
        parse_candles([["2023-09-06T11:15:00+05:30", 1, 2]], "NIFTY", "1h")


def _quote_route(api: FakeSmartAPI):
    """Answer FULL quotes for any tokens from the recorded SBIN row (values re-keyed)."""
    template = load("market_quote_FULL_SBIN-EQ_response.json")["data"]["fetched"][0]

    def route(body):
        api.quote_batches.append(body["exchangeTokens"])
        rows = []
        for ex, tokens in body["exchangeTokens"].items():
            for t in tokens:
                row = copy.deepcopy(template)
                row.update(exchange=ex, symbolToken=t, tradingSymbol=f"T{t}", ltp=int(t) / 100,
                           opnInterest=int(t) % 97)  # fmt: skip
                rows.append(row)
        data = {"fetched": rows, "unfetched": []}
        return httpx.Response(
            200, json={"status": True, "message": "SUCCESS", "errorcode": "", "data": data}
        )

    api.quote_batches = []
    api.routes[ac.QUOTE] = route


def test_option_chain_from_full_quotes_and_greeks():
    api = FakeSmartAPI()
    _quote_route(api)
    # optionGreek rows in the shape of third-party mocks (UNVERIFIED), values as strings
    greeks = [
        {"name": "NIFTY", "expiry": "05MAY2022", "strikePrice": "16400.000000", "optionType": "CE",
         "delta": "0.61", "gamma": "0.0004", "theta": "-9.5", "vega": "11.2",
         "impliedVolatility": "17.5", "tradeVolume": "100"},
    ]  # fmt: skip
    api.routes[ac.OPTION_GREEK] = {
        "status": True,
        "message": "SUCCESS",
        "errorcode": "",
        "data": greeks,
    }
    chain = provider(api).get_option_chain("NIFTY", dt.date(2022, 5, 5))
    validate_chain(chain)
    assert list(chain.columns) == list(CHAIN_COLUMNS) and len(chain) == 46
    assert (chain["provider"] == "angelone").all()
    assert chain["underlying_price"].iloc[0] == pytest.approx(999260.0)  # spot token 99926000
    row = chain[(chain["strike"] == 16400) & (chain["option_type"] == "PE")].iloc[0]
    assert row["ltp"] == pytest.approx(424.94) and row["oi"] == 42494 % 97  # token 42494
    ce = chain[(chain["strike"] == 16400) & (chain["option_type"] == "CE")].iloc[0]
    assert (ce["delta"], ce["iv"]) == (0.61, 17.5)
    assert chain["oi_change"].isna().all()
    greek_body = next(b for p, _, b in api.requests if p == ac.OPTION_GREEK)
    assert greek_body == {"name": "NIFTY", "expirydate": "05MAY2022"}
    assert api.quote_batches[0]["NSE"] == ["99926000"]


def test_quote_batches_respect_max_tokens():
    api = FakeSmartAPI()
    _quote_route(api)
    tokens = [str(40000 + i) for i in range(120)]
    out = provider(api).market_quote({"NSE": ["99926000"], "NFO": tokens})
    assert len(out) == 121
    sizes = [sum(len(v) for v in b.values()) for b in api.quote_batches]
    assert sizes == [50, 50, 21] and max(sizes) <= MAX_QUOTE_TOKENS


def test_greeks_schema_drift_is_reported():
    with pytest.raises(SchemaDriftError, match="impliedVolatility"):
        parse_option_greeks([{"expiry": "05MAY2022", "strikePrice": "1"}])
    assert parse_option_greeks([]).empty


def test_factory_builds_angelone_from_settings():
    from optionsintel.providers.registry import ProviderConfig, build_provider
    from optionsintel.settings import Settings

    s = Settings(
        angelone_api_key="k", angelone_client_code="c", angelone_pin="p",
        angelone_totp_secret="JBSWY3DPEHPK3PXP",
    )  # fmt: skip
    p = build_provider("angelone", ProviderConfig.from_settings(s), scrip_master=master())
    assert p.name == "angelone" and p.client.credentials.client_code == "c"


def test_snapshot_takes_the_quote_from_the_chain_requests():
    api = FakeSmartAPI()
    _quote_route(api)
    p = provider(api, include_greeks=False)
    snap = p.snapshot("nifty")
    assert len(api.quote_batches) == 1  # spot and 46 contracts in one batch: no extra quote call
    assert api.quote_batches[0]["NSE"] == ["99926000"]
    pd.testing.assert_frame_equal(snap.quote, p.get_quote("NIFTY"))  # same row as get_quote's
    assert snap.quote["ltp"].iloc[0] == snap.chain["underlying_price"].iloc[0] == 999260.0
    assert len(snap.chain) == 46 and set(snap.chain["provider"]) == {"angelone"}
