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


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` as JSON-ready dicts (see the module docstring)."""
    if frame.empty:
        return []
    out = pd.DataFrame(index=frame.index)
    for c in frame.columns:
        col = frame[c]
        if isinstance(col.dtype, pd.DatetimeTZDtype):
            local = col.dt.tz_convert(EXCHANGE_TZ)
            out[c] = [None if pd.isna(v) else v.isoformat() for v in local]
        elif pd.api.types.is_datetime64_dtype(col.dtype):  # store dates come back naive
            out[c] = [None if pd.isna(v) else v.date().isoformat() for v in col]
        elif pd.api.types.is_float_dtype(col.dtype):
            vals = col.to_numpy(dtype=float)
            out[c] = np.where(np.isfinite(vals), vals, None)
        else:
            out[c] = col.astype(object).where(col.notna(), None)
    return out.to_dict(orient="records")


def row(values: dict[str, Any]) -> dict[str, Any]:
    """One record (an account row, a key listing) with its instants as IST ISO strings."""
    return {k: iso(v) if isinstance(v, dt.date | pd.Timestamp) else v for k, v in values.items()}
