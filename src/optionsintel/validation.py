"""The validation boundary: what a stored market row may hold, as pure functions over frames.

This module owns the row rules and their constants; every layer that checks market rows
uses them:

* the store refuses a whole write whose values cannot be stored faithfully (wrong types,
  overflowing integers, instants outside :func:`instant_horizon`), raising
  :class:`~optionsintel.errors.FrameValidationError` and keeping nothing;
* the provider boundary (:func:`optionsintel.providers.quarantine.validate_snapshot`, called
  by the collection loop) runs :func:`validate_market_frame` on each answer's quote and
  chain, adding only what is about the snapshot as a whole (the window around the
  collection instant, the snapshot's trading day, refusing an untrustworthy quote), and
  stores the clean rows while recording the rejected ones with their reasons.

Horizon
-------
One rule for every stored date and instant, expiries included: from 1990-01-01 (before
NSE's founding in 1992, so no real market row precedes it) up to :data:`HORIZON_YEARS`
years after the day of the data (today unless a trading day is given). Ten years holds
NSE's longest-dated contracts (index options listed about five years out, to 2030 in
2025) with room for longer ones the exchange may add, so a real contract is never
quarantined because of a constant; it needs no holiday-calendar file to be current, and
it still refuses what this check is for: unit and parsing errors (``01-Jan-0001``,
``2099``, epoch seconds read as nanoseconds) that would create absurd partitions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Final, Literal, NamedTuple

import numpy as np
import pandas as pd

from optionsintel.frames import CANDLE_COLUMNS, CHAIN_COLUMNS, CHAIN_KEY, QUOTE_COLUMNS
from optionsintel.tz import EXCHANGE_TZ

EARLIEST_DAY: Final = dt.date(1990, 1, 1)
"""First calendar day a stored instant or date may fall on."""

HORIZON_YEARS: Final = 10
"""How many years after the data's day (default today) a stored instant or date may lie."""

MAX_ABS_VALUE: Final = 1e12
"""Largest magnitude accepted for a price, quantity or greek (1e308 is a parsing error)."""

FrameKind = Literal["chain", "quote", "candle"]
Window = tuple[pd.Timestamp, pd.Timestamp]

NON_NEGATIVE_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "chain": ("ltp", "bid", "ask", "bid_qty", "ask_qty", "volume", "oi", "iv",
              "underlying_price"),
    "quote": ("ltp", "open", "high", "low", "prev_close", "volume"),
    "candle": ("open", "high", "low", "close", "volume", "oi"),
}  # fmt: skip
"""Prices, quantities, volumes, OI and IV: never below zero (a strike must be > 0)."""

NUMERIC_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "chain": ("strike", *NON_NEGATIVE_COLUMNS["chain"], "oi_change", "delta", "gamma", "theta",
              "vega"),
    "quote": NON_NEGATIVE_COLUMNS["quote"],
    "candle": NON_NEGATIVE_COLUMNS["candle"],
}  # fmt: skip
"""Columns that must hold finite numbers within :data:`MAX_ABS_VALUE` (or be missing)."""

REPEATED: Final = "contract repeated within a snapshot"
"""Reason of every copy of a contract given twice with different values."""
DUPLICATED: Final = "duplicated contract (first one kept)"
"""Reason of a later, identical copy of a contract row."""

_COLUMNS: Final = {"chain": CHAIN_COLUMNS, "quote": QUOTE_COLUMNS, "candle": CANDLE_COLUMNS}
_SYMBOL: Final = {"chain": "underlying", "quote": "underlying", "candle": "symbol"}
_INSTANTS: Final = ("snapshot_ts", "exchange_ts", "ts")  # the source's; ingested_at is ours
_REQUIRED: Final = {"chain": (*CHAIN_KEY, "provider"), "quote": ("underlying", "provider"),
                    "candle": ("symbol", "ts", "provider")}  # fmt: skip
_DUPLICATE_KEY: Final = ("provider", "snapshot_ts", *CHAIN_KEY)

Refuse = Callable[[pd.Series | np.ndarray, "str | pd.Series"], None]


class ValidatedFrame(NamedTuple):
    """Result of :func:`validate_market_frame`: rows to store and rows refused."""

    clean: pd.DataFrame
    """The accepted rows, numbers as float64, instants as UTC, expiries as naive dates."""
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
    """The earliest and latest calendar day (dates such as expiries) the store accepts.

    >>> day_horizon(dt.date(2025, 7, 17))[1]  # NSE's 2030 index options are inside
    datetime.date(2035, 7, 17)
    """
    today = today or dt.date.today()
    try:
        hi = today.replace(year=today.year + HORIZON_YEARS)
    except ValueError:  # 29 February
        hi = today.replace(year=today.year + HORIZON_YEARS, day=28)
    return EARLIEST_DAY, hi


def expiry_horizon(day: dt.date) -> dt.date:
    """The last expiry accepted for data of ``day`` (see the module's Horizon section)."""
    return day_horizon(day)[1]


def validate_market_frame(
    frame: pd.DataFrame,
    kind: FrameKind,
    *,
    symbol: str | None = None,
    window: Window | None = None,
    trading_day: dt.date | None = None,
    partial: bool = False,
) -> ValidatedFrame:
    """Split a canonical market frame into rows fit to store and refused rows with reasons.

    Parameters
    ----------
    frame
        A canonical chain, quote or candle frame (:mod:`optionsintel.frames`).
    kind
        Which canonical shape ``frame`` has.
    symbol
        The underlying (or candle symbol) that was asked for, any case; rows naming
        another (or the same in another case) are refused (a source answering for the
        wrong instrument).
    window
        Optional ``(earliest, latest)`` aware instants the source timestamps
        (``snapshot_ts``, ``exchange_ts``, ``ts``) must also lie in: a live answer's
        time must be near the collection instant.
    trading_day
        The data's trading day (IST), if known: expiries before it are refused (an
        expired contract is not quoted) and the horizon counts from it, not from today.
    partial
        Accept a frame without some non-key columns (a source that does not publish a
        field): they are checked as missing values and stay absent from ``clean``.
        Otherwise a missing canonical column refuses every row.

    Returns
    -------
    ValidatedFrame
        ``clean`` holds the accepted rows (numbers as float64, instants as UTC, expiries
        as naive dates); ``rejected`` the refused rows as given, with a ``reason`` column
        listing every failed rule, ``"; "``-separated, in the order below.

    Notes
    -----
    Rules: the row names the requested ``symbol``, its provider, and (chains) an
    ``option_type`` of CE/PE; numbers parse as numbers (``"1,234"`` does not), are finite
    and no larger than :data:`MAX_ABS_VALUE`; the :data:`NON_NEGATIVE_COLUMNS` are not
    negative and a strike is present and > 0; an expiry is a date within the horizon
    (and not before ``trading_day``); source instants lie within :func:`instant_horizon`
    and ``window``. Then, among the rows that passed, a contract (provider, snapshot,
    underlying, expiry, strike, type) given twice keeps its first copy when the copies
    are identical and refuses every copy when they differ (which one is right is
    unknowable). Missing values (NaN) are allowed elsewhere: the store keeps the
    previously stored value instead of overwriting it with NULL.
    """
    out = frame.reset_index(drop=True).copy()
    reasons = np.full(len(out), "", dtype=object)
    absent = [c for c in _COLUMNS[kind] if c not in out.columns and c != "ingested_at"]
    missing = [c for c in absent if not partial or c in _REQUIRED[kind]]
    out = out.assign(**{c: np.nan for c in absent if c not in missing})

    def refuse(mask: pd.Series | np.ndarray, why: str | pd.Series) -> None:
        hit = np.asarray(mask, dtype=bool)
        if hit.any():  # most rules hit no row: skip the work
            add = why.to_numpy(dtype=object)[hit] if isinstance(why, pd.Series) else why
            reasons[hit] = reasons[hit] + add + "; "

    if missing:
        refuse(np.ones(len(out), bool), f"missing columns {missing}")
    else:
        _check_labels(out, kind, symbol, refuse)
        _check_numbers(out, kind, refuse)
        if "expiry" in out.columns:
            _check_expiry(out, trading_day, refuse)
        _check_instants(out, window, refuse)
        if kind == "chain":
            _check_repeats(out, reasons)
    bad = reasons != ""
    rejected = frame.reset_index(drop=True).loc[bad].assign(reason=[r[:-2] for r in reasons[bad]])
    clean = out.loc[~bad, [c for c in out.columns if c in frame.columns]]
    return ValidatedFrame(clean.reset_index(drop=True), rejected.reset_index(drop=True))


def _check_labels(out: pd.DataFrame, kind: FrameKind, symbol: str | None, refuse: Refuse) -> None:
    if symbol is not None:
        name, wanted = _SYMBOL[kind], symbol.upper()
        given = out[name].astype(object).astype(str)
        refuse(given != wanted, f"{name} " + given + f" is not the requested {wanted}")
    provider = out["provider"]
    refuse(provider.isna() | (provider.astype(str).str.strip() == ""), "provider is missing")
    if kind == "chain":
        refuse(~out["option_type"].isin(["CE", "PE"]), "option_type is not CE or PE")


def _check_numbers(out: pd.DataFrame, kind: FrameKind, refuse: Refuse) -> None:
    for c in NUMERIC_COLUMNS[kind]:
        raw = out[c]
        if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
            num = raw.astype("float64")
        else:  # text, objects, booleans: parse one by one, refusing what is not a number
            num = pd.to_numeric(raw.astype(object), errors="coerce").astype("float64")
        refuse(raw.notna() & num.isna(), f"{c} is not a number")
        if c == "strike":
            refuse(raw.isna(), "strike is missing")
            refuse(num <= 0, "strike is not > 0")
        refuse(np.isinf(num), f"{c} is not finite")
        refuse(np.isfinite(num) & (num.abs() > MAX_ABS_VALUE), f"{c} is beyond {MAX_ABS_VALUE:g}")
        if c in NON_NEGATIVE_COLUMNS[kind]:
            refuse(num < 0, f"{c} is negative")
        out[c] = num


def _check_expiry(out: pd.DataFrame, trading_day: dt.date | None, refuse: Refuse) -> None:
    day = _dates(out["expiry"])
    refuse(day.isna(), "expiry is missing or not a date")
    lo, hi = day_horizon(trading_day)
    if trading_day is not None:
        refuse(day < pd.Timestamp(trading_day), f"expiry is before the day {trading_day}")
    refuse(day < pd.Timestamp(lo), f"expiry is before {lo}")
    refuse(day > pd.Timestamp(hi), f"expiry is beyond the horizon {hi}")
    out["expiry"] = day


def _dates(values: pd.Series) -> pd.Series:
    """Calendar days as naive midnights; aware values are read on the IST calendar."""
    try:
        day = pd.to_datetime(values, errors="coerce", format="mixed")
    except (ValueError, TypeError):  # naive and aware mixed: one by one
        day = pd.to_datetime(_instants(values), errors="coerce")
    if getattr(day.dt, "tz", None) is not None:
        day = day.dt.tz_convert(EXCHANGE_TZ).dt.tz_localize(None)
    return day.dt.normalize()


def _check_instants(out: pd.DataFrame, window: Window | None, refuse: Refuse) -> None:
    lo, hi = instant_horizon()
    if window is not None:
        lo, hi = max(lo, window[0]), min(hi, window[1])
    span = f"{lo:%Y-%m-%d %H:%M} to {hi:%Y-%m-%d %H:%M} UTC"
    for c in (c for c in _INSTANTS if c in out.columns):
        ts = _instants(out[c])
        refuse(out[c].notna() & ts.isna(), f"{c} is not a timestamp")
        refuse((ts < lo) | (ts > hi), f"{c} is outside {span}")
        out[c] = ts


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
        return ts.tz_localize(EXCHANGE_TZ).tz_convert("UTC") if ts.tzinfo is None else ts
    except (ValueError, TypeError, OverflowError):
        return pd.NaT


def _check_repeats(out: pd.DataFrame, reasons: np.ndarray) -> None:
    """Mark repeated contracts among the rows that passed every other rule."""
    key: Sequence[str] = list(_DUPLICATE_KEY)
    good = out.loc[reasons == ""]
    if good.empty:
        return
    values = [c for c in good.columns if c != "ingested_at"]  # our own stamp, not the data
    distinct = good.drop_duplicates(values)
    differing = distinct.loc[distinct.duplicated(key, keep=False), key]
    conflict = pd.MultiIndex.from_frame(good[key]).isin(pd.MultiIndex.from_frame(differing))
    copy = good.duplicated(values, keep="first").to_numpy() & ~conflict
    reasons[good.index[conflict]] = REPEATED + "; "  # index is 0..n-1: positions
    reasons[good.index[copy]] = DUPLICATED + "; "
