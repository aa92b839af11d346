"""The validation boundary: what a stored row may hold, as pure functions over frames.

Two layers use these rules:

* the store refuses a whole write whose values cannot be stored faithfully (wrong types,
  overflowing integers, instants outside :func:`instant_horizon`), raising
  :class:`~optionsintel.errors.FrameValidationError` and keeping nothing;
* the collection loop calls :func:`validate_market_frame` on each provider answer and
  stores only the clean rows, recording the rejected ones with their reasons, so one bad
  tick never stops a run.

Horizon
-------
Instants and calendar days are accepted from 1990-01-01 (before NSE's founding in 1992,
so no real market row precedes it) up to :data:`HORIZON_YEARS` years after today
(NSE's longest-dated index options run five years; API keys and calendars a little
further). Anything outside is a unit or parsing error (epoch seconds read as
nanoseconds, ``01-Jan-0001``, ``2099``) and would otherwise create absurd partitions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Final, Literal, NamedTuple

import numpy as np
import pandas as pd

from optionsintel.frames import CANDLE_COLUMNS, CHAIN_COLUMNS, CHAIN_KEY, QUOTE_COLUMNS
from optionsintel.tz import EXCHANGE_TZ

EARLIEST_DAY: Final = dt.date(1990, 1, 1)
"""First calendar day a stored instant or date may fall on."""

HORIZON_YEARS: Final = 10
"""How many years after today a stored instant or date may lie."""

MAX_ABS_VALUE: Final = 1e12
"""Largest magnitude accepted for a price, quantity or greek (1e308 is a parsing error)."""

FrameKind = Literal["chain", "quote", "candle"]

_NON_NEGATIVE: Final[dict[str, tuple[str, ...]]] = {
    "chain": ("strike", "ltp", "bid", "ask", "bid_qty", "ask_qty", "volume", "oi",
              "underlying_price"),
    "quote": ("ltp", "open", "high", "low", "prev_close", "volume"),
    "candle": ("open", "high", "low", "close", "volume", "oi"),
}  # fmt: skip
_NUMERIC: Final[dict[str, tuple[str, ...]]] = {
    "chain": ("strike", "ltp", "bid", "ask", "bid_qty", "ask_qty", "volume", "oi", "oi_change",
              "iv", "delta", "gamma", "theta", "vega", "underlying_price"),
    "quote": _NON_NEGATIVE["quote"],
    "candle": _NON_NEGATIVE["candle"],
}  # fmt: skip
_COLUMNS: Final = {"chain": CHAIN_COLUMNS, "quote": QUOTE_COLUMNS, "candle": CANDLE_COLUMNS}
_SYMBOL: Final = {"chain": "underlying", "quote": "underlying", "candle": "symbol"}
_INSTANTS: Final = ("snapshot_ts", "exchange_ts", "ts")


class ValidatedFrame(NamedTuple):
    """Result of :func:`validate_market_frame`: rows to store and rows refused."""

    clean: pd.DataFrame
    """The accepted rows, numbers as float64 and instants as UTC."""
    rejected: pd.DataFrame
    """The refused rows as given, with a ``reason`` column naming every failed rule."""


def instant_horizon(today: dt.date | None = None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The earliest and latest instant (UTC) the store accepts.

    >>> instant_horizon(dt.date(2025, 7, 16))[1]
    Timestamp('2035-07-16 00:00:00+0000', tz='UTC')
    """
    lo, hi = day_horizon(today)
    return pd.Timestamp(lo, tz="UTC"), pd.Timestamp(hi, tz="UTC")


def day_horizon(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The earliest and latest calendar day (dates such as expiries) the store accepts."""
    today = today or dt.date.today()
    try:
        hi = today.replace(year=today.year + HORIZON_YEARS)
    except ValueError:  # 29 February
        hi = today.replace(year=today.year + HORIZON_YEARS, day=28)
    return EARLIEST_DAY, hi


def validate_market_frame(
    frame: pd.DataFrame, kind: FrameKind, *, symbol: str | None = None
) -> ValidatedFrame:
    """Split a canonical market frame into rows fit to store and refused rows with reasons.

    Parameters
    ----------
    frame
        A canonical chain, quote or candle frame (:mod:`optionsintel.frames`).
    kind
        Which canonical shape ``frame`` has.
    symbol
        The underlying (or candle symbol) that was asked for; rows naming another are
        refused (a source answering for the wrong instrument).

    Returns
    -------
    ValidatedFrame
        ``clean`` holds the accepted rows (numbers as float64, instants as UTC, expiries
        as naive dates); ``rejected`` the refused rows with a ``reason`` column.

    Notes
    -----
    Rules: numbers parse as numbers (``"1,234"`` does not), are finite and no larger than
    :data:`MAX_ABS_VALUE`; prices, strikes, quantities, volumes and open interest are not
    negative (a strike must be positive); instants and expiries lie within
    :func:`instant_horizon`; option types are CE/PE; every row names its provider; a
    contract appears once per snapshot (every copy of a repeated one is refused: which
    copy is right is unknowable). Missing values (NaN) are allowed: the store keeps the
    previously stored value instead of overwriting it with NULL.
    """
    out = frame.reset_index(drop=True).copy()
    reasons = pd.Series("", index=out.index, dtype=object)

    def refuse(mask: pd.Series | np.ndarray, why: str) -> None:
        mask = pd.Series(np.asarray(mask, dtype=bool), index=out.index)
        reasons[mask] = reasons[mask] + why + "; "

    missing = [c for c in _COLUMNS[kind] if c not in out.columns and c != "ingested_at"]
    if missing:
        refuse(np.ones(len(out), bool), f"missing columns {missing}")
    else:
        _check_numbers(out, kind, refuse)
        _check_times(out, refuse)
        _check_labels(out, kind, symbol, refuse)
    bad = reasons != ""
    rejected = frame.reset_index(drop=True).loc[bad].assign(reason=reasons[bad].str.rstrip("; "))
    return ValidatedFrame(out.loc[~bad].reset_index(drop=True), rejected.reset_index(drop=True))


def _check_numbers(out: pd.DataFrame, kind: FrameKind, refuse) -> None:  # type: ignore[no-untyped-def]
    for c in _NUMERIC[kind]:
        raw = out[c]
        num = pd.to_numeric(raw, errors="coerce").astype("float64")
        refuse(raw.notna() & num.isna(), f"{c} is not a number")
        refuse(np.isinf(num) | (num.abs() > MAX_ABS_VALUE), f"{c} is not a finite market value")
        if c in _NON_NEGATIVE[kind]:
            refuse(num < 0, f"{c} is negative")
        out[c] = num
    if kind == "chain":
        refuse(out["strike"].isna() | (out["strike"] <= 0), "strike is not positive")


def _check_times(out: pd.DataFrame, refuse) -> None:  # type: ignore[no-untyped-def]
    lo, hi = instant_horizon()
    for c in (c for c in _INSTANTS if c in out.columns):
        ts = _instants(out[c])
        refuse(out[c].notna() & ts.isna(), f"{c} is not a timestamp")
        refuse((ts < lo) | (ts > hi), f"{c} is outside {lo:%Y-%m-%d}..{hi:%Y-%m-%d}")
        out[c] = ts
    if "expiry" in out.columns:
        day = pd.to_datetime(out["expiry"], errors="coerce", format="mixed")
        day = day.dt.tz_localize(None) if day.dt.tz is not None else day
        refuse(day.isna(), "expiry is not a date")
        refuse((day < lo.tz_localize(None)) | (day > hi.tz_localize(None)), "expiry is outside "
               f"{lo:%Y-%m-%d}..{hi:%Y-%m-%d}")  # fmt: skip
        out["expiry"] = day.dt.normalize()


def _instants(values: pd.Series) -> pd.Series:
    """Instants as UTC; naive values are IST; numbers (epoch seconds) are not instants."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC")
    if pd.api.types.is_datetime64_dtype(values):
        return values.dt.tz_localize(EXCHANGE_TZ).dt.tz_convert("UTC")
    return pd.Series([_one_instant(v) for v in values], index=values.index,
                     dtype="datetime64[ns, UTC]")  # fmt: skip


def _one_instant(value: object) -> pd.Timestamp:
    if value is None or isinstance(value, bool | int | float | np.number) or pd.isna(value):
        return pd.NaT
    try:
        ts = pd.Timestamp(value)  # type: ignore[arg-type]
    except (ValueError, TypeError, OverflowError):
        return pd.NaT
    return ts.tz_localize(EXCHANGE_TZ).tz_convert("UTC") if ts.tzinfo is None else ts


def _check_labels(out: pd.DataFrame, kind: FrameKind, symbol: str | None, refuse) -> None:  # type: ignore[no-untyped-def]
    name = _SYMBOL[kind]
    if symbol is not None:
        refuse(out[name].astype(str) != symbol, f"{name} is not {symbol}")
    provider = out["provider"]
    refuse(provider.isna() | (provider.astype(str).str.strip() == ""), "provider is missing")
    if kind == "chain":
        refuse(~out["option_type"].isin(["CE", "PE"]), "option_type is not CE/PE")
        key: Sequence[str] = ["provider", "snapshot_ts", *CHAIN_KEY]
        refuse(out.duplicated(list(key), keep=False), "contract repeated within a snapshot")
