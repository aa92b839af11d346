"""Frames to JSON-ready records: instants in IST with their offset, dates as ISO dates.

Timestamps are stored in UTC and shown on the exchange's clock (``+05:30``), so a
client never has to guess a zone; NaN becomes null.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd

from optionsintel.tz import EXCHANGE_TZ


def iso(value: Any) -> str | None:
    """An instant as ISO 8601 in IST with offset, a date as ``YYYY-MM-DD``; None for null."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return ts.tz_convert(EXCHANGE_TZ).isoformat()


def iso_column(col: pd.Series) -> np.ndarray:
    """ISO strings of a tz-aware column on the exchange's clock, vectorised (None for NaT).

    The wall time is formatted by NumPy in one pass; the offset is appended per distinct
    offset (IST has one, +05:30), so no Python call per element.
    """
    utc = col.dt.tz_convert("UTC").dt.tz_localize(None)
    wall = col.dt.tz_convert(EXCHANGE_TZ).dt.tz_localize(None)
    micro = wall.to_numpy(dtype="datetime64[us]")
    # isoformat() leaves out the fraction of whole seconds; so do we, element by element.
    text = np.datetime_as_string(micro, unit="us")
    whole = micro.astype("int64") % 1_000_000 == 0
    text[whole] = np.datetime_as_string(micro[whole], unit="s")
    offsets = (wall - utc).dt.total_seconds().to_numpy()
    out = np.empty(len(col), dtype=object)
    for off in np.unique(offsets[~np.isnan(offsets)]):
        sign, mins = ("+" if off >= 0 else "-"), int(abs(off)) // 60
        where = offsets == off
        out[where] = np.char.add(text[where], f"{sign}{mins // 60:02d}:{mins % 60:02d}")
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
    return [None if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in col]


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
