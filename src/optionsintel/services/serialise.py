"""Frames to JSON-ready records: instants in IST with their offset, dates as ISO dates.

Timestamps are stored in UTC and shown on the exchange's clock (``+05:30``), so a
client never has to guess a zone; NaN becomes null.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from optionsintel.tz import EXCHANGE_TZ

_IST = ZoneInfo(EXCHANGE_TZ)


def iso(value: Any) -> str | None:
    """An instant as ISO 8601 in IST with offset, a date as ``YYYY-MM-DD``; None for null."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    if type(value) is dt.datetime:  # a database row's instant: no pandas round trip
        aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        return aware.astimezone(_IST).isoformat()
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return ts.tz_convert(EXCHANGE_TZ).isoformat()


def iso_column(col: pd.Series) -> np.ndarray:
    """ISO strings of a tz-aware column on the exchange's clock, vectorised (None for NaT).

    The zone offset is looked up once per distinct instant (a chain has one or two), the
    wall times are formatted by NumPy in one pass, so there is no Python call per element.
    """
    utc = pd.DatetimeIndex(col).tz_convert("UTC").tz_localize(None).to_numpy("datetime64[us]")
    out = np.full(len(utc), None, dtype=object)
    known = ~np.isnat(utc)
    if not known.any():
        return out
    uniq, inverse = np.unique(utc[known], return_inverse=True)
    naive = pd.DatetimeIndex(uniq)
    local = naive.tz_localize("UTC").tz_convert(EXCHANGE_TZ).tz_localize(None)
    offset_us = (local - naive).to_numpy("timedelta64[us]")[inverse]
    wall = utc[known] + offset_us
    # isoformat() leaves out the fraction of whole seconds; so do we, element by element.
    text = np.datetime_as_string(wall, unit="us")
    whole = wall.astype("int64") % 1_000_000 == 0
    text[whole] = np.datetime_as_string(wall[whole], unit="s")
    minutes = offset_us.astype("int64") // 60_000_000
    suffix = np.array(
        [
            f"{'+' if m >= 0 else '-'}{abs(m) // 60:02d}:{abs(m) % 60:02d}"
            for m in np.unique(minutes)
        ]
    )
    out[known] = np.char.add(text, suffix[np.searchsorted(np.unique(minutes), minutes)])
    return out


def _column(col: pd.Series) -> np.ndarray | list[Any]:
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        return iso_column(col)
    if pd.api.types.is_datetime64_dtype(col.dtype):  # store dates come back naive
        days = np.datetime_as_string(col.to_numpy(dtype="datetime64[D]"), unit="D").astype(object)
        days[col.isna().to_numpy()] = None
        return days
    if pd.api.types.is_float_dtype(col.dtype):
        vals = col.to_numpy(dtype=float)
        out = vals.astype(object)
        out[~np.isfinite(vals)] = None
        return out
    if pd.api.types.is_integer_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
        return col.tolist()
    values = col.to_numpy(dtype=object).copy()  # strings (Arrow-backed too), JSON objects
    values[pd.isna(col).to_numpy()] = None
    return values


def _plain(values: np.ndarray | list[Any]) -> list[Any]:
    return values.tolist() if isinstance(values, np.ndarray) else values


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` as JSON-ready dicts (see the module docstring)."""
    if frame.empty:
        return []
    names = [str(c) for c in frame.columns]
    columns = [_plain(_column(frame[c])) for c in frame.columns]
    return [dict(zip(names, vals, strict=True)) for vals in zip(*columns, strict=True)]


def row(values: dict[str, Any]) -> dict[str, Any]:
    """One record (an account row, a key listing) with its instants as IST ISO strings."""
    return {k: iso(v) if isinstance(v, dt.date | pd.Timestamp) else v for k, v in values.items()}
