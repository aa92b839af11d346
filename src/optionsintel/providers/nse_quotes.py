"""Pure parsers of NSE quote endpoints: ``allIndices``, ``quote-equity``, ``historical/cm/equity``.

Notes
-----
* ``/api/allIndices`` lists every index with ``last, open, high, low, previousClose``
  and one top-level ``timestamp`` (IST); indices have no traded volume (NaN).
* ``/api/quote-equity?symbol=`` gives ``priceInfo`` (``lastPrice, open,
  previousClose, intraDayHighLow{min,max}``) and ``metadata.lastUpdateTime`` (IST).
  Its main section carries no day volume (that is in ``section=trade_info``), so
  ``volume`` is NaN.
* ``/api/historical/cm/equity`` rows carry ``CH_*`` fields; ``CH_TIMESTAMP`` is the
  trading date and becomes the bar's ``ts`` at 00:00 IST (UTC-aware), volume is
  ``CH_TOT_TRADED_QTY`` in shares.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from optionsintel.frames import CANDLE_COLUMNS, QUOTE_COLUMNS, empty_frame
from optionsintel.providers.base import NoDataError, SchemaDriftError
from optionsintel.providers.nse_parse import (
    INDEX_NAMES,
    PROVIDER,
    MalformedResponseError,
    _as_utc,
    parse_nse_timestamp,
)
from optionsintel.tz import EXCHANGE_TZ

_HISTORY_KEYS = {
    "open": "CH_OPENING_PRICE",
    "high": "CH_TRADE_HIGH_PRICE",
    "low": "CH_TRADE_LOW_PRICE",
    "close": "CH_CLOSING_PRICE",
    "volume": "CH_TOT_TRADED_QTY",
}


def _num(value: Any) -> float:
    """JSON number (or numeric string) to float; anything else to NaN."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _require(mapping: Any, keys: list[str], context: str) -> Mapping[str, Any]:
    """Return ``mapping`` after checking it is an object holding ``keys``."""
    if not isinstance(mapping, Mapping):
        raise MalformedResponseError(f"{context} must be a JSON object", provider=PROVIDER)
    missing = [k for k in keys if k not in mapping]
    if missing:
        raise SchemaDriftError(missing, provider=PROVIDER, context=context)
    return mapping


def _quote_frame(
    underlying: str, values: dict[str, float], ts: pd.Timestamp, ingested: pd.Timestamp
) -> pd.DataFrame:
    """One-row canonical quote frame."""
    row = {
        "underlying": underlying,
        "snapshot_ts": ts,
        "exchange_ts": ts,
        "ingested_at": ingested,
        "provider": PROVIDER,
    }
    frame = pd.DataFrame([{**row, **values}], columns=list(QUOTE_COLUMNS))
    for col in ("snapshot_ts", "exchange_ts", "ingested_at"):
        frame[col] = frame[col].dt.as_unit("ns")
    return frame


def parse_all_indices(
    payload: Mapping[str, Any], underlying: str, *, ingested_at: dt.datetime | None = None
) -> pd.DataFrame:
    """Canonical one-row quote of an index from an ``/api/allIndices`` response.

    Parameters
    ----------
    payload
        Decoded JSON with ``data`` (list of indices) and ``timestamp``.
    underlying
        F&O symbol (``NIFTY``, ``BANKNIFTY``...) or NSE index name (``"NIFTY 50"``).

    Raises
    ------
    SchemaDriftError
        If ``data``/``timestamp`` or an index's price keys are missing.
    NoDataError
        If the index is not in the list.
    """
    body = _require(payload, ["data", "timestamp"], "allIndices response")
    wanted = INDEX_NAMES.get(underlying.upper(), underlying.upper())
    match = [
        d
        for d in body["data"]
        if isinstance(d, Mapping) and str(d.get("index", "")).upper() == wanted
    ]
    if not match:
        raise NoDataError(
            f"index {wanted!r} is not in NSE's allIndices list; "
            f"known F&O symbols: {sorted(INDEX_NAMES)}",
            provider=PROVIDER,
        )
    item = _require(
        match[0], ["last", "open", "high", "low", "previousClose"], f"allIndices[{wanted}]"
    )
    values = {
        "ltp": _num(item["last"]), "open": _num(item["open"]), "high": _num(item["high"]),
        "low": _num(item["low"]), "prev_close": _num(item["previousClose"]), "volume": np.nan,
    }  # fmt: skip
    ts = parse_nse_timestamp(body["timestamp"])
    return _quote_frame(underlying.upper(), values, ts, _as_utc(ingested_at))


def parse_quote_equity(
    payload: Mapping[str, Any], *, ingested_at: dt.datetime | None = None
) -> pd.DataFrame:
    """Canonical one-row quote of a stock from an ``/api/quote-equity?symbol=`` response.

    Raises
    ------
    SchemaDriftError
        If ``info.symbol``, ``metadata.lastUpdateTime`` or the ``priceInfo`` keys are missing.
    """
    body = _require(payload, ["info", "metadata", "priceInfo"], "quote-equity response")
    info = _require(body["info"], ["symbol"], "quote-equity info")
    meta = _require(body["metadata"], ["lastUpdateTime"], "quote-equity metadata")
    price = _require(
        body["priceInfo"],
        ["lastPrice", "open", "previousClose", "intraDayHighLow"],
        "quote-equity priceInfo",
    )
    hilo = _require(
        price["intraDayHighLow"], ["min", "max"], "quote-equity priceInfo.intraDayHighLow"
    )
    values = {
        "ltp": _num(price["lastPrice"]), "open": _num(price["open"]), "high": _num(hilo["max"]),
        "low": _num(hilo["min"]), "prev_close": _num(price["previousClose"]), "volume": np.nan,
    }  # fmt: skip
    ts = parse_nse_timestamp(meta["lastUpdateTime"])
    return _quote_frame(str(info["symbol"]).upper(), values, ts, _as_utc(ingested_at))


def parse_equity_history(payload: Mapping[str, Any], *, provider: str = PROVIDER) -> pd.DataFrame:
    """Daily candles from an ``/api/historical/cm/equity`` response.

    Returns
    -------
    pandas.DataFrame
        Canonical candles (interval ``"1d"``), ascending by date, one row per date.

    Raises
    ------
    SchemaDriftError
        If ``data`` or any ``CH_*`` price key is missing.
    """
    body = _require(payload, ["data"], "historical/cm/equity response")
    rows = [r for r in body["data"] if isinstance(r, Mapping)]
    if not rows:
        return empty_frame(CANDLE_COLUMNS)
    needed = ["CH_SYMBOL", "CH_TIMESTAMP", *_HISTORY_KEYS.values()]
    missing = [k for k in needed if any(k not in r for r in rows)]
    if missing:
        raise SchemaDriftError(missing, provider=PROVIDER, context="historical/cm/equity data")
    frame = pd.DataFrame({col: [_num(r[key]) for r in rows] for col, key in _HISTORY_KEYS.items()})
    days = pd.to_datetime(pd.Series([r["CH_TIMESTAMP"] for r in rows]), format="%Y-%m-%d")
    frame["ts"] = days.dt.tz_localize(EXCHANGE_TZ).dt.tz_convert("UTC").dt.as_unit("ns")
    frame["symbol"] = [str(r["CH_SYMBOL"]).upper() for r in rows]
    frame["interval"] = "1d"
    frame["oi"] = np.nan
    frame["provider"] = provider
    frame = frame.drop_duplicates(["symbol", "ts"], keep="last").sort_values(
        "ts", ignore_index=True
    )
    return frame.loc[:, list(CANDLE_COLUMNS)]
