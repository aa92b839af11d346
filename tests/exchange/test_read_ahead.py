"""The streamed export reads the store's next page while it writes the current one.

The read-ahead must change nothing in the file: same rows, same order, same chunks; an
error in the read reaches the caller; leaving early closes the read (its connection).
"""

from __future__ import annotations

import threading
import time

import pyarrow.parquet as pq
import pytest

from conftest import PROVIDER, daily_bars
from optionsintel.errors import ExportCancelledError
from optionsintel.exchange import open_export
from optionsintel.exchange.formats import detect
from optionsintel.exchange.provenance import Provenance
from optionsintel.services.exports import export_dataset, new_operation_id, read_ahead
from optionsintel.store.reads.stream import column_kinds, iter_dataset


def _source(n: int, log: list[str], fail_at: int | None = None):
    log.append(f"start {threading.current_thread().name}")
    try:
        for i in range(n):
            if i == fail_at:
                raise ValueError(f"page {i} is unreadable")
            log.append(f"read {i}")
            yield i
    finally:
        log.append(f"closed {threading.current_thread().name}")


def test_read_ahead_yields_every_chunk_in_order_from_a_worker_thread():
    log: list[str] = []
    assert list(read_ahead(_source(50, log))) == list(range(50))
    assert (
        log[0] == log[-1].replace("closed", "start") != f"start {threading.current_thread().name}"
    )


def test_read_ahead_stays_at_most_depth_chunks_ahead():
    log: list[str] = []
    ahead = read_ahead(_source(20, log), depth=1)
    for i in ahead:
        time.sleep(0.01)  # the worker has had time to run as far as it may
        read = sum(1 for line in log if line.startswith("read"))
        # this one, one waiting in the queue, one read and waiting to be queued
        assert read <= i + 3, (i, read)


def test_read_ahead_raises_the_reads_error_here():
    log: list[str] = []
    got = []
    with pytest.raises(ValueError, match="page 3 is unreadable"):
        for i in read_ahead(_source(10, log, fail_at=3)):
            got.append(i)
    assert got == [0, 1, 2]
    assert log[-1].startswith("closed")


def test_leaving_early_stops_and_closes_the_read():
    log: list[str] = []
    ahead = read_ahead(_source(1_000, log))
    assert next(ahead) == 0
    ahead.close()
    assert log[-1].startswith("closed oi-export-read-ahead")
    assert sum(1 for line in log if line.startswith("read")) <= 4


def test_streamed_parquet_with_read_ahead_equals_the_plain_loop(clean_store, tmp_path):
    """Old (one thread: read a page, write it) and new (read-ahead) write the same table."""
    clean_store.write("daily_ohlc", daily_bars(40))
    new = tmp_path / "new.parquet"
    export_dataset(clean_store, "daily_ohlc", new, provider=PROVIDER, chunk_rows=7)
    old = tmp_path / "old.parquet"
    fmt, _ = detect(old)
    with open_export(old, fmt, column_kinds("daily_ohlc"), Provenance("daily_ohlc")) as s:
        for chunk in iter_dataset(clean_store, "daily_ohlc", provider=PROVIDER, chunk_rows=7):
            s.write(chunk)
    a, b = pq.read_table(new), pq.read_table(old)
    assert a.num_rows == 40
    assert a.replace_schema_metadata().equals(b.replace_schema_metadata())
    row_groups = [pq.ParquetFile(p).metadata.num_row_groups for p in (new, old)]
    assert row_groups == [6, 6]


def test_a_cancelled_export_stops_the_read_and_removes_the_file(clean_store, tmp_path):
    clean_store.write("daily_ohlc", daily_bars(40))
    op = new_operation_id()

    def cancel_after_first(done: int, _total: int | None) -> None:
        if done >= 7:
            key = {"operation_id": op}
            clean_store.transition("bulk_operations", key, "RUNNING", "CANCELLED")

    path = tmp_path / "b.parquet"
    with pytest.raises(ExportCancelledError):
        export_dataset(clean_store, "daily_ohlc", path, provider=PROVIDER, chunk_rows=7,
                       operation_id=op, progress=cancel_after_first)  # fmt: skip
    assert not path.exists()
    assert not [t for t in threading.enumerate() if t.name == "oi-export-read-ahead"]
