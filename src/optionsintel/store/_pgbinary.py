"""Vectorised encoder of PostgreSQL's binary COPY format for pandas frames.

Why: formatting floats and timestamps as CSV text costs ~50 µs per row in pandas, which
dominates a 10k-row snapshot write. Binary COPY needs no formatting, but each field is
length-prefixed, so rows differ in layout when a value is NULL or a text has another
length. Rows are therefore grouped by *layout signature* (which fields are NULL, how long
each text is); within a group every row has the same layout and is written in one go as
a NumPy structured array. Market data has a handful of signatures per frame; frames
with many (free-form JSON) are rejected with :class:`TooManyLayoutsError` and the caller
falls back to CSV.

Format reference: PostgreSQL documentation, "COPY — Binary Format".
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa

from optionsintel.store._coerce import conform

HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
TRAILER = (-1).to_bytes(2, "big", signed=True)
_PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01 in µs since 1970-01-01
_PG_EPOCH_DAYS = 10_957


class TooManyLayoutsError(Exception):
    """The frame has too many distinct row layouts for the vectorised encoder."""


def _encode_column(
    col: sa.Column, values: pd.Series
) -> tuple[np.ndarray, np.ndarray | str, np.ndarray | None]:
    """Return (null mask, encoded values, text lengths or None) for one column."""
    t = col.type
    isnull = values.isna().to_numpy()
    if isinstance(t, sa.Float):
        return isnull, values.to_numpy(dtype="float64", na_value=np.nan).astype(">f8"), None
    if isinstance(t, sa.SmallInteger):
        return isnull, values.fillna(0).to_numpy(dtype="int64").astype(">i2"), None
    if isinstance(t, sa.BigInteger):
        return isnull, values.fillna(0).to_numpy(dtype="int64").astype(">i8"), None
    if isinstance(t, sa.Integer):
        return isnull, values.fillna(0).to_numpy(dtype="int64").astype(">i4"), None
    if isinstance(t, sa.Boolean):
        return isnull, values.fillna(False).to_numpy(dtype=bool).astype("u1"), None
    if isinstance(t, sa.DateTime):
        ts = pd.to_datetime(values, utc=True)
        us = ts.astype("datetime64[us, UTC]").to_numpy(dtype="datetime64[us]").astype("int64")
        return isnull, (us - _PG_EPOCH_US).astype(">i8"), None
    if isinstance(t, sa.Date):
        days = pd.to_datetime(values).to_numpy(dtype="datetime64[D]").astype("int64")
        return isnull, (days - _PG_EPOCH_DAYS).astype(">i4"), None
    if isinstance(t, sa.String | sa.Text):
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        encoded_uniques = np.array([str(u).encode() for u in uniques] + [b""], dtype=object)
        raw = encoded_uniques[codes]  # code -1 (NULL) picks the trailing b""
        lengths = np.array([len(b) for b in encoded_uniques], dtype=np.int64)[codes]
        return isnull, raw, lengths
    raise TooManyLayoutsError(f"no binary encoder for {col.name} ({t})")


def encode(table: sa.Table, frame: pd.DataFrame, max_layouts: int = 64) -> bytes:
    """Encode ``frame`` (columns a subset of ``table``'s, in order) as binary COPY data.

    Raises
    ------
    TooManyLayoutsError
        When rows fall into more than ``max_layouts`` layouts or a column type has no
        binary encoder (JSONB); use text COPY instead.
    FrameValidationError
        When a value would not be stored exactly (an integer overflowing its column, a
        fraction or text in an integer column, text in a boolean one...): NumPy's casts
        below would wrap or truncate it silently.
    """
    frame = conform(table, frame)  # idempotent: bulk.prepare_frame already conformed it
    cols = [table.c[c] for c in frame.columns]
    encoded = [_encode_column(c, frame[c.name]) for c in cols]
    sig = pd.DataFrame(
        {f"n{i}": e[0] for i, e in enumerate(encoded)}
        | {f"l{i}": e[2] for i, e in enumerate(encoded) if e[2] is not None}
    )
    groups = sig.groupby(list(sig.columns), sort=False).indices
    if len(groups) > max_layouts:
        raise TooManyLayoutsError(f"{len(groups)} row layouts")
    keys = list(sig.columns)
    parts = [HEADER]
    for key, rows in groups.items():
        layout = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
        parts.append(_encode_group(encoded, layout, rows))
    parts.append(TRAILER)
    return b"".join(parts)


def _encode_group(encoded, layout: dict, rows: np.ndarray) -> bytes:  # type: ignore[no-untyped-def]
    fields: list[tuple[str, str]] = [("n", ">i2")]
    for i, (_, values, lengths) in enumerate(encoded):
        fields.append((f"l{i}", ">i4"))
        if layout[f"n{i}"]:
            continue
        fmt = f"S{int(layout[f'l{i}'])}" if lengths is not None else values.dtype.str
        fields.append((f"v{i}", fmt))
    out = np.empty(len(rows), dtype=np.dtype(fields))
    out["n"] = len(encoded)
    for i, (_, values, lengths) in enumerate(encoded):
        if layout[f"n{i}"]:
            out[f"l{i}"] = -1
            continue
        width = int(layout[f"l{i}"]) if lengths is not None else values.dtype.itemsize
        out[f"l{i}"] = width
        out[f"v{i}"] = values[rows].astype(f"S{width}") if lengths is not None else values[rows]
    return out.tobytes()
