"""JSON text of typed Arrow tables, built column-wise in Arrow's C++ kernels.

Floats are written in their shortest round-trip form (Arrow's cast to string), so a value
read back is the same double (pandas' ``to_json`` keeps 15 digits at most). Text is escaped
by :func:`json.dumps` once per distinct value (a dictionary encoding), which is cheap for the
low-cardinality text of market data (symbols, option types, providers).
"""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.compute as pc

_LS = pa.large_string()


def _lit(text: str) -> pa.Scalar:
    return pa.scalar(text, _LS)


def json_values(column: pa.ChunkedArray | pa.Array, kind: str) -> pa.Array:
    """Every value of ``column`` as JSON text (missing and non-finite values as ``null``)."""
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if kind == "float":
        text = pc.cast(arr, pa.string())
        text = pc.if_else(pc.is_finite(arr), text, None)
    elif kind in ("int", "bool"):
        text = pc.cast(arr, pa.string())
    elif kind == "date":
        text = pc.binary_join_element_wise('"', pc.cast(arr, pa.string()), '"', "")
    elif kind == "timestamp":
        text = pc.binary_join_element_wise('"', instant_text(arr, sep="T"), '"', "")
    elif kind == "json":
        return _escaped(arr, raw=True)
    else:
        return _escaped(arr, raw=False)
    return pc.fill_null(pc.cast(text, _LS), _lit("null"))


def instant_text(arr: pa.Array, *, sep: str = " ") -> pa.Array:
    """UTC instants as ``YYYY-MM-DD HH:MM:SS.ffffffZ`` text (``sep`` between day and time).

    The same text as ``strftime`` (or Arrow's cast of a UTC timestamp) at a tenth of the time:
    the cast of the *naive* timestamp skips the per-value time-zone lookup.
    """
    naive = pc.cast(arr.cast(pa.timestamp(arr.type.unit)), pa.string())
    if sep != " ":
        naive = pc.utf8_replace_slice(naive, start=10, stop=11, replacement=sep)
    return pc.binary_join_element_wise(naive, "Z", "")


def _escaped(arr: pa.Array, *, raw: bool) -> pa.Array:
    encoded = pc.dictionary_encode(arr)
    words = encoded.dictionary.to_pylist()
    # JSON columns already hold JSON text: splice it in as it is.
    dictionary = pa.array(words if raw else [json.dumps(w) for w in words], _LS)
    text = pc.take(dictionary, encoded.indices)
    return pc.fill_null(text, _lit("null"))


def json_lines(table: pa.Table, kinds: dict[str, str], *, prefix: str = "") -> bytes:
    r"""The rows of ``table`` as JSON objects, each ``prefix + {...} + "\\n"``, concatenated."""
    if table.num_rows == 0:
        return b""
    parts: list[pa.Array | pa.Scalar] = []
    for i, (name, kind) in enumerate(kinds.items()):
        opener = ("{" if i == 0 else ",") + json.dumps(name) + ":"
        parts += [_lit((prefix if i == 0 else "") + opener), json_values(table[name], kind)]
    parts.append(_lit("}\n"))
    return concatenated(pc.binary_join_element_wise(*parts, _lit("")))


def concatenated(rows: pa.Array) -> bytes:
    """Every (non-null) string of ``rows`` back to back, as bytes."""
    # No row is null, so the data buffer between the first and last offsets is every row
    # back to back: write it without building Python strings.
    offsets = pa.Array.from_buffers(pa.int64(), len(rows) + 1, [None, rows.buffers()[1]],
                                    offset=rows.offset)  # fmt: skip
    start, end = offsets[0].as_py(), offsets[len(rows)].as_py()
    return rows.buffers()[2].slice(start, end - start).to_pybytes()
