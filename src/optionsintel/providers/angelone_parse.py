"""Pure parsers of SmartAPI payloads into canonical frames (no I/O).

Field names follow ``SMARTAPI_NOTES.md``. Market quote, candles and the envelope are
checked against recorded official SDK fixtures; ``optionGreek`` and ``getOIData``
shapes are *UNVERIFIED* (built to third-party mocks / assumptions, see each function).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from optionsintel.frames import CANDLE_COLUMNS, CHAIN_COLUMNS, QUOTE_COLUMNS
from optionsintel.providers.base import SchemaDriftError
from optionsintel.tz import EXCHANGE_TZ

PROVIDER = "angelone"
IST = EXCHANGE_TZ
QUOTE_ROW_COLUMNS: tuple[str, ...] = (
    "exchange", "trading_symbol", "token", "ltp", "open", "high", "low", "close", "volume",
    "oi", "bid", "ask", "bid_qty", "ask_qty", "exchange_ts",
)  # fmt: skip
_QUOTE_RENAME = {
    "tradingSymbol": "trading_symbol", "symbolToken": "token", "tradeVolume": "volume",
    "opnInterest": "oi",
}  # fmt: skip
#: canonical interval -> (SmartAPI interval, max days per request).
#: Max days per request are from a third-party SDK (@suyotech-dev/smartapi-js
#: HistoricalDataProvider.js); the official docs page was not available: *UNVERIFIED*.
INTERVALS: dict[str, tuple[str, int]] = {
    "1m": ("ONE_MINUTE", 30), "3m": ("THREE_MINUTE", 60), "5m": ("FIVE_MINUTE", 100),
    "10m": ("TEN_MINUTE", 100), "15m": ("FIFTEEN_MINUTE", 200),
    "30m": ("THIRTY_MINUTE", 200), "1h": ("ONE_HOUR", 400), "1d": ("ONE_DAY", 2000),
}  # fmt: skip


def _ist_to_utc(values: pd.Series, fmt: str | None = None) -> pd.Series:
    parsed = pd.to_datetime(values, format=fmt, errors="coerce")
    if parsed.dt.tz is None:
        parsed = parsed.dt.tz_localize(IST)
    return parsed.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")


def _best(depth: Any, side: str, field: str) -> float:
    try:
        return float(depth[side][0][field])
    except (KeyError, IndexError, TypeError, ValueError):
        return np.nan


def parse_market_quote(data: Any) -> pd.DataFrame:
    """Rows of ``data.fetched`` of ``market/v1/quote`` (any mode) as a flat frame.

    Columns :data:`QUOTE_ROW_COLUMNS`; fields absent in the mode (LTP/OHLC) are NaN.
    ``exchange_ts`` is ``exchFeedTime`` (``21-Jun-2023 10:46:10``, IST) in UTC;
    ``bid``/``ask`` are the best levels of ``depth`` (FULL mode). ``attrs["unfetched"]``
    keeps ``data.unfetched``.
    """
    if not isinstance(data, dict) or "fetched" not in data:
        raise SchemaDriftError(["fetched"], provider=PROVIDER, context="market quote data")
    rows = pd.DataFrame.from_records(data["fetched"] or [])
    rows = rows.rename(columns=_QUOTE_RENAME)
    for col in ("exchange", "trading_symbol", "token"):
        if col not in rows and not rows.empty:
            raise SchemaDriftError([col], provider=PROVIDER, context="market quote row")
    depth = rows["depth"] if "depth" in rows else pd.Series([None] * len(rows), dtype=object)
    out = pd.DataFrame(index=rows.index)
    for col in ("exchange", "trading_symbol", "token"):
        out[col] = rows[col].astype("string") if col in rows else pd.Series(dtype="string")
    for col in ("ltp", "open", "high", "low", "close", "volume", "oi"):
        out[col] = pd.to_numeric(rows[col], errors="coerce") if col in rows else np.nan
    out["bid"] = [_best(d, "buy", "price") for d in depth]
    out["ask"] = [_best(d, "sell", "price") for d in depth]
    out["bid_qty"] = [_best(d, "buy", "quantity") for d in depth]
    out["ask_qty"] = [_best(d, "sell", "quantity") for d in depth]
    feed = rows["exchFeedTime"] if "exchFeedTime" in rows else pd.Series([None] * len(rows))
    out["exchange_ts"] = _ist_to_utc(feed.astype("string"), "%d-%b-%Y %H:%M:%S")
    out = out.loc[:, list(QUOTE_ROW_COLUMNS)].reset_index(drop=True)
    out.attrs["unfetched"] = list(data.get("unfetched") or [])
    return out


def quote_frame(row: pd.Series, underlying: str, ingested_at: dt.datetime) -> pd.DataFrame:
    """Canonical one-row quote (:data:`~optionsintel.frames.QUOTE_COLUMNS`) from a quote row.

    SmartAPI's ``close`` is the previous session's close (``netChange = ltp - close``
    in the recorded SBIN fixture), hence ``prev_close``.
    """
    ingested = pd.Timestamp(ingested_at).tz_convert("UTC")
    exchange_ts = row["exchange_ts"]
    frame = pd.DataFrame(
        {
            "underlying": [underlying],
            "snapshot_ts": [exchange_ts if pd.notna(exchange_ts) else ingested],
            "ltp": [row["ltp"]], "open": [row["open"]], "high": [row["high"]],
            "low": [row["low"]], "prev_close": [row["close"]], "volume": [row["volume"]],
            "exchange_ts": [exchange_ts], "ingested_at": [ingested], "provider": [PROVIDER],
        }
    )  # fmt: skip
    for col in ("snapshot_ts", "exchange_ts", "ingested_at"):
        frame[col] = pd.to_datetime(frame[col], utc=True)
    return frame.loc[:, list(QUOTE_COLUMNS)]


def parse_candles(data: Any, symbol: str, interval: str) -> pd.DataFrame:
    """``getCandleData`` rows ``[ts "YYYY-MM-DDTHH:MM:SS+05:30", o, h, l, c, volume]``.

    Returns canonical :data:`~optionsintel.frames.CANDLE_COLUMNS` (``ts`` UTC, ``oi``
    NaN).
    """
    if data is None:
        data = []
    if not isinstance(data, list) or any(not isinstance(r, list) or len(r) < 6 for r in data):
        raise SchemaDriftError(
            ["[timestamp, open, high, low, close, volume] rows"], provider=PROVIDER,
            context="getCandleData data",
        )  # fmt: skip
    raw = pd.DataFrame(
        [r[:6] for r in data], columns=["ts", "open", "high", "low", "close", "volume"]
    )
    out = pd.DataFrame(
        {
            "symbol": pd.Series([symbol] * len(raw), dtype=object),
            "interval": pd.Series([interval] * len(raw), dtype=object),
            "ts": pd.to_datetime(raw["ts"], utc=True, format="ISO8601"),
        }
    )
    for col in ("open", "high", "low", "close", "volume"):
        out[col] = pd.to_numeric(raw[col], errors="coerce").astype("float64")
    out["oi"] = np.nan
    out["provider"] = PROVIDER
    return out.loc[:, list(CANDLE_COLUMNS)]


def parse_option_greeks(data: Any) -> pd.DataFrame:
    """``optionGreek`` rows -> ``expiry, strike, option_type, delta, gamma, theta, vega, iv``.

    *UNVERIFIED*: field names ``name, expiry, strikePrice, optionType, delta, gamma,
    theta, vega, impliedVolatility, tradeVolume`` (values as strings) come from
    third-party mocks; no official sample response was found. ``iv`` is taken as percent.
    """
    cols = ["expiry", "strike", "option_type", "delta", "gamma", "theta", "vega", "iv"]
    rows = pd.DataFrame.from_records(data or [])
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in cols})
    need = ["expiry", "strikePrice", "optionType", "delta", "gamma", "theta", "vega"]
    missing = [c for c in [*need, "impliedVolatility"] if c not in rows]
    if missing:
        raise SchemaDriftError(missing, provider=PROVIDER, context="optionGreek row (UNVERIFIED)")
    from optionsintel.providers.angelone_scrip import parse_expiry

    out = pd.DataFrame({"expiry": parse_expiry(rows["expiry"])})
    out["strike"] = pd.to_numeric(rows["strikePrice"], errors="coerce")
    out["option_type"] = rows["optionType"].astype("string").str.upper().str.strip()
    for src, dst in [("delta", "delta"), ("gamma", "gamma"), ("theta", "theta"),
                     ("vega", "vega"), ("impliedVolatility", "iv")]:  # fmt: skip
        out[dst] = pd.to_numeric(rows[src], errors="coerce")
    return out


def parse_oi_data(data: Any) -> pd.DataFrame:
    """``getOIData`` rows -> ``ts`` (UTC), ``oi``.

    *UNVERIFIED*: no sample response was found; accepted shapes are candle-like lists
    ``[timestamp, oi]`` and objects ``{"time": ..., "oi": ...}``.
    """
    rows = data or []
    if all(isinstance(r, list) and len(r) >= 2 for r in rows):
        ts, oi = [r[0] for r in rows], [r[-1] for r in rows]
    elif all(isinstance(r, dict) and "time" in r and "oi" in r for r in rows):
        ts, oi = [r["time"] for r in rows], [r["oi"] for r in rows]
    else:
        raise SchemaDriftError(
            ["[time, oi] rows"], provider=PROVIDER, context="getOIData (UNVERIFIED)"
        )
    return pd.DataFrame(
        {"ts": pd.to_datetime(pd.Series(ts, dtype=object), utc=True, format="ISO8601"),
         "oi": pd.to_numeric(pd.Series(oi, dtype=object), errors="coerce")}
    )  # fmt: skip


def assemble_chain(
    contracts: pd.DataFrame,
    quotes: pd.DataFrame,
    greeks: pd.DataFrame | None,
    *,
    underlying: str,
    underlying_price: float,
    ingested_at: dt.datetime,
) -> pd.DataFrame:
    """Join master contracts, FULL quotes (by token) and greeks into a canonical chain.

    FULL-mode quotes carry ``opnInterest`` (OI), ``tradeVolume`` and 5-level depth, so
    only greeks/IV need another endpoint. ``oi_change`` is not offered by the quote
    endpoint and stays NaN. ``snapshot_ts`` is the latest exchange feed time of the batch.
    """
    base = contracts.loc[:, ["token", "expiry", "strike", "option_type"]].copy()
    base["token"] = base["token"].astype("string")
    q = quotes.drop(columns=["exchange", "trading_symbol"]).copy()
    q["token"] = q["token"].astype("string")
    chain = base.merge(q, on="token", how="left", validate="one_to_one")
    if greeks is not None and not greeks.empty:
        g = greeks.drop_duplicates(["expiry", "strike", "option_type"])
        chain = chain.merge(g, on=["expiry", "strike", "option_type"], how="left")
    for col in ("delta", "gamma", "theta", "vega", "iv"):
        if col not in chain:
            chain[col] = np.nan
    ingested = pd.Timestamp(ingested_at).tz_convert("UTC")
    snapshot = chain["exchange_ts"].max()
    chain["snapshot_ts"] = snapshot if pd.notna(snapshot) else ingested
    chain["ingested_at"] = ingested
    chain["underlying"] = underlying
    chain["underlying_price"] = float(underlying_price)
    chain["oi_change"] = np.nan
    chain["provider"] = PROVIDER
    for col in ("snapshot_ts", "exchange_ts", "ingested_at"):
        chain[col] = pd.to_datetime(chain[col], utc=True)
    return chain.loc[:, list(CHAIN_COLUMNS)].reset_index(drop=True)
