"""NSE India public-API provider (``www.nseindia.com/api/...``) over httpx.

NSE serves its JSON API only to sessions that first loaded an HTML page (which sets
the ``nsit``/``nseappid``/``bm_sv`` cookies) and that look like a browser. The client
therefore warms a session up (GET ``/`` then ``/option-chain``), keeps the cookies in
its ``httpx.Client``, and re-warms when the session is older than ``session_ttl``.

Failure policy
--------------
=========================================  ============================================
What NSE answers                           What the client does
=========================================  ============================================
401 / 403 (expired or refused cookies)     clear cookies, re-warm once, retry once; then
                                           :class:`AuthenticationError`
``{}`` (NSE's answer without a session)    same re-warm once; then :class:`NoDataError`
429                                        if ``Retry-After`` (seconds or an HTTP-date)
                                           <= ``max_wait_429`` wait
                                           that long and retry once, else (and on a
                                           second 429) :class:`TransientProviderError`
                                           with ``retry_after`` set (default
                                           ``max_wait_429=0``: never sleeps, the caller
                                           or the failover layer decides)
5xx, timeouts, connection errors           :class:`TransientProviderError`
200 with an HTML page (Akamai block)       :class:`BlockedError`
body that is not JSON                      :class:`MalformedResponseError`
JSON missing keys                          :class:`SchemaDriftError` listing them
a call outlasting ``deadline`` (default    :class:`DeadlineExceededError` (transient)
``timeout``: connect, redirects and body)
a body over ``max_response_bytes`` (as     :class:`ResponseTooLargeError`
sent or once decompressed)
a redirect to another origin / a loop      :class:`RedirectRefusedError` /
                                           :class:`RedirectLoopError`
=========================================  ============================================

Every request goes through :func:`~optionsintel.providers.http_bounds.bounded_request`.

A chain is parsed completely before anything is returned: never a half-parsed chain.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import pandas as pd

from optionsintel.providers.base import (
    AuthenticationError,
    BlockedError,
    Clock,
    NoDataError,
    ProviderError,
    Snapshot,
    TransientProviderError,
    utc_now,
)
from optionsintel.providers.http_bounds import (
    DEFAULT_MAX_BYTES,
    Fetched,
    HttpBounds,
    bounded_request,
    retry_after_seconds,
)
from optionsintel.providers.nse_parse import (
    INDEX_NAMES,
    PROVIDER,
    MalformedResponseError,
    ParsedChain,
    expiry_totals,
    parse_option_chain,
)
from optionsintel.providers.nse_quotes import (
    parse_all_indices,
    parse_equity_history,
    parse_quote_equity,
)
from optionsintel.tz import EXCHANGE_TZ

__all__ = [
    "DEFAULT_BASE_URL",
    "MalformedResponseError",
    "NSEClient",
    "NSEProvider",
    "ParsedChain",
    "expiry_totals",
    "is_index",
    "parse_option_chain",
]

DEFAULT_BASE_URL = "https://www.nseindia.com"
BROWSER_HEADERS: dict[str, str] = {
    "User-Agent": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/124.0 Safari/537.36"
    ),
    "Accept": "application/json, text/plain, */*",
    "Accept-Language": "en-US,en;q=0.9",
    "Accept-Encoding": "gzip, deflate",
    "Connection": "keep-alive",
}
WARM_UP_PATHS: tuple[str, ...] = ("/", "/option-chain")


def is_index(underlying: str) -> bool:
    """Return True for the F&O index underlyings (``NIFTY``, ``BANKNIFTY``...)."""
    return underlying.upper() in INDEX_NAMES


class _SessionRejectedError(Exception):
    """Internal signal: the session needs a re-warm (401/403 or an empty ``{}``)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class NSEClient:
    """Cookie-warmed JSON client of NSE's public API.

    Parameters
    ----------
    base_url
        Site root; tests point it at ``http://127.0.0.1:<port>``.
    client
        An ``httpx.Client`` to use (e.g. one built on ``httpx.MockTransport``); by
        default one is created with browser-like headers and ``timeout``.
    timeout
        Seconds per socket operation when the client is created here.
    deadline
        Seconds a whole call may take (connect, redirects, headers and body);
        defaults to ``timeout``.
    max_response_bytes
        Largest body accepted, as sent and once decompressed.
    clock
        Returns the current aware datetime; used for the session age.
    session_ttl
        Seconds after which the session is warmed up again before a request.
    max_wait_429
        Longest ``Retry-After`` (seconds) the client will sleep through once on a 429.
    sleep
        Sleep function (injectable for tests).
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        client: httpx.Client | None = None,
        timeout: float = 10.0,
        deadline: float | None = None,
        max_response_bytes: int = DEFAULT_MAX_BYTES,
        clock: Clock = utc_now,
        session_ttl: float = 240.0,
        max_wait_429: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # Redirects are followed by bounded_request (same origin only), never by httpx.
        self._http = client or httpx.Client(timeout=timeout, follow_redirects=False)
        self.bounds = HttpBounds(deadline=deadline or timeout, max_bytes=max_response_bytes)
        self._http.headers.update(BROWSER_HEADERS)
        self._http.headers["Referer"] = f"{self.base_url}/option-chain"
        self._clock = clock
        self._ttl = session_ttl
        self._max_wait_429 = max_wait_429
        self._sleep = sleep
        self._warmed_at: dt.datetime | None = None

    def close(self) -> None:
        """Close the underlying HTTP client."""
        self._http.close()

    def _send(self, path: str, params: Mapping[str, str] | None = None) -> Fetched:
        """GET one URL under :attr:`bounds`, mapping transport failures to transient errors."""
        url = f"{self.base_url}{path}"
        try:
            return bounded_request(
                self._http, "GET", url, params=params, bounds=self.bounds, provider=PROVIDER
            )
        except httpx.TimeoutException as exc:
            raise TransientProviderError(
                f"NSE timed out on {path}: {exc}; retry later", provider=PROVIDER
            ) from exc
        except httpx.TransportError as exc:
            raise TransientProviderError(
                f"NSE unreachable on {path}: {exc!r}", provider=PROVIDER
            ) from exc

    def warm_up(self) -> None:
        """Load the HTML pages that set NSE's session cookies (fresh cookie jar).

        Raises
        ------
        AuthenticationError
            If NSE refuses the warm-up pages (401/403).
        TransientProviderError
            On timeouts, connection errors, 429 or 5xx.
        """
        self._http.cookies.clear()
        for path in WARM_UP_PATHS:
            response = self._send(path)
            if response.status_code in (401, 403):
                raise AuthenticationError(
                    f"NSE refused the warm-up page {path} (HTTP {response.status_code}); "
                    "the site may be blocking this IP or client; try later or from another network",
                    provider=PROVIDER,
                )
            self._raise_transient(response, path)
        self._warmed_at = self._clock()

    def _session_stale(self) -> bool:
        if self._warmed_at is None:
            return True
        return (self._clock() - self._warmed_at).total_seconds() > self._ttl

    def _retry_after(self, response: Fetched) -> float | None:
        return retry_after_seconds(response.headers.get("Retry-After"), self._clock())

    def _raise_transient(self, response: Fetched, path: str) -> None:
        """Raise :class:`TransientProviderError` for 429 and 5xx answers."""
        status = response.status_code
        if status == 429:
            wait = self._retry_after(response)
            raise TransientProviderError(
                f"NSE rate-limited {path} (HTTP 429, Retry-After={wait}); slow down",
                provider=PROVIDER,
                retry_after=wait,
            )
        if status >= 500:
            raise TransientProviderError(
                f"NSE server error on {path} (HTTP {status}); retry later", provider=PROVIDER
            )

    def _decode(self, response: Fetched, path: str) -> Any:
        """Decode a 2xx body as JSON, recognising HTML block pages."""
        if response.status_code >= 400:
            raise ProviderError(
                f"NSE answered HTTP {response.status_code} on {path}", provider=PROVIDER
            )
        text = response.text
        ctype = response.headers.get("content-type", "")
        if "html" in ctype or text.lstrip()[:1] == "<":
            raise BlockedError(
                f"NSE answered {path} with an HTML page instead of JSON "
                "(access denied / bot challenge); the session or IP is being blocked: "
                "wait, then retry with a fresh session",
                provider=PROVIDER,
            )
        try:
            return json.loads(text)
        except ValueError as exc:
            raise MalformedResponseError(
                f"NSE answered {path} with malformed JSON ({exc}); first bytes: {text[:80]!r}",
                provider=PROVIDER,
            ) from exc

    def _attempt(self, path: str, params: Mapping[str, str] | None) -> Any:
        """One request with the 429 wait-once rule; raises _SessionRejectedError on 401/403/{}."""
        response = self._send(path, params)
        if response.status_code == 429:
            wait = self._retry_after(response)
            if wait is not None and wait <= self._max_wait_429:
                self._sleep(wait)
                response = self._send(path, params)
        if response.status_code in (401, 403):
            raise _SessionRejectedError(response.status_code)
        self._raise_transient(response, path)
        body = self._decode(response, path)
        if body == {}:
            raise _SessionRejectedError(200)
        return body

    def get_json(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        """GET an API path with a warm session and return the decoded JSON.

        Raises
        ------
        AuthenticationError
            If NSE still rejects the session after one re-warm.
        NoDataError
            If NSE still answers ``{}`` after one re-warm (unknown symbol or no session).
        TransientProviderError, BlockedError, MalformedResponseError
            See the module's failure table.
        """
        if self._session_stale():
            self.warm_up()
        try:
            return self._attempt(path, params)
        except _SessionRejectedError:
            self.warm_up()
        try:
            return self._attempt(path, params)
        except _SessionRejectedError as again:
            if again.status == 200:
                raise NoDataError(
                    f"NSE returned an empty object for {path} {dict(params or {})}: "
                    "unknown symbol, or the session was not accepted even after a fresh warm-up",
                    provider=PROVIDER,
                ) from None
            raise AuthenticationError(
                f"NSE rejected the session on {path} (HTTP {again.status}) even after re-warming "
                "cookies; NSE may be blocking this client: wait a few minutes and retry",
                provider=PROVIDER,
            ) from None


class NSEProvider:
    """:class:`~optionsintel.providers.base.MarketDataProvider` over NSE's public API.

    Parameters
    ----------
    client
        A ready :class:`NSEClient`; by default one is built from ``client_options``.
    clock
        Returns the current aware datetime; stamps ``ingested_at``.
    **client_options
        Passed to :class:`NSEClient` (``base_url``, ``client``, ``timeout``...).

    Notes
    -----
    Open interest and volume are in contracts (NSE's unit); see
    :mod:`optionsintel.providers.nse_parse`. NSE's public API has no intraday bars, so
    :meth:`get_candles` serves only daily bars of stocks (``historical/cm/equity``).
    """

    name = PROVIDER

    def __init__(
        self, client: NSEClient | None = None, *, clock: Clock = utc_now, **client_options: Any
    ) -> None:
        self._clock = clock
        self.client = client or NSEClient(clock=clock, **client_options)

    def fetch_option_chain(self, underlying: str) -> ParsedChain:
        """Fetch and fully parse the option chain of an index or a stock (all expiries)."""
        symbol = underlying.upper()
        path = "/api/option-chain-indices" if is_index(symbol) else "/api/option-chain-equities"
        payload = self.client.get_json(path, {"symbol": symbol})
        return parse_option_chain(payload, ingested_at=self._clock(), underlying=symbol)

    def get_option_chain(self, underlying: str, expiry: dt.date | None = None) -> pd.DataFrame:
        """Latest canonical option chain; only ``expiry`` when given.

        Raises
        ------
        NoDataError
            If ``expiry`` is not listed in the chain (the message lists the listed ones).
        """
        parsed = self.fetch_option_chain(underlying)
        if expiry is None:
            return parsed.chain
        if expiry not in parsed.expiries:
            listed = [d.isoformat() for d in parsed.expiries]
            raise NoDataError(
                f"{underlying} has no expiry {expiry}; NSE lists {listed}", provider=PROVIDER
            )
        chain = parsed.chain
        return chain.loc[chain["expiry"] == pd.Timestamp(expiry)].reset_index(drop=True)

    def snapshot(self, underlying: str) -> Snapshot:
        """Quote and full chain from ONE option-chain request.

        The option-chain response carries the underlying's value and the exchange
        timestamp (``records.underlyingValue``/``timestamp``, and for indices the
        ``records.index`` block with open/high/low/previous close), so a collection
        tick costs one request per underlying on this rate-limited, bot-guarded API
        instead of two (``allIndices`` is not asked). Fields the response lacks
        (e.g. open/high/low of a stock, or of an index in pre-2020 responses) are NaN.
        """
        parsed = self.fetch_option_chain(underlying)
        return Snapshot(parsed.quote, parsed.chain)

    def get_quote(self, underlying: str) -> pd.DataFrame:
        """One-row canonical quote: ``allIndices`` for indices, ``quote-equity`` for stocks."""
        symbol = underlying.upper()
        if is_index(symbol):
            payload = self.client.get_json("/api/allIndices")
            return parse_all_indices(payload, symbol, ingested_at=self._clock())
        payload = self.client.get_json("/api/quote-equity", {"symbol": symbol})
        return parse_quote_equity(payload, ingested_at=self._clock())

    def get_candles(
        self, symbol: str, interval: str, start: dt.datetime, end: dt.datetime
    ) -> pd.DataFrame:
        """Daily bars of a stock from ``/api/historical/cm/equity``.

        Raises
        ------
        NoDataError
            For intraday intervals or index symbols: NSE's public API has none; use the
            ``angelone`` or ``replay`` provider for those.
        """
        if interval != "1d" or is_index(symbol):
            raise NoDataError(
                f"NSE's public API has no {interval} bars for {symbol}; it serves only daily "
                "bars of stocks. Use the 'angelone' provider (live) or 'replay' (recorded) "
                "for index/intraday bars",
                provider=PROVIDER,
            )
        params = {
            "symbol": symbol.upper(),
            "series": '["EQ"]',
            "from": start.strftime("%d-%m-%Y"),
            "to": end.strftime("%d-%m-%Y"),
        }
        candles = parse_equity_history(self.client.get_json("/api/historical/cm/equity", params))
        lo, hi = (
            pd.Timestamp(start.date(), tz=EXCHANGE_TZ),
            pd.Timestamp(end.date(), tz=EXCHANGE_TZ),
        )
        return candles.loc[candles["ts"].between(lo, hi)].reset_index(drop=True)
