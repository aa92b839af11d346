"""Pure parsers of NSE India public-API JSON responses into canonical frames.

These functions do no I/O: they take the decoded JSON of an NSE response and return
the canonical frames of :mod:`optionsintel.frames`. The HTTP client lives in
:mod:`optionsintel.providers.nse`.

Notes
-----
Units and conventions, as NSE publishes them and as kept here:

* ``oi`` / ``oi_change`` are in **contracts (lots)**, NSE's own unit. They can be
  fractional (e.g. ``319.5`` or ``4.3333``) when a lot-size change left odd
  positions; the value is kept as published (float), never rounded.
* ``volume`` (``totalTradedVolume``) is in contracts as well.
* ``iv`` is in percent; NSE sends ``0`` when it did not compute an IV (no trade,
  deep ITM...), which becomes NaN.
* ``ltp``, ``bid`` and ``ask`` of ``0`` mean "no trade / no quote" (an option never
  trades at 0; the tick is 0.05) and become NaN, as do ``bid_qty``/``ask_qty`` of a
  side with no quote price.
* ``records.timestamp`` (e.g. ``"23-Aug-2019 15:30:00"``) is exchange time in
  Asia/Kolkata and is converted to UTC (``snapshot_ts`` and ``exchange_ts``).
* Expiries (``"29-Aug-2019"``) become midnight-normalised naive ``datetime64[ns]``
  values, as :func:`optionsintel.frames.validate_chain` normalises them.
* The bid price key is spelled ``bidprice`` in every recorded response (2019-2025);
  ``bidPrice`` is accepted too.

The parse is all-or-nothing: every key is checked before a frame is returned, and a
missing key raises :class:`~optionsintel.providers.base.SchemaDriftError` naming it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from optionsintel.frames import CHAIN_COLUMNS, QUOTE_COLUMNS, empty_frame
from optionsintel.providers.base import ProviderError, SchemaDriftError

PROVIDER = "nse"
IST = dt.timezone(dt.timedelta(hours=5, minutes=30), name="IST")
NSE_TS_FORMAT = "%d-%b-%Y %H:%M:%S"
NSE_DATE_FORMAT = "%d-%b-%Y"

#: Canonical column <- NSE key for the numeric per-contract fields.
_SIDE_FIELDS: dict[str, str] = {
    "strike": "strikePrice",
    "ltp": "lastPrice",
    "ask": "askPrice",
    "bid_qty": "bidQty",
    "ask_qty": "askQty",
    "volume": "totalTradedVolume",
    "oi": "openInterest",
    "oi_change": "changeinOpenInterest",
    "iv": "impliedVolatility",
}
_BID_KEYS = ("bidprice", "bidPrice")
_RECORDS_KEYS = ("data", "timestamp", "expiryDates", "underlyingValue")

#: NSE ``allIndices``/``index`` names of the F&O index underlyings.
INDEX_NAMES: dict[str, str] = {
    "NIFTY": "NIFTY 50",
    "BANKNIFTY": "NIFTY BANK",
    "FINNIFTY": "NIFTY FINANCIAL SERVICES",
    "MIDCPNIFTY": "NIFTY MID SELECT",
    "NIFTYNXT50": "NIFTY NEXT 50",
    "INDIAVIX": "INDIA VIX",
}


class MalformedResponseError(ProviderError):
    """The response body is not valid JSON (or not a JSON object)."""


@dataclass(frozen=True, eq=False)
class ParsedChain:
    """A fully parsed NSE option-chain response.

    Attributes
    ----------
    chain
        Canonical option chain (:data:`~optionsintel.frames.CHAIN_COLUMNS`), one row per
        (expiry, strike, CE/PE), sorted by expiry, strike, option type.
    quote
        Canonical one-row quote of the underlying (:data:`~optionsintel.frames.QUOTE_COLUMNS`).
    nse_totals
        NSE's own ``filtered`` totals for the nearest expiry (``expiries[0]``) as
        ``{"CE": {"totOI": ..., "totVol": ...}, "PE": {...}}``; empty when the response
        has no ``filtered`` block. OI and volume in contracts.
    expiries
        Listed expiries, ascending.
    underlying
        Underlying symbol (``"NIFTY"``...).
    snapshot_ts
        Exchange time of the snapshot, UTC.
    """

    chain: pd.DataFrame
    quote: pd.DataFrame
    nse_totals: dict[str, dict[str, float]] = field(default_factory=dict)
    expiries: tuple[dt.date, ...] = ()
    underlying: str = ""
    snapshot_ts: pd.Timestamp | None = None


def parse_nse_timestamp(text: str) -> pd.Timestamp:
    """Parse an NSE exchange timestamp (``"23-Aug-2019 15:30:00"``, IST) to UTC.

    Raises
    ------
    SchemaDriftError
        If the text is not in NSE's ``%d-%b-%Y %H:%M:%S`` format.

    Examples
    --------
    >>> parse_nse_timestamp("23-Aug-2019 15:30:00")
    Timestamp('2019-08-23 10:00:00+0000', tz='UTC')
    """
    try:
        naive = dt.datetime.strptime(str(text).strip(), NSE_TS_FORMAT)
    except ValueError as exc:
        raise SchemaDriftError(
            [f"timestamp in format {NSE_TS_FORMAT!r} (got {text!r})"], provider=PROVIDER
        ) from exc
    return pd.Timestamp(naive.replace(tzinfo=IST)).tz_convert("UTC")


def snapshot_time(payload: Any) -> pd.Timestamp:
    """The ``snapshot_ts`` :func:`parse_option_chain` gives ``payload``, without parsing the legs.

    Raises
    ------
    MalformedResponseError, SchemaDriftError
        As :func:`parse_option_chain` for a bad top level or timestamp.
    """
    return parse_nse_timestamp(_check_payload(payload)["timestamp"])


def _parse_dates(values: Sequence[str], what: str) -> dict[str, np.datetime64]:
    """Map each distinct NSE date string (``"29-Aug-2019"``) to a ``datetime64[ns]``."""
    out: dict[str, np.datetime64] = {}
    bad: list[str] = []
    for text in set(values):  # a chain has ~20 distinct expiries: parse each once
        try:
            out[text] = np.datetime64(
                dt.datetime.strptime(str(text).strip(), NSE_DATE_FORMAT), "ns"
            )
        except ValueError:
            bad.append(str(text))
    if bad:
        raise SchemaDriftError(
            [f"{what} in format {NSE_DATE_FORMAT!r} (got {sorted(bad)[:3]})"], provider=PROVIDER
        )
    return out


def _missing_keys(dicts: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> list[str]:
    """Keys of ``keys`` absent from at least one of ``dicts``."""
    return [k for k in keys if any(k not in d for d in dicts)]


def _float_array(values: list[Any]) -> np.ndarray:
    """Convert a list of JSON numbers (``None``/strings tolerated) to float64."""
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(np.float64)


def _side_columns(legs: list[Mapping[str, Any]], side: str) -> dict[str, np.ndarray]:
    """Numeric columns of one side (CE or PE), all-or-nothing on missing keys."""
    needed = [*_SIDE_FIELDS.values(), "expiryDate"]
    try:
        cols = {
            name: _float_array([leg[key] for leg in legs]) for name, key in _SIDE_FIELDS.items()
        }
    except KeyError:
        raise SchemaDriftError(
            [f"{side}.{k}" for k in _missing_keys(legs, needed)],
            provider=PROVIDER,
            context="records.data",
        ) from None
    sentinel = object()
    bids = [leg.get(_BID_KEYS[0], leg.get(_BID_KEYS[1], sentinel)) for leg in legs]
    if any(b is sentinel for b in bids):
        raise SchemaDriftError([f"{side}.bidprice"], provider=PROVIDER, context="records.data")
    cols["bid"] = _float_array(bids)
    return cols


def _clean_numbers(data: dict[str, np.ndarray]) -> None:
    """Turn NSE's zero placeholders into NaN in place (see module Notes)."""
    for col in ("iv", "ltp", "bid", "ask"):
        data[col] = np.where(data[col] > 0, data[col], np.nan)
    data["bid_qty"] = np.where(np.isnan(data["bid"]), np.nan, data["bid_qty"])
    data["ask_qty"] = np.where(np.isnan(data["ask"]), np.nan, data["ask_qty"])


def _build_side(rows: list[Mapping[str, Any]], side: str, spot: float) -> dict[str, Any] | None:
    """Column dict for one option type, or None when no row has that side."""
    legs = [row[side] for row in rows if row.get(side)]
    if not legs:
        return None
    cols: dict[str, Any] = _side_columns(legs, side)
    missing_exp = [i for i, leg in enumerate(legs) if "expiryDate" not in leg]
    if missing_exp:
        raise SchemaDriftError([f"{side}.expiryDate"], provider=PROVIDER, context="records.data")
    cols["expiry_text"] = [leg["expiryDate"] for leg in legs]
    cols["underlying_price"] = _float_array([leg.get("underlyingValue", spot) for leg in legs])
    cols["underlying_text"] = [leg.get("underlying") for leg in legs]
    cols["option_type"] = side
    return cols


def _check_payload(payload: Any) -> Mapping[str, Any]:
    """Return ``payload["records"]`` after checking the top-level keys."""
    if not isinstance(payload, Mapping):
        raise MalformedResponseError(
            f"option-chain response must be a JSON object, got {type(payload).__name__}",
            provider=PROVIDER,
        )
    records = payload.get("records")
    if not isinstance(records, Mapping):
        raise SchemaDriftError(["records"], provider=PROVIDER, context="option-chain response")
    missing = [k for k in _RECORDS_KEYS if k not in records]
    if missing:
        raise SchemaDriftError([f"records.{k}" for k in missing], provider=PROVIDER)
    return records


def _resolve_underlying(texts: list[Any], given: str | None) -> str:
    """Return the caller's underlying symbol, else the single one the legs name."""
    if given:
        return given.upper()
    names = {t for t in texts if t}
    if len(names) != 1:
        raise SchemaDriftError(
            [f"CE/PE.underlying (one symbol expected, got {sorted(map(str, names))})"],
            provider=PROVIDER,
        )
    return str(names.pop())


def _assemble_chain(
    sides: list[dict[str, Any]],
    underlying: str,
    snapshot_ts: pd.Timestamp,
    ingested_at: pd.Timestamp,
) -> pd.DataFrame:
    """Concatenate CE/PE column dicts into a sorted canonical chain frame.

    Columns are built and sorted as NumPy arrays and the frame is constructed once,
    which keeps a full NIFTY chain well under the 20 ms budget.
    """
    if not sides:
        return empty_frame(CHAIN_COLUMNS)
    n = [len(s["strike"]) for s in sides]
    data: dict[str, Any] = {
        c: np.concatenate([s[c] for s in sides]) for c in (*_SIDE_FIELDS, "bid", "underlying_price")
    }
    expiry_text = [t for s in sides for t in s["expiry_text"]]
    dates = _parse_dates(expiry_text, "expiryDate")
    data["expiry"] = np.array([dates[t] for t in expiry_text], dtype="datetime64[ns]")
    data["option_type"] = np.repeat(np.array([s["option_type"] for s in sides], dtype=object), n)
    _clean_numbers(data)
    order = np.lexsort((data["option_type"] == "PE", data["strike"], data["expiry"]))
    size = len(order)
    data = {k: v[order] for k, v in data.items()}
    nan = np.full(size, np.nan)
    snap = pd.DatetimeIndex(np.repeat(snapshot_ts.as_unit("ns").to_datetime64(), size), tz="UTC")
    ingest = pd.DatetimeIndex(np.repeat(ingested_at.as_unit("ns").to_datetime64(), size), tz="UTC")
    data.update(
        underlying=np.full(size, underlying, dtype=object), snapshot_ts=snap, exchange_ts=snap,
        ingested_at=ingest, provider=np.full(size, PROVIDER, dtype=object),
        delta=nan, gamma=nan.copy(), theta=nan.copy(), vega=nan.copy(),
    )  # fmt: skip
    return pd.DataFrame({c: data[c] for c in CHAIN_COLUMNS})


def _parse_totals(payload: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    """NSE's ``filtered`` CE/PE totals, or ``{}`` when the block is absent."""
    filtered = payload.get("filtered")
    if not isinstance(filtered, Mapping):
        return {}
    totals: dict[str, dict[str, float]] = {}
    for side in ("CE", "PE"):
        block = filtered.get(side)
        if isinstance(block, Mapping):
            totals[side] = {
                k: float(block[k]) for k in ("totOI", "totVol") if block.get(k) is not None
            }
    return totals


def _quote_from_index_block(
    block: Mapping[str, Any],
    underlying: str,
    spot: float,
    snapshot_ts: pd.Timestamp,
    ingested_at: pd.Timestamp,
) -> pd.DataFrame:
    """One-row canonical quote from ``records.index`` (may be empty)."""

    def num(key: str) -> float:
        value = block.get(key)
        return float(value) if isinstance(value, int | float) else np.nan

    row = {
        "underlying": underlying, "snapshot_ts": snapshot_ts, "ltp": spot,
        "open": num("open"), "high": num("high"), "low": num("low"),
        "prev_close": num("previousClose"), "volume": np.nan,
        "exchange_ts": snapshot_ts, "ingested_at": ingested_at, "provider": PROVIDER,
    }  # fmt: skip
    frame = pd.DataFrame([row], columns=list(QUOTE_COLUMNS))
    for col in ("snapshot_ts", "exchange_ts", "ingested_at"):
        frame[col] = frame[col].dt.as_unit("ns")
    return frame


def _as_utc(value: dt.datetime | None) -> pd.Timestamp:
    """Aware UTC Timestamp of ``value`` (wall clock when None; naive means UTC)."""
    ts = pd.Timestamp(value) if value is not None else pd.Timestamp.now(tz="UTC")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def parse_option_chain(
    payload: Mapping[str, Any],
    *,
    ingested_at: dt.datetime | None = None,
    underlying: str | None = None,
    provider: str = PROVIDER,
) -> ParsedChain:
    """Parse an NSE ``option-chain-indices`` / ``option-chain-equities`` response.

    Parameters
    ----------
    payload
        The decoded JSON: ``{"records": {...}, "filtered": {...}}`` (``filtered`` optional).
    ingested_at
        When the response was received; defaults to now (UTC). Naive means UTC.
    underlying
        Symbol to record; by default the one named in the contracts' ``underlying`` field.
    provider
        Name written in the ``provider`` column (the replay provider passes ``"replay"``).

    Returns
    -------
    ParsedChain
        Canonical chain and quote frames, NSE's own nearest-expiry totals and the expiries.

    Raises
    ------
    MalformedResponseError
        If ``payload`` is not a JSON object.
    SchemaDriftError
        If a key the parser needs is missing anywhere (all missing keys are listed).

    Notes
    -----
    Units (contracts for OI and volume, percent for IV, zero placeholders -> NaN) are
    described in the module docstring. For a response with a ``filtered`` block,
    ``chain[chain.expiry == expiries[0]].groupby("option_type")[["oi", "volume"]].sum()``
    equals ``nse_totals`` exactly (checked on every recorded payload 2019-2025).
    """
    records = _check_payload(payload)
    snapshot_ts = parse_nse_timestamp(records["timestamp"])
    ingested = _as_utc(ingested_at)
    spot = float(records["underlyingValue"])
    rows = records["data"]
    if not isinstance(rows, list):
        raise SchemaDriftError(["records.data (a list)"], provider=PROVIDER)
    sides = [s for s in (_build_side(rows, side, spot) for side in ("CE", "PE")) if s is not None]
    name = _resolve_underlying([t for s in sides for t in s["underlying_text"]], underlying)
    chain = _assemble_chain(sides, name, snapshot_ts, ingested)
    expiry_map = _parse_dates(list(records["expiryDates"]), "records.expiryDates")
    expiries = tuple(sorted(pd.Timestamp(d).date() for d in expiry_map.values()))
    raw_index = records.get("index")
    index_block: Mapping[str, Any] = raw_index if isinstance(raw_index, Mapping) else {}
    quote = _quote_from_index_block(index_block, name, spot, snapshot_ts, ingested)
    if provider != PROVIDER:
        chain["provider"] = provider
        quote["provider"] = provider
    return ParsedChain(chain, quote, _parse_totals(payload), expiries, name, snapshot_ts)


def expiry_totals(chain: pd.DataFrame, expiry: dt.date) -> dict[str, dict[str, float]]:
    """Total OI and volume per option type for one expiry, in NSE's ``filtered`` layout.

    Returns
    -------
    dict
        ``{"CE": {"totOI": ..., "totVol": ...}, "PE": {...}}`` in contracts.
    """
    sel = chain.loc[chain["expiry"] == pd.Timestamp(expiry), ["option_type", "oi", "volume"]]
    sums = sel.groupby("option_type")[["oi", "volume"]].sum()
    return {
        str(side): {"totOI": float(sums.at[side, "oi"]), "totVol": float(sums.at[side, "volume"])}
        for side in sums.index
    }
