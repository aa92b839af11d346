"""NSE client failure handling through httpx.MockTransport (no network)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import httpx
import pandas as pd
import pytest

from optionsintel.providers.base import (
    AuthenticationError,
    BlockedError,
    MarketDataProvider,
    NoDataError,
    SchemaDriftError,
    TransientProviderError,
)
from optionsintel.providers.nse import MalformedResponseError, NSEClient, NSEProvider

BASE = "https://nse.test"
Handler = Callable[[httpx.Request], httpx.Response]


class FakeNSE:
    """A scripted NSE: warm-up pages set a cookie; API answers come from ``answers``."""

    def __init__(self, answers: list[Any], payload: dict[str, Any] | None = None) -> None:
        self.answers = list(answers)
        self.payload = payload
        self.warmups = 0
        self.api_calls: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if not request.url.path.startswith("/api/"):
            self.warmups += 1
            return httpx.Response(
                200, text="<html>ok</html>", headers={"Set-Cookie": "nsit=abc; Path=/"}
            )
        self.api_calls.append(request)
        answer = self.answers.pop(0) if self.answers else "ok"
        if isinstance(answer, Exception):
            raise answer
        if answer == "ok":
            return httpx.Response(200, json=self.payload)
        return answer


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2025, 7, 16, 10, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


def _provider(fake: FakeNSE, **kw: Any) -> tuple[NSEProvider, list[float]]:
    slept: list[float] = []
    client = NSEClient(
        BASE, client=httpx.Client(transport=httpx.MockTransport(fake)), sleep=slept.append, **kw
    )
    return NSEProvider(client), slept


def test_happy_path_warms_up_sends_cookie_and_browser_headers(nifty_2025_payload) -> None:
    fake = FakeNSE(["ok"], nifty_2025_payload)
    provider, _ = _provider(fake)
    chain = provider.get_option_chain("nifty")
    assert len(chain) == 1338 and fake.warmups == 2  # "/" and "/option-chain"
    req = fake.api_calls[0]
    assert req.url.path == "/api/option-chain-indices" and req.url.params["symbol"] == "NIFTY"
    assert "nsit=abc" in req.headers["cookie"] and "Mozilla" in req.headers["user-agent"]
    assert isinstance(provider, MarketDataProvider)


def test_stocks_use_the_equities_endpoint(nifty_2025_payload) -> None:
    fake = FakeNSE(["ok"], nifty_2025_payload)
    provider, _ = _provider(fake)
    provider.fetch_option_chain("RBLBANK")
    assert fake.api_calls[0].url.path == "/api/option-chain-equities"


def test_expiry_filter_and_unknown_expiry(nifty_2025_payload) -> None:
    provider, _ = _provider(FakeNSE([], nifty_2025_payload))
    chain = provider.get_option_chain("NIFTY", dt.date(2025, 7, 17))
    assert set(chain["expiry"]) == {pd.Timestamp("2025-07-17")}
    with pytest.raises(NoDataError, match="2025-07-24"):
        provider.get_option_chain("NIFTY", dt.date(2025, 7, 18))


@pytest.mark.parametrize("status", [401, 403])
def test_expired_cookies_rewarm_once_then_succeed(nifty_2025_payload, status) -> None:
    fake = FakeNSE([httpx.Response(status)], nifty_2025_payload)
    provider, _ = _provider(fake)
    assert len(provider.get_option_chain("NIFTY")) == 1338
    assert fake.warmups == 4 and len(fake.api_calls) == 2


@pytest.mark.parametrize("status", [401, 403])
def test_rejected_twice_raises_authentication_error(nifty_2025_payload, status) -> None:
    fake = FakeNSE([httpx.Response(status), httpx.Response(status)], nifty_2025_payload)
    provider, _ = _provider(fake)
    with pytest.raises(AuthenticationError, match=f"HTTP {status}.*re-warming"):
        provider.get_option_chain("NIFTY")
    assert fake.warmups == 4 and len(fake.api_calls) == 2


def test_empty_object_twice_is_no_data(nifty_2025_payload) -> None:
    fake = FakeNSE([httpx.Response(200, json={}), httpx.Response(200, json={})], nifty_2025_payload)
    with pytest.raises(NoDataError, match="empty object"):
        _provider(fake)[0].get_option_chain("NOSUCH")


def test_429_raises_transient_with_retry_after(nifty_2025_payload) -> None:
    fake = FakeNSE([httpx.Response(429, headers={"Retry-After": "7"})], nifty_2025_payload)
    provider, slept = _provider(fake)
    with pytest.raises(TransientProviderError) as info:
        provider.get_option_chain("NIFTY")
    assert info.value.retry_after == 7.0 and slept == []


def test_429_short_retry_after_waits_once_and_retries(nifty_2025_payload) -> None:
    fake = FakeNSE([httpx.Response(429, headers={"Retry-After": "2"})], nifty_2025_payload)
    provider, slept = _provider(fake, max_wait_429=5)
    assert len(provider.get_option_chain("NIFTY")) == 1338
    assert slept == [2.0]
    fake2 = FakeNSE([httpx.Response(429, headers={"Retry-After": "2"})] * 2, nifty_2025_payload)
    provider2, _ = _provider(fake2, max_wait_429=5)
    with pytest.raises(TransientProviderError, match="429"):
        provider2.get_option_chain("NIFTY")


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(500),
        httpx.Response(503, text="Service Unavailable"),
        httpx.ReadTimeout("timed out"),
        httpx.ConnectError("connection refused"),
    ],
    ids=["500", "503", "timeout", "connect"],
)
def test_server_errors_and_timeouts_are_transient(nifty_2025_payload, answer) -> None:
    provider, _ = _provider(FakeNSE([answer], nifty_2025_payload))
    with pytest.raises(TransientProviderError):
        provider.get_option_chain("NIFTY")


def test_html_block_page_is_blocked_error(nifty_2025_payload) -> None:
    page = httpx.Response(
        200, text="<html><body>Access Denied</body></html>", headers={"content-type": "text/html"}
    )
    with pytest.raises(BlockedError, match="HTML page"):
        _provider(FakeNSE([page], nifty_2025_payload))[0].get_option_chain("NIFTY")


def test_malformed_json_is_malformed_response(nifty_2025_payload) -> None:
    bad = httpx.Response(
        200, text='{"records": {"data": [', headers={"content-type": "application/json"}
    )
    with pytest.raises(MalformedResponseError, match="malformed JSON"):
        _provider(FakeNSE([bad], nifty_2025_payload))[0].get_option_chain("NIFTY")


def test_drifted_schema_lists_missing_keys(nifty_2025_payload) -> None:
    drifted = {
        "records": {k: v for k, v in nifty_2025_payload["records"].items() if k != "expiryDates"}
    }
    answer = httpx.Response(200, content=json.dumps(drifted).encode())
    with pytest.raises(SchemaDriftError) as info:
        _provider(FakeNSE([answer], nifty_2025_payload))[0].get_option_chain("NIFTY")
    assert info.value.missing == ["records.expiryDates"]


def test_session_is_rewarmed_after_ttl(nifty_2025_payload) -> None:
    clock = Clock()
    fake = FakeNSE([], nifty_2025_payload)
    provider, _ = _provider(fake, clock=clock, session_ttl=60)
    provider.get_option_chain("NIFTY")
    clock.now += dt.timedelta(seconds=30)
    provider.get_option_chain("NIFTY")
    assert fake.warmups == 2
    clock.now += dt.timedelta(seconds=61)
    provider.get_option_chain("NIFTY")
    assert fake.warmups == 4


def test_quotes_route_indices_and_stocks(nse_test_json) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/allIndices":
            return httpx.Response(
                200, json=nse_test_json("nse_allIndices_EXCERPT_2021-06-01_GamesBond008.json")
            )
        if request.url.path == "/api/quote-equity":
            return httpx.Response(
                200, json=nse_test_json("nse_quote_equity_RBLBANK_2021-06-01_GamesBond008.json")
            )
        return httpx.Response(200, text="<html></html>")

    client = NSEClient(BASE, client=httpx.Client(transport=httpx.MockTransport(handler)))
    provider = NSEProvider(client)
    assert provider.get_quote("NIFTY")["ltp"].iloc[0] == 15574.85
    assert provider.get_quote("RBLBANK")["ltp"].iloc[0] == 211.5


def test_candles_daily_stock_history_and_no_intraday(nse_test_json) -> None:
    hist = nse_test_json("nse_historical_cm_equity_RBLBANK_2021-05-20_to_25_GamesBond008.json")
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/api/"):
            seen.append(request)
            return httpx.Response(200, json=hist)
        return httpx.Response(200, text="<html></html>")

    provider = NSEProvider(
        NSEClient(BASE, client=httpx.Client(transport=httpx.MockTransport(handler)))
    )
    start, end = dt.datetime(2021, 5, 21), dt.datetime(2021, 5, 25)
    candles = provider.get_candles("RBLBANK", "1d", start, end)
    assert seen[0].url.params["from"] == "21-05-2021" and seen[0].url.params["to"] == "25-05-2021"
    assert candles["ts"].min() >= pd.Timestamp("2021-05-21", tz="Asia/Kolkata")
    assert len(candles) == 3
    with pytest.raises(NoDataError, match="no 1m bars"):
        provider.get_candles("NIFTY", "1m", start, end)
