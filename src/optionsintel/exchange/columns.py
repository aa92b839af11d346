"""Column kinds and the conversion of frames to typed Arrow tables (the exports' common form).

A *kind* names how a column is written and read back: ``str``, ``float``, ``int``, ``bool``,
``date`` (a calendar day), ``timestamp`` (an instant, UTC) or ``json`` (dicts and lists).
Kinds come from the store's schema for data sets, or are inferred from a frame.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal, TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa

from optionsintel.frames import json_text
from optionsintel.tz import EXCHANGE_TZ

Kind: TypeAlias = Literal["str", "float", "int", "bool", "date", "timestamp", "json"]
_NS_PER_DAY = 86_400_000_000_000

ARROW_TYPES: dict[str, pa.DataType] = {
    "str": pa.string(), "float": pa.float64(), "int": pa.int64(), "bool": pa.bool_(),
    "date": pa.date32(), "timestamp": pa.timestamp("us", tz="UTC"), "json": pa.string(),
}  # fmt: skip


def infer_kinds(frame: pd.DataFrame) -> dict[str, Kind]:
    """The kind of every column of ``frame`` (naive all-midnight datetimes are dates)."""
    return {str(c): _infer(frame[c]) for c in frame.columns}


def _infer(s: pd.Series) -> Kind:
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        return "timestamp"
    if pd.api.types.is_datetime64_dtype(s.dtype):
        ns = s.dropna().to_numpy(dtype="datetime64[ns]").view("i8")
        return "date" if bool((ns % _NS_PER_DAY == 0).all()) else "timestamp"
    if pd.api.types.is_bool_dtype(s.dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(s.dtype):
        return "int"
    if pd.api.types.is_float_dtype(s.dtype):
        return "float"
    first = next((v for v in s if v is not None and not _is_nan(v)), None)
    if isinstance(first, dict | list):
        return "json"
    if isinstance(first, pd.Timestamp):
        return "timestamp"
    return "str"


def _is_nan(v: Any) -> bool:
    return isinstance(v, float) and v != v


def arrow_schema(kinds: Mapping[str, str]) -> pa.Schema:
    """The Arrow schema of columns of the given kinds."""
    return pa.schema([(name, ARROW_TYPES[kind]) for name, kind in kinds.items()])


def to_arrow(frame: pd.DataFrame, kinds: Mapping[str, str]) -> pa.Table:
    """``frame`` as an Arrow table typed by ``kinds`` (JSON columns become JSON text).

    Naive datetimes are exchange time (IST), as everywhere in optionsintel. Large frames are
    converted a column per worker thread (NumPy and Arrow release the GIL; the same function
    per column, so the same table: 0.050 -> 0.030 s for 1M chain rows on 2 cores).
    """
    columns = [(frame[name], kind) for name, kind in kinds.items()]  # the frame read here only
    if len(frame) >= PARALLEL_ROWS and len(columns) > 1:
        arrays = list(worker_pool().map(lambda c: _arrow_column(*c), columns))
    else:
        arrays = [_arrow_column(s, kind) for s, kind in columns]
    return pa.Table.from_arrays(arrays, schema=arrow_schema(kinds))


#: Rows from which a conversion or a CSV chunk is shared among worker threads.
PARALLEL_ROWS = 50_000
WORKERS = max(2, min(8, os.cpu_count() or 2))
_POOL: list[ThreadPoolExecutor] = []
_POOL_LOCK = threading.Lock()


def worker_pool() -> ThreadPoolExecutor:
    """The exchange's worker threads (Arrow conversions, CSV slices); never nest its tasks.

    One pool per process, made on first use (exports running side by side share it).
    """
    with _POOL_LOCK:
        if not _POOL:
            _POOL.append(ThreadPoolExecutor(WORKERS, thread_name_prefix="oi-exchange"))
        return _POOL[0]


def utc_series(s: pd.Series) -> pd.Series:
    """Instants as UTC; naive values are exchange time (IST)."""
    ts = pd.to_datetime(s)
    if ts.dt.tz is None:
        ts = ts.dt.tz_localize(EXCHANGE_TZ)
    return ts.dt.tz_convert("UTC")


def _arrow_column(s: pd.Series, kind: str) -> pa.Array:
    if kind == "json":
        return pa.array([None if v is None else json_text(v) for v in s],
                        pa.string())  # fmt: skip
    if kind == "timestamp":
        return pa.array(utc_series(s), ARROW_TYPES["timestamp"])
    if kind == "date":
        days = pd.to_datetime(s).to_numpy(dtype="datetime64[D]")
        return pa.array(days, pa.date32(), mask=np.isnat(days))
    if kind == "str":
        if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object:
            return pa.array(s, pa.string(), from_pandas=True)
        return pa.array(s.astype(object).where(s.notna(), None), pa.string())
    if kind == "float" and s.dtype == np.float64:
        values = s.to_numpy()
        if not np.isnan(values).any():  # no missing value: Arrow takes the buffer as it is
            return pa.array(values, pa.float64())
    return pa.array(s, ARROW_TYPES[kind], from_pandas=True)
