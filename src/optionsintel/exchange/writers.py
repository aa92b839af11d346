"""Incremental writers of one table: CSV, JSON, JSON Lines and Parquet.

Each writer takes chunks (frames) one after another and holds none of them, so an export
of any length runs in the memory of one chunk. CSV and Parquet go through pyarrow's C++
writers; JSON through pandas' C encoder.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import IO, Protocol

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from optionsintel.exchange.columns import (
    PARALLEL_ROWS,
    WORKERS,
    arrow_schema,
    to_arrow,
    worker_pool,
)
from optionsintel.exchange.jsontext import instant_text, json_lines
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
        if n < PARALLEL_ROWS:
            self.sink.write(_csv_text(table, header=False))
            return
        step = -(-n // WORKERS)
        slices = [table.slice(i, step) for i in range(0, n, step)]
        for text in worker_pool().map(lambda t: _csv_text(t, header=False), slices):
            self.sink.write(text)

    def close(self, provenance: Provenance) -> None:
        """Finish the file."""
        return None


def _csv_text(table: pa.Table, *, header: bool) -> bytes:
    for i, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type):
            # Arrow's own text of a UTC instant (tz lookup per value) is ~8x slower
            table = table.set_column(i, field.name, instant_text(table.column(i).combine_chunks()))
    buf = io.BytesIO()
    # batches of 8,192 rows (default 1,024): fewer per-batch casts, ~10-30% faster here
    options = pacsv.WriteOptions(include_header=header, batch_size=8192)
    pacsv.write_csv(table, buf, options)
    return buf.getvalue()


#: The page codec when no compression is asked for.
#:
#: Snappy: Parquet's customary codec (pandas and Spark write it; every reader reads it) and
#: the fastest that compresses here: on 1M chain rows, interleaved 7 rounds on an idle box,
#: the write took 0.37 s with snappy, 0.38 s lz4, 0.41 s zstd level 1, 0.36 s none. Zstd
#: makes smaller files (30.5 vs 31.6 MB on that synthetic chain; 215 vs 279 KB, -23 %, on
#: real NSE contract history), so ``compression="zstd"`` keeps it on request
#: (benchmarks/RESULTS.md, "Parquet export, issue 19").
DEFAULT_PARQUET_CODEC = "snappy"


class ParquetWriter:
    """Parquet with the typed schema; the provenance goes in the file's key/value metadata."""

    def __init__(
        self, sink: IO[bytes] | pa.NativeFile, kinds: Mapping[str, str],
        codec: str = DEFAULT_PARQUET_CODEC,
    ) -> None:  # fmt: skip
        self.kinds = dict(kinds)
        self._writer = pq.ParquetWriter(sink, arrow_schema(kinds), compression=codec)

    def write(self, frame: pd.DataFrame) -> None:
        """Append the rows of ``frame``."""
        self._writer.write_table(to_arrow(frame, self.kinds))

    def close(self, provenance: Provenance) -> None:
        """Finish the file."""
        self._writer.add_key_value_metadata({METADATA_KEY: provenance.to_json()})
        self._writer.close()

    def discard(self) -> None:
        """Close a failed export's writer before its file (it is removed anyway)."""
        if self._writer.is_open:
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
    return {"gzip": "gzip", "zstd": "zstd"}.get(compression or "", DEFAULT_PARQUET_CODEC)
