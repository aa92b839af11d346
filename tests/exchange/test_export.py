"""Export codecs: every format reads back, Excel never holds a formula, provenance travels."""

from __future__ import annotations

import gzip
import json
import tracemalloc
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest
import zstandard

from conftest import PROVIDER, daily_bars, instruments
from optionsintel.errors import ExportError
from optionsintel.exchange import (
    Provenance,
    export_frame,
    export_workbook,
    open_export,
    read_sidecar,
)
from optionsintel.exchange.provenance import METADATA_KEY
from optionsintel.services.exports import export_dataset, new_operation_id


def test_excel_cells_beginning_with_formula_characters_are_text(tmp_path):
    path = tmp_path / "inst.xlsx"
    export_frame(instruments(), path)
    sheet = openpyxl.load_workbook(path)["inst"]
    header = [c.value for c in sheet[1]]
    name_col = header.index("name") + 1
    cells = [sheet.cell(row=r, column=name_col) for r in (2, 3, 4)]
    assert [c.value for c in cells] == ['=HYPERLINK("x")', '+Mahindra, "quoted"', "-Bajaj\nAuto"]
    assert all(c.data_type == "s" for c in cells)
    assert sheet.cell(row=3, column=header.index("sector") + 1).data_type == "s"  # "@Auto"
    assert sheet.freeze_panes == "A2"


def test_excel_keeps_types_and_date_formats(tmp_path):
    path = tmp_path / "bars.xlsx"
    export_frame(daily_bars(4), path)
    sheet = openpyxl.load_workbook(path).active
    header = [c.value for c in sheet[1]]
    date_cell = sheet.cell(row=2, column=header.index("trade_date") + 1)
    assert date_cell.is_date and date_cell.number_format == "yyyy-mm-dd"
    assert isinstance(sheet.cell(row=2, column=header.index("close") + 1).value, float)


def test_workbook_has_one_sheet_per_table_and_provenance(tmp_path):
    path = tmp_path / "both.xlsx"
    export_workbook(
        {"bars": daily_bars(4), "instruments": instruments()},
        path,
        provenance=Provenance("report", provider=PROVIDER),
    )
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["bars", "instruments"]
    props = {p.name: p.value for p in book.custom_doc_props.props}
    assert json.loads(props[METADATA_KEY])["row_count"] == 7


def test_parquet_carries_schema_and_provenance(tmp_path):
    path = tmp_path / "bars.parquet"
    export_frame(
        daily_bars(),
        path,
        provenance=Provenance(
            "daily_ohlc", provider=PROVIDER, as_of="2025-06-21", query={"subject": "NIFTY"}
        ),
    )
    meta = pq.read_metadata(path).metadata
    prov = Provenance.from_json(meta[METADATA_KEY.encode()])
    assert (prov.provider, prov.row_count, prov.as_of, prov.query) == (
        PROVIDER,
        40,
        "2025-06-21",
        {"subject": "NIFTY"},
    )
    assert prov.created_at and prov.format == "parquet"
    assert str(pq.read_schema(path).field("trade_date").type) == "date32[day]"


@pytest.mark.parametrize("compression", ["gzip", "zip", "zstd"])
@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json", "xlsx", "parquet"])
def test_compressed_exports_decompress_to_the_rows(tmp_path, fmt, compression):
    suffix = {"gzip": ".gz", "zip": ".zip", "zstd": ".zst"}[compression]
    path = tmp_path / f"bars.{fmt}{suffix}"
    prov = export_frame(daily_bars(), path)
    assert prov.row_count == 40
    raw = path.read_bytes()
    if fmt == "parquet" and compression != "zip":
        assert raw[:4] == b"PAR1"  # compressed inside: still a Parquet file
    elif compression == "gzip":
        assert gzip.decompress(raw)
    elif compression == "zstd":
        assert zstandard.ZstdDecompressor().decompressobj().decompress(raw)
    else:
        assert zipfile.ZipFile(path).namelist() == [f"bars.{fmt}"]


def test_text_exports_have_a_sidecar_and_exact_floats(tmp_path):
    frame = pd.DataFrame({"x": [0.1 + 0.2, 1 / 3, np.nan], "s": ["a", 'b"\n', None]})
    export_frame(frame, tmp_path / "x.jsonl", provenance=Provenance("frame", provider="p"))
    rows = [json.loads(line) for line in (tmp_path / "x.jsonl").read_text().splitlines()]
    assert [r["x"] for r in rows] == [0.1 + 0.2, 1 / 3, None]
    assert [r["s"] for r in rows] == ["a", 'b"\n', None]
    assert read_sidecar(tmp_path / "x.jsonl").row_count == 3


def test_unknown_format_and_failed_export_leave_no_file(tmp_path):
    with pytest.raises(ExportError):
        export_frame(daily_bars(), tmp_path / "x.csv", fmt="docx")  # type: ignore[arg-type]
    with (
        pytest.raises(RuntimeError),
        open_export(tmp_path / "y.csv", "csv", {"a": "float"}, Provenance("f")) as s,
    ):
        s.write(pd.DataFrame({"a": [1.0]}))
        raise RuntimeError("interrupted")
    assert not (tmp_path / "y.csv").exists()


@pytest.mark.parametrize("name", ["z.csv", "z.csv.gz", "z.parquet", "z.xlsx", "z.parquet.zip"])
def test_a_failed_export_keeps_the_file_it_would_replace(tmp_path, name):
    # it used to write the target in place and unlink it on failure: the earlier file was lost
    target = tmp_path / name
    target.write_bytes(b"yesterday's export")
    fmt = name.split(".")[1]
    with (
        pytest.raises(RuntimeError),
        open_export(
            target,
            fmt,
            {"a": "float"},
            Provenance("f"),  # type: ignore[arg-type]
            compression="zip" if name.endswith(".zip") else None,
        ) as s,  # fmt: skip
    ):
        s.write(pd.DataFrame({"a": [1.0]}))
        assert target.read_bytes() == b"yesterday's export"  # nothing half-written under its name
        raise RuntimeError("interrupted")
    assert target.read_bytes() == b"yesterday's export"
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no staging folder left


def test_a_target_that_is_not_a_regular_file_is_written_and_never_removed(tmp_path):
    import os

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        with (
            pytest.raises(RuntimeError),
            open_export(fifo, "csv", {"a": "float"}, Provenance("f")) as s,
        ):
            s.write(pd.DataFrame({"a": [1.0]}))
            raise RuntimeError("interrupted")
        assert fifo.exists()  # as root this was `unlink("/dev/null")` for `export ... /dev/null`
        with open_export(fifo, "csv", {"a": "float"}, Provenance("f")) as s:
            s.write(pd.DataFrame({"a": [2.0]}))
        assert b"2" in os.read(reader, 1 << 16)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]  # no sidecar beside it
    finally:
        os.close(reader)


def _peak_bytes(store, tmp_path, n_days: int) -> int:
    bars = daily_bars(2 * n_days)
    store.write("daily_ohlc", bars)
    tracemalloc.start()
    export_dataset(
        store, "daily_ohlc", tmp_path / f"b{n_days}.csv", provider=PROVIDER, chunk_rows=500
    )
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_streamed_export_memory_does_not_grow_with_rows(clean_store, tmp_path):
    small = _peak_bytes(clean_store, tmp_path, 2_000)
    clean_store.engine.dispose()
    large = _peak_bytes(clean_store, tmp_path, 20_000)
    assert large < 2 * small, (small, large)


def test_export_as_bulk_operation_records_progress(clean_store, tmp_path):
    clean_store.write("daily_ohlc", daily_bars(40))
    seen = []
    op = new_operation_id()
    export_dataset(
        clean_store,
        "daily_ohlc",
        tmp_path / "b.parquet",
        provider=PROVIDER,
        chunk_rows=15,
        operation_id=op,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(15, 40), (30, 40), (40, 40)]
    record = clean_store.read("bulk_operations", where={"operation_id": op}).iloc[0]
    assert (record.status, record.done_items, record.total_items) == ("SUCCEEDED", 40, 40)


def test_market_export_needs_a_provider(clean_store, tmp_path):
    with pytest.raises(ExportError, match="provider"):
        export_dataset(clean_store, "daily_ohlc", tmp_path / "b.csv")


def test_iter_dataset_filters_and_chunks_like_a_typed_read(clean_store):
    from optionsintel.store.reads import read_daily_ohlc
    from optionsintel.store.reads.stream import iter_dataset

    bars = daily_bars(40)
    clean_store.write("daily_ohlc", bars)
    clean_store.write("daily_ohlc", bars.assign(provider="other"))
    chunks = list(iter_dataset(clean_store, "daily_ohlc", provider=PROVIDER, subject="M&M",
                               start="2025-06-05", end="2025-06-10", chunk_rows=4))  # fmt: skip
    assert [len(c) for c in chunks] == [4, 2]
    streamed = pd.concat(chunks, ignore_index=True)
    typed = read_daily_ohlc(
        clean_store, provider=PROVIDER, symbols="M&M", start="2025-06-05", end="2025-06-10"
    )
    cols = [c for c in typed.columns if c != "ingested_at"]
    pd.testing.assert_frame_equal(streamed[cols], typed[cols].reset_index(drop=True))


def test_large_frames_convert_on_worker_threads_to_the_same_table():
    """to_arrow shares the columns of a large frame among threads: same table as one by one."""
    import pyarrow as pa

    from optionsintel.exchange.columns import PARALLEL_ROWS, _arrow_column, arrow_schema, to_arrow

    n = PARALLEL_ROWS + 7
    i = np.arange(n)
    frame = pd.DataFrame({
        "s": np.where(i % 3 == 0, None, "NIFTY"),
        "f": np.where(i % 5 == 0, np.nan, i * 0.25),
        "i": i,
        "b": i % 2 == 0,
        "d": pd.Timestamp("2025-07-31") + pd.to_timedelta(i % 9, unit="D"),
        "t": pd.Timestamp("2025-07-16 09:15") + pd.to_timedelta(i, unit="s"),
        "u": pd.Timestamp("2025-07-16 03:45", tz="UTC") + pd.to_timedelta(i, unit="ms"),
        "j": [{"k": int(v)} if v % 4 else None for v in i],
    })  # fmt: skip
    kinds = {"s": "str", "f": "float", "i": "int", "b": "bool", "d": "date", "t": "timestamp",
             "u": "timestamp", "j": "json"}  # fmt: skip
    one_by_one = pa.Table.from_arrays(
        [_arrow_column(frame[c], k) for c, k in kinds.items()], schema=arrow_schema(kinds)
    )
    assert to_arrow(frame, kinds).equals(one_by_one)
    assert to_arrow(frame.iloc[:100], kinds).equals(one_by_one.slice(0, 100))


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_password_and_key_hashes_never_leave_the_store(clean_store, tmp_path, fmt):
    from optionsintel.services import keys, users
    from optionsintel.services.identity import cli_identity

    users.create_user(clean_store, cli_identity(), "hana", password="correct horse 9 battery")
    keys.create_key(clean_store, cli_identity(), name="laptop", username="hana")
    for dataset, secret in (("users", "password_hash"), ("api_keys", "key_hash")):
        (stored,) = clean_store.read(dataset)[secret].dropna()  # the hash is there ...
        path = tmp_path / f"{dataset}.{fmt}"
        prov = export_dataset(clean_store, dataset, path, fmt)
        assert prov.row_count == 1
        data = path.read_bytes()
        assert secret.encode() not in data and stored.encode() not in data  # ... not in the file
