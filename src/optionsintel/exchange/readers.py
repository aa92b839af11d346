"""Safe reading of files offered for import: CSV, JSON, JSON Lines, Excel, Parquet.

Every reader works on bytes already bounded by :class:`Limits` (size after decompression),
refuses a wrong encoding, malformed content, nesting too deep, Excel formulas and oversized
sheets with :class:`~optionsintel.errors.ImportFileError`, and never evaluates anything the
file holds: values stay data (no eval, no pandas query, no SQL text).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from optionsintel import jsontext
from optionsintel.errors import ImportFileError
from optionsintel.exchange.formats import Compression, Format, bounded_decompress, detect


@dataclass(frozen=True)
class Limits:
    """Bounds on an imported file (defaults suit a desktop; raise them deliberately)."""

    max_bytes: int = 512 * 1024 * 1024
    max_rows: int = 20_000_000
    max_columns: int = 256
    max_json_depth: int = 32
    max_sheets: int = 64
    max_cell_chars: int = 32_767  # Excel's own cell limit
    max_zip_ratio: int = 200  # uncompressed / compressed size of an .xlsx member


def read_table(
    source: str | Path | bytes,
    fmt: Format | None = None,
    compression: Compression | None = None,
    *,
    name: str = "upload",
    sheet: str | None = None,
    limits: Limits = Limits(),
) -> pd.DataFrame:
    """Read one table of an import file as a frame of raw values (column names as in the file).

    Parameters
    ----------
    source
        A path, or the bytes of an upload (then ``fmt`` or ``name`` tells the format).
    fmt, compression
        Default: what the suffix of the path (or ``name``) says.
    sheet
        Excel: the sheet to read (default the first).
    limits
        Size, row, column, nesting and Excel bounds.

    Raises
    ------
    ImportFileError
        For anything unreadable or hostile; the message says what and where.
    """
    if isinstance(source, str | Path):
        path = Path(source)
        name = path.name
        if path.stat().st_size > limits.max_bytes:
            raise ImportFileError(f"{name} is {path.stat().st_size:,} bytes; the import limit is "
                                  f"{limits.max_bytes:,}")  # fmt: skip
        with path.open("rb") as fh:  # capped: a device or a pipe has no size to check first
            raw = fh.read(limits.max_bytes + 1)
        if len(raw) > limits.max_bytes:
            raise ImportFileError(f"{name} is larger than the import limit of "
                                  f"{limits.max_bytes:,} bytes")  # fmt: skip
    else:
        raw = bytes(source)
    if fmt is None:
        fmt, named = detect(name)
        compression = compression or named
    reader = _READERS.get(fmt)
    if reader is None:  # `import ... --format docx` was a KeyError traceback
        raise ImportFileError(f"unknown format {fmt!r}; use one of {sorted(_READERS)}")
    data = bounded_decompress(raw, compression, max_bytes=limits.max_bytes)
    frame = reader(data, limits, sheet)
    repeated = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
    if repeated:  # a column would read as a frame, not a series (Parquet allows repeats)
        raise ImportFileError(f"{name} repeats the column name(s) {repeated}; rename them")
    if frame.shape[1] > limits.max_columns:
        raise ImportFileError(
            f"{name} has {frame.shape[1]} columns; the limit is {limits.max_columns}"
        )
    if len(frame) > limits.max_rows:
        raise ImportFileError(f"{name} has {len(frame):,} rows; the limit is {limits.max_rows:,}")
    return frame


def _text(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError("the file is UTF-16; save it as UTF-8 (CSV UTF-8 in Excel) and retry")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"the file is not UTF-8 (byte {exc.start} is {data[exc.start : exc.start + 1]!r}); "
            "save it as UTF-8 and retry"
        ) from None


def _csv(data: bytes, limits: Limits, _sheet: str | None) -> pd.DataFrame:
    body = _text(data).encode()  # BOM removed, encoding checked
    if not body.strip():
        raise ImportFileError("the CSV file is empty")
    try:
        columns = pacsv.open_csv(io.BytesIO(body)).schema.names
        if len(set(columns)) != len(columns):
            raise ImportFileError(f"the CSV header repeats a column name: {columns}")
        # Every value is read as text; validation converts it column by column.
        opts = pacsv.ConvertOptions(column_types={c: pa.string() for c in columns},
                                    strings_can_be_null=True)  # fmt: skip
        table = pacsv.read_csv(io.BytesIO(body), convert_options=opts)
    except pa.ArrowInvalid as exc:
        raise ImportFileError(f"malformed CSV: {str(exc).splitlines()[0]}") from None
    return table.to_pandas()


def _json_rows(value: Any) -> list[Any]:
    if isinstance(value, dict):
        for key in ("records", "rows", "data", "patterns", "rules", "instruments"):
            if isinstance(value.get(key), list):
                return value[key]
        return [value]
    if isinstance(value, list):
        return value
    raise ImportFileError("JSON to import must be an object or an array of objects")


def _parse_json(text: str, limits: Limits, where: str) -> Any:
    try:
        value = jsontext.loads(text)
    except jsontext.JsonTextError as exc:
        raise ImportFileError(f"{where}: invalid JSON: {exc}") from None
    if depth(value, limits.max_json_depth + 1) > limits.max_json_depth:
        raise ImportFileError(f"{where}: JSON nested deeper than {limits.max_json_depth} levels")
    return value


def depth(value: Any, cap: int) -> int:
    """Nesting depth of a JSON value, counting no further than ``cap`` (iterative)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if level >= cap:
                return level
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children if isinstance(child, dict | list))
    return deepest


def _records(rows: list[Any]) -> pd.DataFrame:
    bad = next((i for i, r in enumerate(rows) if not isinstance(r, dict)), None)
    if bad is not None:
        raise ImportFileError(f"JSON row {bad + 1} is not an object")
    return pd.DataFrame.from_records(rows)


def _json(data: bytes, limits: Limits, _sheet: str | None) -> pd.DataFrame:
    return _records(_json_rows(_parse_json(_text(data), limits, "JSON")))


def _jsonl(data: bytes, limits: Limits, _sheet: str | None) -> pd.DataFrame:
    lines = _text(data).splitlines()
    rows = [
        _parse_json(line, limits, f"line {i + 1}") for i, line in enumerate(lines) if line.strip()
    ]
    return _records(rows)


def _parquet(data: bytes, limits: Limits, _sheet: str | None) -> pd.DataFrame:
    try:
        pf = pq.ParquetFile(io.BytesIO(data))
        meta = pf.metadata
        unpacked = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        if unpacked > limits.max_bytes:
            raise ImportFileError(f"the Parquet data unpacks to {unpacked:,} bytes; the limit is "
                                  f"{limits.max_bytes:,}")  # fmt: skip
        if meta.num_rows > limits.max_rows or meta.num_columns > limits.max_columns:
            raise ImportFileError(f"the Parquet file has {meta.num_rows:,} rows x "
                                  f"{meta.num_columns} "
                                  "columns, over the import limits")  # fmt: skip
        binary = [
            f.name
            for f in pf.schema_arrow
            if pa.types.is_binary(f.type)
            or pa.types.is_large_binary(f.type)
            or pa.types.is_fixed_size_binary(f.type)
        ]
        if binary:  # raw bytes are no text (not UTF-8 bytes made a UnicodeDecodeError)
            raise ImportFileError(f"the Parquet column(s) {binary} hold binary data, not text "
                                  "or numbers; write them as strings")  # fmt: skip
        return pf.read().to_pandas()
    except ImportFileError:
        raise
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise ImportFileError(f"malformed Parquet file: {str(exc).splitlines()[0]}") from None


def _xlsx(data: bytes, limits: Limits, sheet: str | None) -> pd.DataFrame:
    from optionsintel.exchange.xlsx_reader import read_sheet

    _check_zip(data, limits)
    return read_sheet(data, sheet, limits)


def _check_zip(data: bytes, limits: Limits) -> None:
    """An .xlsx is a zip: refuse a bomb before any XML parser sees it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError):
        raise ImportFileError("malformed Excel file (not a valid .xlsx zip archive)") from None
    total = sum(i.file_size for i in infos)
    if total > limits.max_bytes:
        raise ImportFileError(
            f"the Excel file unpacks to {total:,} bytes; the limit is {limits.max_bytes:,}"
        )
    for info in infos:
        if info.file_size > 1_000_000 and info.file_size > limits.max_zip_ratio * max(
            info.compress_size, 1
        ):
            raise ImportFileError(f"the Excel file looks like a zip bomb ({info.filename} expands "
                                  f"{info.file_size // max(info.compress_size, 1)}x)")  # fmt: skip


_READERS = {"csv": _csv, "json": _json, "jsonl": _jsonl, "parquet": _parquet, "xlsx": _xlsx}
