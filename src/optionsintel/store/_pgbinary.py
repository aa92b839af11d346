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


_Encoded = tuple[np.ndarray, np.ndarray | tuple[np.ndarray, list[bytes]], np.ndarray | None]


def _encode_column(col: sa.Column, values: pd.Series) -> _Encoded:
    """Return (null mask, encoded values, text lengths or None) for one column.

    Text comes back as (codes, encoded distinct values): a group of rows then takes its
    fixed-width bytes from the few distinct values instead of converting every row.
    """
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
        encoded = [str(u).encode() for u in uniques] + [b""]  # code -1 (NULL) picks b""
        lengths = np.array([len(b) for b in encoded], dtype=np.int64)[codes]
        return isnull, (codes, encoded), lengths
    raise TooManyLayoutsError(f"no binary encoder for {col.name} ({t})")


def encode(
    table: sa.Table, frame: pd.DataFrame, max_layouts: int = 64, *, conformed: bool = False
) -> bytes:
    """Encode ``frame`` (columns a subset of ``table``'s, in order) as binary COPY data.

    ``conformed=True`` skips :func:`~optionsintel.store._coerce.conform` for a frame that
    already went through it (``bulk.prepare_frame``); see :func:`encode_parts`.

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
    return b"".join(encode_parts(table, frame, max_layouts, conformed=conformed))


def encode_parts(
    table: sa.Table, frame: pd.DataFrame, max_layouts: int = 64, *, conformed: bool = False
) -> list[bytes | memoryview]:
    """:func:`encode` as consecutive pieces (header, one per layout, trailer).

    Written to COPY one after the other, they need no concatenated copy of the payload.
    """
    if not conformed:
        frame = conform(table, frame)
    encoded = [_encode_column(table.c[c], frame[c]) for c in frame.columns]
    sig = {f"n{i}": e[0] for i, e in enumerate(encoded)}
    sig |= {f"l{i}": e[2] for i, e in enumerate(encoded) if e[2] is not None}
    first = {k: (v[0] if len(v) else 0) for k, v in sig.items()}
    # only the signature fields that vary are grouped on (usually one text length or none)
    varying = {k: v for k, v in sig.items() if len(v) and (v != v[0]).any()}
    if varying:
        groups = pd.DataFrame(varying).groupby(list(varying), sort=False).indices
    else:
        groups = {(): np.arange(len(frame))}
    if len(groups) > max_layouts:
        raise TooManyLayoutsError(f"{len(groups)} row layouts")
    parts: list[bytes | memoryview] = [HEADER]
    for key, rows in groups.items():
        layout = first | dict(zip(varying, key if isinstance(key, tuple) else (key,), strict=True))
        parts.append(_encode_group(encoded, layout, rows, whole=len(rows) == len(frame)))
    parts.append(TRAILER)
    return parts


def _encode_group(
    encoded: list[_Encoded], layout: dict, rows: np.ndarray, *, whole: bool
) -> memoryview:
    fields: list[tuple[str, str]] = [("n", ">i2")]
    for i, (_, values, lengths) in enumerate(encoded):
        fields.append((f"l{i}", ">i4"))
        if layout[f"n{i}"] or (lengths is not None and int(layout[f"l{i}"]) == 0):
            continue  # NULL or empty text: the length says it all
        assert isinstance(values, np.ndarray) or lengths is not None
        fmt = f"S{int(layout[f'l{i}'])}" if lengths is not None else values.dtype.str  # type: ignore[union-attr]
        fields.append((f"v{i}", fmt))
    out = np.empty(len(rows), dtype=np.dtype(fields))
    out["n"] = len(encoded)
    for i, (_, values, lengths) in enumerate(encoded):
        if layout[f"n{i}"]:
            out[f"l{i}"] = -1
            continue
        if lengths is not None:
            width = int(layout[f"l{i}"])
            out[f"l{i}"] = width
            if width:
                codes, distinct = values  # type: ignore[misc]
                out[f"v{i}"] = np.array(distinct, dtype=f"S{width}")[
                    codes if whole else codes[rows]
                ]
            continue
        out[f"l{i}"] = values.dtype.itemsize  # type: ignore[union-attr]
        out[f"v{i}"] = values if whole else values[rows]  # type: ignore[index]
    return memoryview(out.view(np.uint8))  # type: ignore[arg-type]  # no copy: COPY reads the buffer as it is
