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

import hashlib
from collections.abc import Iterator

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
    if isinstance(t, sa.Float):
        floats = values.to_numpy(dtype="float64", na_value=np.nan)
        return np.isnan(floats), floats.astype(">f8"), None  # NaN is NULL, as isna() says
    isnull = values.isna().to_numpy()
    if isinstance(t, sa.SmallInteger):
        return isnull, values.fillna(0).to_numpy(dtype="int64").astype(">i2"), None
    if isinstance(t, sa.BigInteger):
        return isnull, values.fillna(0).to_numpy(dtype="int64").astype(">i8"), None
    if isinstance(t, sa.Integer):
        return isnull, values.fillna(0).to_numpy(dtype="int64").astype(">i4"), None
    if isinstance(t, sa.Boolean):
        return isnull, values.fillna(False).to_numpy(dtype=bool).astype("u1"), None
    if isinstance(t, sa.DateTime):
        return isnull, (_epoch_us(values) - _PG_EPOCH_US).astype(">i8"), None
    if isinstance(t, sa.Date):
        return isnull, (_epoch_days(values) - _PG_EPOCH_DAYS).astype(">i4"), None
    if isinstance(t, sa.String | sa.Text):
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        encoded = [str(u).encode() for u in uniques] + [b""]  # code -1 (NULL) picks b""
        lengths = np.array([len(b) for b in encoded], dtype=np.int64)[codes]
        return isnull, (codes, encoded), lengths
    raise TooManyLayoutsError(f"no binary encoder for {col.name} ({t})")


def _epoch_us(values: pd.Series) -> np.ndarray:
    """Microseconds since 1970-01-01 UTC of each instant (NaT: int64's minimum).

    Aware microsecond values are stored as exactly that (the zone only labels them):
    taken as they are, without the conversions (~0.2 ms per 10k-row column).
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype) and values.array.unit == "us":
        return values.array.asi8
    ts = pd.to_datetime(values, utc=True)
    return ts.astype("datetime64[us, UTC]").to_numpy(dtype="datetime64[us]").astype("int64")


def _epoch_days(values: pd.Series) -> np.ndarray:
    """Days since 1970-01-01 of each date (NaT: int64's minimum)."""
    if isinstance(values.dtype, np.dtype) and values.dtype.kind == "M":  # naive: as it is
        return values.to_numpy().astype("datetime64[D]").astype("int64")
    return pd.to_datetime(values).to_numpy(dtype="datetime64[D]").astype("int64")


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
    return list(Encoded(table, frame, max_layouts).parts(chunk_rows=len(frame) or 1))


class Encoded:
    """A conformed frame's columns encoded once: its digest and its COPY pieces.

    Raises
    ------
    TooManyLayoutsError, FrameValidationError
        As :func:`encode`, on construction (before anything is written).
    """

    def __init__(self, table: sa.Table, frame: pd.DataFrame, max_layouts: int = 64) -> None:
        self.names = list(frame.columns)
        self.rows = len(frame)
        self.columns = [_encode_column(table.c[c], values) for c, values in frame.items()]
        self.groups = _layout_groups(self.columns, self.rows, max_layouts)

    def digest(self, skip: frozenset[str] = frozenset()) -> bytes:
        """SHA-256 of every encoded value (names, NULL masks, values), ``skip`` left out.

        Equal digests mean equal COPY data for the columns hashed: the same rows in the
        same order.
        """
        h = hashlib.sha256(repr((self.rows, [c for c in self.names if c not in skip])).encode())
        for name, (isnull, values, _) in zip(self.names, self.columns, strict=True):
            if name in skip:
                continue
            h.update(np.packbits(isnull).tobytes())
            if isinstance(values, tuple):  # text: codes into the distinct values
                codes, distinct = values
                h.update(np.ascontiguousarray(codes, dtype=np.int64).data)
                h.update(repr(distinct).encode())
            else:
                h.update(np.ascontiguousarray(values).data)
        return h.digest()

    def parts(self, chunk_rows: int = 65_536) -> Iterator[bytes | memoryview]:
        """Header, the rows (one piece per layout and ``chunk_rows``), trailer; lazily.

        Encoded as they are consumed, so COPY can send one piece while the next is built.
        """
        yield HEADER
        for layout, rows in self.groups:
            whole = len(rows) == self.rows  # one layout: slices of the columns, no gather
            for lo in range(0, len(rows), chunk_rows):
                hi = min(lo + chunk_rows, len(rows))
                sel = slice(lo, hi) if whole else rows[lo:hi]
                yield _encode_group(self.columns, layout, sel, hi - lo)
        yield TRAILER


def _layout_groups(
    encoded: list[_Encoded], n_rows: int, max_layouts: int
) -> list[tuple[dict, np.ndarray]]:
    """(layout, row positions) for each distinct row layout."""
    sig = {f"n{i}": e[0] for i, e in enumerate(encoded)}
    sig |= {f"l{i}": e[2] for i, e in enumerate(encoded) if e[2] is not None}
    first = {k: (v[0] if len(v) else 0) for k, v in sig.items()}
    # only the signature fields that vary are grouped on (usually one text length or none)
    varying = {k: v for k, v in sig.items() if len(v) and (v != v[0]).any()}
    keys, groups = _group_rows(list(varying.values()), n_rows, max_layouts)
    return [
        (first | dict(zip(varying, key, strict=True)), rows)
        for key, rows in zip(keys, groups, strict=True)
    ]


def _group_rows(
    signature: list[np.ndarray], n_rows: int, max_groups: int
) -> tuple[list[tuple[int, ...]], list[np.ndarray]]:
    """Rows with equal ``signature`` values: (values, ascending positions) per group.

    Groups come in the order of their first row, as ``DataFrame.groupby(sort=False)``
    gave them: hash codes in order of appearance, then one stable (radix) sort of the
    small codes (groupby's own cost was ~0.6 ms per 10k-row snapshot).

    Raises
    ------
    TooManyLayoutsError
        When there are more than ``max_groups`` groups.
    """
    if not signature:
        return [()], [np.arange(n_rows)]
    codes, _ = pd.factorize(np.asarray(signature[0]), sort=False)
    for values in signature[1:]:  # combined, then renumbered in order of appearance
        part, distinct = pd.factorize(np.asarray(values), sort=False)
        codes, _ = pd.factorize(codes.astype(np.int64) * len(distinct) + part, sort=False)
    n_groups = int(codes.max()) + 1 if n_rows else 1
    if n_groups > max_groups:
        raise TooManyLayoutsError(f"{n_groups} row layouts")
    rows_in_order = np.argsort(codes.astype(np.uint16), kind="stable")  # radix sort
    counts = np.bincount(codes, minlength=n_groups)
    rows = np.split(rows_in_order, np.cumsum(counts)[:-1])
    keys = [tuple(int(np.asarray(v)[r[0]]) for v in signature) for r in rows]
    return keys, rows


def _encode_group(
    encoded: list[_Encoded], layout: dict, sel: slice | np.ndarray, n: int
) -> memoryview:
    """The ``n`` rows ``sel`` (a slice: views, no gather) of one layout as COPY rows."""
    fields: list[tuple[str, str]] = [("n", ">i2")]
    for i, (_, values, lengths) in enumerate(encoded):
        fields.append((f"l{i}", ">i4"))
        if layout[f"n{i}"] or (lengths is not None and int(layout[f"l{i}"]) == 0):
            continue  # NULL or empty text: the length says it all
        assert isinstance(values, np.ndarray) or lengths is not None
        fmt = f"S{int(layout[f'l{i}'])}" if lengths is not None else values.dtype.str  # type: ignore[union-attr]
        fields.append((f"v{i}", fmt))
    out = np.empty(n, dtype=np.dtype(fields))
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
                out[f"v{i}"] = np.array(distinct, dtype=f"S{width}")[codes[sel]]
            continue
        out[f"l{i}"] = values.dtype.itemsize  # type: ignore[union-attr]
        out[f"v{i}"] = values[sel]  # type: ignore[index]
    return memoryview(out.view(np.uint8))  # type: ignore[arg-type]  # no copy: COPY reads the buffer as it is
