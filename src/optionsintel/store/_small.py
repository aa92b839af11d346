"""A small frame's values for one ``INSERT``, without pandas' per-column machinery.

Why: an outbox append (an alert from a tick, a delivery record, a feed item) is one to a
few rows, and :func:`optionsintel.store.bulk.prepare_frame` (column selection,
:func:`~optionsintel.store._coerce.conform`, key checks, JSON serialisation) followed by
:func:`optionsintel.store.records._python_values` spent ~2.5 ms of pandas calls on them,
more than the database round trips of the whole transaction.

:func:`small_values` returns the values those two functions give, for any table and any
frame, **or None**: it handles a column only when its dtype and values leave no room for
interpretation (text of ``str``, JSON of anything, float64, integer and bool dtypes,
timestamp dtypes), and declines everything else (object-typed instants, numbers in text
form, dates, nullable extension dtypes, missing or null or repeated keys, partitioned
tables, out-of-horizon instants). The caller then takes the pandas path, which either
stores the same values or raises its usual, specific error. Equality with the pandas
path is pinned by ``tests/store/test_small_values.py`` (every column type, every dtype,
values that must be declined).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from optionsintel.frames import json_text
from optionsintel.store._coerce import _INT_BOUNDS
from optionsintel.store.schema import PARTITIONED_TABLES, natural_key
from optionsintel.tz import EXCHANGE_TZ
from optionsintel.validation import instant_horizon

_UTC = dt.UTC


class _Decline(Exception):  # noqa: N818 (control flow, never raised to callers)
    """The pandas path decides this column (it stores the same or raises its error)."""


def small_values(
    table: sa.Table, frame: pd.DataFrame, max_values: int
) -> tuple[list[str], list[list[Any]]] | None:
    """The INSERT's columns and per-column values of ``frame``, or None (take pandas' path).

    Parameters
    ----------
    table
        Target table of :mod:`optionsintel.store.schema`.
    frame
        The rows given to the append.
    max_values
        Largest rows x columns handled here.

    Returns
    -------
    (columns, values) or None
        ``columns`` as :func:`~optionsintel.store.bulk.prepare_frame` selects them (table
        order), ``values[i]`` the Python values of column ``i``, None for NULL, exactly as
        ``_python_values`` gives them from the prepared frame.
    """
    if table.name in PARTITIONED_TABLES or not frame.columns.is_unique or not len(frame):
        return None
    present = set(frame.columns)
    cols = [c.name for c in table.columns if c.name in present]
    key = natural_key(table)
    if len(frame) * len(cols) > max_values or any(k not in present for k in key):
        return None
    try:
        values = [_column(table.c[c], frame[c]) for c in cols]
    except _Decline:
        return None
    keyed = [values[cols.index(k)] for k in key]
    if any(v is None for column in keyed for v in column):
        return None  # null keys: the pandas path names the rows
    if len(set(zip(*keyed, strict=True))) < len(frame):
        return None  # repeated keys: the pandas path names one
    return cols, values


def _column(col: sa.Column[Any], series: pd.Series) -> list[Any]:
    t, dtype = col.type, series.dtype
    if isinstance(t, JSONB):  # the same serialisation as prepare_frame, whatever the dtype
        if col.primary_key:
            raise _Decline
        return [json_text(v) for v in series]
    if isinstance(t, sa.DateTime):
        return _instants(series)
    if isinstance(t, sa.String) and (
        dtype == np.dtype(object) or isinstance(dtype, pd.StringDtype)
    ):
        return _texts(series)
    if not isinstance(dtype, np.dtype):  # nullable and other extension dtypes
        raise _Decline
    if isinstance(t, sa.Boolean):
        if dtype != np.bool_:
            raise _Decline
        return series.to_numpy().tolist()
    if isinstance(t, sa.Integer):
        if dtype.kind not in "iu":
            raise _Decline
        lo, hi = next(b for k, b in _INT_BOUNDS.items() if isinstance(t, k))
        out = series.to_numpy().tolist()
        if any(not lo <= v <= hi for v in out):
            raise _Decline
        return out
    if isinstance(t, sa.Float):
        if dtype != np.float64:
            raise _Decline
        return [None if v != v else v for v in series.to_numpy().tolist()]
    raise _Decline  # dates, binary, text in other dtypes


def _texts(series: pd.Series) -> list[Any]:
    """``str`` values as they are; None, NaN and NA are NULL; anything else declines."""
    out = series.to_list()
    for i, v in enumerate(out):
        if type(v) is not str:
            if v is None or v is pd.NA or (type(v) is float and v != v):
                out[i] = None
            else:
                raise _Decline  # str(v) of an object: the pandas path decides
    return out


def _instants(series: pd.Series) -> list[Any]:
    """UTC datetimes at microsecond precision; naive values are IST wall time."""
    dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        arr = series.array  # epoch integers are UTC whatever the zone
    elif isinstance(dtype, np.dtype) and dtype.kind == "M":
        arr = series.dt.tz_localize(EXCHANGE_TZ).array
    else:
        raise _Decline
    to_ns = _TO_NS.get(arr.unit)
    if to_ns is None:
        raise _Decline
    lo, hi = (t.value for t in instant_horizon())  # nanoseconds
    out: list[Any] = []
    for v in arr.asi8.tolist():
        if v == _NAT:
            out.append(None)
            continue
        ns = v * to_ns
        if not lo <= ns <= hi:
            raise _Decline
        out.append(_EPOCH + dt.timedelta(microseconds=ns // 1000))  # > 1990: floor = trunc
    return out


_TO_NS = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}
_NAT = np.iinfo(np.int64).min
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=_UTC)
