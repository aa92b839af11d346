"""Incremental writers of one table: CSV, JSON, JSON Lines and Parquet.

Each writer takes chunks (frames) one after another and holds none of them, so an export
of any length runs in the memory of one chunk. CSV and Parquet go through pyarrow's C++
writers; JSON through pandas' C encoder.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Protocol

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from optionsintel.exchange.columns import arrow_schema, to_arrow
from optionsintel.exchange.jsontext import json_lines
from optionsintel.exchange.provenance import METADATA_KEY, Provenance


class ChunkWriter(Protocol):
    """A writer of one table, chunk by chunk."""

    def write(self, frame: pd.DataFrame) -> None:
        """Append the rows of ``frame``."""

    def close(self, provenance: Provenance) -> None:
        """Finish the file; in-file metadata formats record ``provenance`` here."""


class CsvWriter:
    """CSV: a header line, RFC 4180 quoting, ISO dates, instants in UTC with a ``Z``.

    Large chunks are cut in slices formatted on all cores at once (Arrow's CSV writer
    releases the GIL; formatting floats is most of an export's time), then written in order.
    """

    def __init__(self, sink: IO[bytes], kinds: Mapping[str, str]) -> None:
        self.kinds = dict(kinds)
        self.sink = sink
        self.sink.write(_csv_text(arrow_schema(kinds).empty_table(), header=True))

    def write(self, frame: pd.DataFrame) -> None:
        """Append the rows of ``frame``."""
        table = to_arrow(frame, self.kinds)
        n = table.num_rows
        if n < _PARALLEL_ROWS:
            self.sink.write(_csv_text(table, header=False))
            return
        step = -(-n // _WORKERS)
        slices = [table.slice(i, step) for i in range(0, n, step)]
        for text in _pool().map(lambda t: _csv_text(t, header=False), slices):
            self.sink.write(text)

    def close(self, provenance: Provenance) -> None:
        """Finish the file."""
        return None


_PARALLEL_ROWS = 50_000
_WORKERS = max(2, min(8, os.cpu_count() or 2))
_POOL: list[ThreadPoolExecutor] = []


def _pool() -> ThreadPoolExecutor:
    if not _POOL:
        _POOL.append(ThreadPoolExecutor(_WORKERS, thread_name_prefix="oi-csv"))
    return _POOL[0]


def _csv_text(table: pa.Table, *, header: bool) -> bytes:
    buf = io.BytesIO()
    # batches of 8,192 rows (default 1,024): fewer per-batch casts, ~10-30% faster here
    options = pacsv.WriteOptions(include_header=header, batch_size=8192)
    pacsv.write_csv(table, buf, options)
    return buf.getvalue()


class ParquetWriter:
    """Parquet with the typed schema; the provenance goes in the file's key/value metadata."""

    def __init__(self, sink: IO[bytes], kinds: Mapping[str, str], codec: str = "snappy") -> None:
        self.kinds = dict(kinds)
        self._writer = pq.ParquetWriter(sink, arrow_schema(kinds), compression=codec)

    def write(self, frame: pd.DataFrame) -> None:
        """Append the rows of ``frame``."""
        self._writer.write_table(to_arrow(frame, self.kinds))

    def close(self, provenance: Provenance) -> None:
        """Finish the file."""
        self._writer.add_key_value_metadata({METADATA_KEY: provenance.to_json()})
        self._writer.close()


class JsonLinesWriter:
    """JSON Lines: one object per row; dates ``YYYY-MM-DD``, instants ISO 8601 UTC."""

    _prefix = ""

    def __init__(self, sink: IO[bytes], kinds: Mapping[str, str]) -> None:
        self.kinds = dict(kinds)
        self.sink = sink
        self._first = True

    def write(self, frame: pd.DataFrame) -> None:
        """Append the rows of ``frame``."""
        if not len(frame):
            return
        data = json_lines(to_arrow(frame, self.kinds), self.kinds, prefix=self._prefix)
        # A JSON array's first row has no separating comma before it.
        self.sink.write(data[len(self._prefix) :] if self._first else data)
        self._first = False

    def close(self, provenance: Provenance) -> None:
        """Finish the file."""
        return None


class JsonRecordsWriter(JsonLinesWriter):
    """JSON: one array of row objects, written chunk by chunk."""

    _prefix = ","

    def __init__(self, sink: IO[bytes], kinds: Mapping[str, str]) -> None:
        super().__init__(sink, kinds)
        self.sink.write(b"[")

    def close(self, provenance: Provenance) -> None:
        """Finish the file."""
        self.sink.write(b"]\n")


def parquet_codec(compression: str | None) -> str:
    """Parquet compresses inside the file: gzip and zstd become its page codec."""
    return {"gzip": "gzip", "zstd": "zstd"}.get(compression or "", "snappy")
