"""Angel One SmartAPI market-data provider (``provider == "angelone"``).

Quotes come from ``market/v1/quote`` (batched, at most :data:`MAX_QUOTE_TOKENS` tokens
per request), option chains from FULL quotes of the chain's NFO tokens (looked up in the
instrument master) joined with ``optionGreek`` greeks, candles from ``getCandleData``
split into windows of the per-interval maximum. See :mod:`angelone_client` for the
session, envelope, errors and rate limits.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import httpx
import pandas as pd

from optionsintel.errors import ConfigurationError
from optionsintel.frames import CANDLE_COLUMNS, empty_frame
from optionsintel.providers.angelone_client import (
    CANDLES,
    OI_DATA,
    OPTION_GREEK,
    QUOTE,
    AngelOneAPIError,
    AngelOneAuthError,
    AngelOneClient,
    AngelOneCredentials,
    AngelOneTransientError,
)
from optionsintel.providers.angelone_parse import (
    INTERVALS,
    PROVIDER,
    assemble_chain,
    parse_candles,
    parse_market_quote,
    parse_oi_data,
    parse_option_greeks,
    quote_frame,
)
from optionsintel.providers.angelone_scrip import IST, ScripMaster
from optionsintel.providers.base import (
    Clock,
    NoDataError,
    SchemaDriftError,
    Snapshot,
    utc_now,
)

logger = logging.getLogger(__name__)

#: Tokens per ``market/v1/quote`` request (SmartAPI forum, "Live Market Data API - /quote
#: Endpoint: Enhanced with 50-Symbol Bulk Fetch", topic 4056, Nov 2023).
MAX_QUOTE_TOKENS = 50
QuoteMode = Literal["LTP", "OHLC", "FULL"]


class AngelOneProvider:
    """:class:`~optionsintel.providers.base.MarketDataProvider` over Angel One SmartAPI.

    Parameters
    ----------
    credentials
        API key, client code, PIN and TOTP secret (resolved by the caller, e.g. with
        :meth:`AngelOneCredentials.from_settings`); required unless ``client`` is given.
    cache_dir
        Folder of on-disk caches; the instrument master is kept in ``cache_dir/angelone``.
    client
        A ready :class:`AngelOneClient` (then ``credentials`` is not used).
    http
        :class:`httpx.Client` for the API (tests: :class:`httpx.MockTransport`).
    scrip_master
        A ready :class:`ScripMaster`, or a zero-argument callable returning one; by
        default today's master is loaded from ``cache_dir / "angelone"``.
    scrip_http
        :class:`httpx.Client` used to download the master.
    include_greeks
        Join ``optionGreek`` greeks into chains (*UNVERIFIED* response shape; a failing
        greeks call leaves NaN and logs a warning).
    clock
        Aware UTC clock stamping ``ingested_at``.
    **client_options
        Passed to :class:`AngelOneClient` (``time_source``, ``sleep``, ``rate_limits``...).
    """

    name = PROVIDER

    def __init__(
        self,
        credentials: AngelOneCredentials | None = None,
        *,
        cache_dir: Path | None = None,
        client: AngelOneClient | None = None,
        http: httpx.Client | None = None,
        scrip_master: ScripMaster | Callable[[], ScripMaster] | None = None,
        scrip_http: httpx.Client | None = None,
        include_greeks: bool = True,
        clock: Clock = utc_now,
        **client_options: Any,
    ) -> None:
        if client is None:
            if credentials is None:
                raise ConfigurationError(
                    "Angel One credentials are not configured: set OPTIONSINTEL_ANGELONE_API_KEY, "
                    "_CLIENT_CODE, _PIN and _TOTP_SECRET (or pass credentials=)"
                )
            client = AngelOneClient(credentials, http=http, **client_options)
        self._cache_dir = cache_dir
        self.client = client
        self._scrip = scrip_master
        self._scrip_http = scrip_http
        self.include_greeks = include_greeks
        self._clock = clock

    def __repr__(self) -> str:
        return f"AngelOneProvider(client={self.client!r})"

    @property
    def scrip_master(self) -> ScripMaster:
        """The instrument master (loaded, and downloaded if stale, on first use)."""
        if self._scrip is None:
            if self._cache_dir is None:
                raise ConfigurationError(
                    "AngelOneProvider needs cache_dir (or scrip_master) to load the "
                    "instrument master"
                )
            cache = self._cache_dir / "angelone"
            self._scrip = ScripMaster.load(cache, http=self._scrip_http, clock=self._clock)
        elif not isinstance(self._scrip, ScripMaster):
            self._scrip = self._scrip()
        return self._scrip

    # -- raw endpoints ------------------------------------------------------------------
    def market_quote(
        self, exchange_tokens: Mapping[str, Sequence[str]], mode: QuoteMode = "FULL"
    ) -> pd.DataFrame:
        """Quotes of ``{"NSE": [...], "NFO": [...]}`` tokens, batched by :data:`MAX_QUOTE_TOKENS`.

        Returns the flat frame of :func:`parse_market_quote`; tokens the API did not
        return are listed in ``attrs["unfetched"]``.
        """
        pairs = [(ex, str(t)) for ex, tokens in exchange_tokens.items() for t in tokens]
        if not pairs:
            raise ValueError("market_quote needs at least one token")
        parts, unfetched = [], []
        for i in range(0, len(pairs), MAX_QUOTE_TOKENS):
            batch: dict[str, list[str]] = {}
            for ex, token in pairs[i : i + MAX_QUOTE_TOKENS]:
                batch.setdefault(ex, []).append(token)
            part = parse_market_quote(
                self.client.post(QUOTE, {"mode": mode, "exchangeTokens": batch})
            )
            unfetched.extend(part.attrs.get("unfetched", []))
            parts.append(part)
        out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        out.attrs["unfetched"] = unfetched
        return out

    def option_greeks(self, underlying: str, expiry: dt.date) -> pd.DataFrame:
        """Greeks of one expiry from ``optionGreek`` (*UNVERIFIED* shape; see parser)."""
        body = {"name": underlying.upper(), "expirydate": expiry.strftime("%d%b%Y").upper()}
        return parse_option_greeks(self.client.post(OPTION_GREEK, body))

    def oi_data(
        self, symbol: str, interval: str, start: dt.datetime, end: dt.datetime
    ) -> pd.DataFrame:
        """Open-interest history from ``getOIData`` (*UNVERIFIED* response shape)."""
        exchange, token = self.scrip_master.spot_token(symbol)
        api_interval, _ = _interval(interval)
        body = {
            "exchange": exchange, "symboltoken": token, "interval": api_interval,
            "fromdate": _ist_text(start), "todate": _ist_text(end),
        }  # fmt: skip
        return parse_oi_data(self.client.post(OI_DATA, body))

    # -- MarketDataProvider -------------------------------------------------------------
    def get_quote(self, underlying: str) -> pd.DataFrame:
        """Latest quote of an index (``NIFTY``...) or NSE equity as a canonical one-row frame."""
        exchange, token = self.scrip_master.spot_token(underlying)
        rows = self.market_quote({exchange: [token]}, mode="FULL")
        if rows.empty:
            raise NoDataError(f"Angel One returned no quote for {underlying}", provider=PROVIDER)
        return quote_frame(rows.iloc[0], underlying.upper(), self._clock())

    def get_option_chain(self, underlying: str, expiry: dt.date | None = None) -> pd.DataFrame:
        """Canonical chain of ``underlying`` (one expiry, or all listed ones when None).

        All listed expiries means every NFO contract of the underlying (thousands of
        tokens for NIFTY: tens of quote requests at 10/s); pass ``expiry`` when possible.
        """
        return self._chain_and_spot(underlying.upper(), expiry)[0]

    def snapshot(self, underlying: str) -> Snapshot:
        """Quote and full chain from the chain's quote requests alone.

        The spot token is asked in FULL mode in the chain's first quote batch, so the
        canonical quote is built from that row: no separate ``get_quote`` request.
        (The chain itself still takes one batched request per :data:`MAX_QUOTE_TOKENS`
        contracts, plus one ``optionGreek`` request per expiry when greeks are on.)

        Raises
        ------
        NoDataError
            If Angel One returned no quote of the spot token.
        """
        name = underlying.upper()
        chain, spot = self._chain_and_spot(name, None)
        if spot.empty:
            raise NoDataError(f"Angel One returned no quote for {name}", provider=PROVIDER)
        return Snapshot(quote_frame(spot.iloc[0], name, self._clock()), chain)

    def _chain_and_spot(
        self, name: str, expiry: dt.date | None
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        contracts = self.scrip_master.options(name, expiry)
        exchange, spot_token = self.scrip_master.spot_token(name)
        quotes = self.market_quote({exchange: [spot_token], "NFO": contracts["token"].tolist()})
        spot = quotes[(quotes["token"] == spot_token) & (quotes["exchange"] == exchange)]
        options = quotes[quotes["exchange"] == "NFO"]
        greeks = self._greeks(name, contracts["expiry"].dropna().unique())
        chain = assemble_chain(
            contracts, options, greeks, underlying=name,
            underlying_price=float(spot["ltp"].iloc[0]) if not spot.empty else float("nan"),
            ingested_at=self._clock(),
        )  # fmt: skip
        return chain, spot

    def _greeks(self, underlying: str, expiries: Sequence[pd.Timestamp]) -> pd.DataFrame | None:
        if not self.include_greeks:
            return None
        parts = []
        for exp in expiries:
            try:
                parts.append(self.option_greeks(underlying, pd.Timestamp(exp).date()))
            except (NoDataError, SchemaDriftError) as exc:
                logger.warning("optionGreek unavailable for %s %s: %s", underlying, exp, exc)
        return pd.concat(parts, ignore_index=True) if parts else None

    def get_candles(
        self, symbol: str, interval: str, start: dt.datetime, end: dt.datetime
    ) -> pd.DataFrame:
        """OHLCV bars in ``[start, end]``, fetched in windows of the interval's max days."""
        api_interval, max_days = _interval(interval)
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("start and end must be timezone-aware datetimes")
        if end < start:
            raise ValueError(f"end {end} is before start {start}")
        exchange, token = self.scrip_master.spot_token(symbol)
        parts = []
        for lo, hi in candle_windows(start, end, max_days):
            body = {
                "exchange": exchange, "symboltoken": token, "interval": api_interval,
                "fromdate": _ist_text(lo), "todate": _ist_text(hi),
            }  # fmt: skip
            parts.append(parse_candles(self.client.post(CANDLES, body), symbol.upper(), interval))
        frames = [p for p in parts if not p.empty]
        if not frames:
            return empty_frame(CANDLE_COLUMNS)
        out = pd.concat(frames, ignore_index=True).drop_duplicates("ts").sort_values("ts")
        mask = (out["ts"] >= pd.Timestamp(start)) & (out["ts"] <= pd.Timestamp(end))
        return out[mask].reset_index(drop=True)


def candle_windows(
    start: dt.datetime, end: dt.datetime, max_days: int
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Split ``[start, end]`` into consecutive windows of at most ``max_days`` days.

    Windows share no minute: each starts one minute after the previous one ends
    (SmartAPI ``fromdate``/``todate`` have minute resolution and are inclusive).
    """
    if max_days < 1:
        raise ValueError(f"max_days must be >= 1; got {max_days}")
    span = dt.timedelta(days=max_days)
    windows, lo = [], start
    while lo <= end:
        hi = min(lo + span, end)
        windows.append((lo, hi))
        lo = hi + dt.timedelta(minutes=1)
    return windows


def _interval(interval: str) -> tuple[str, int]:
    if interval not in INTERVALS:
        raise ValueError(f"unsupported interval {interval!r}; choose one of {list(INTERVALS)}")
    return INTERVALS[interval]


def _ist_text(when: dt.datetime) -> str:
    if when.tzinfo is None:
        raise ValueError("datetimes sent to SmartAPI must be timezone-aware")
    return when.astimezone(IST).strftime("%Y-%m-%d %H:%M")


__all__ = [
    "MAX_QUOTE_TOKENS",
    "AngelOneAPIError",
    "AngelOneAuthError",
    "AngelOneCredentials",
    "AngelOneProvider",
    "AngelOneTransientError",
    "candle_windows",
]
