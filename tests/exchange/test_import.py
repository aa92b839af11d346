"""Imports: every error by row and column, dry run, provider names, hostile files refused."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import zipfile

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import PROVIDER, daily_bars
from optionsintel.errors import ImportFileError, ImportValidationError, ProviderNameError
from optionsintel.exchange import export_frame
from optionsintel.exchange.mapping import auto_map
from optionsintel.exchange.readers import Limits, read_table
from optionsintel.exchange.specs import DAILY_BARS, OPTION_CHAIN, check_provider_name
from optionsintel.exchange.validate import validate
from optionsintel.services.imports import commit_import, import_file, plan_import

BAD_BARS = (
    "Date,Ticker,Open,High,Low,Close,Volume\n"
    "2025-06-02,NIFTY,100,101,99,100.5,10\n"
    "2025-06-03,NIFTY,abc,101,99,100.5,10\n"  # row 2: type
    "2025-06-04,,100,101,99,100.5,10\n"  # row 3: missing symbol
    "06/31/2025,NIFTY,100,101,99,100.5,10\n"  # row 4: bad date
    "2025-06-02,NIFTY,100,101,99,100.5,10\n"  # row 5: duplicate of row 1
    "2025-06-06,NIFTY,100,101,99,100.5,-4\n"  # row 6: negative volume
    "2025-06-07,NIFTY,100,98,99,100.5,10\n"  # row 7: high below low
    "2025-06-08,nifty 50,100,101,99,100.5,10\n"  # row 8: not a symbol
)


def test_every_error_is_reported_by_row_and_column(clean_store):
    plan = plan_import(
        clean_store, BAD_BARS.encode(), "daily_bars", provider=PROVIDER, name="bars.csv"
    )
    assert plan.report.mapping.columns["symbol"] == "Ticker"
    got = {(e.row, e.column, e.code) for e in plan.report.errors}
    assert got == {
        (2, "Open", "type"),
        (3, "Ticker", "missing"),
        (4, "Date", "type"),
        (5, "Ticker, Date", "duplicate_key"),
        (6, "Volume", "range"),
        (7, "High", "range"),
        (8, "Ticker", "type"),
    }
    assert "row 2, column 'Open': not a number (got 'abc')" in plan.report.summary()
    with pytest.raises(ImportValidationError):
        commit_import(clean_store, plan)
    assert clean_store.count("daily_ohlc") == 0


def test_dry_run_is_the_default_and_writes_nothing(clean_store, tmp_path):
    export_frame(daily_bars(), tmp_path / "bars.csv")
    plan, result = import_file(clean_store, tmp_path / "bars.csv", "daily_bars", provider=PROVIDER)
    assert plan.report.ok and result is None
    assert clean_store.count("daily_ohlc") == 0 and clean_store.count("bulk_operations") == 0


def test_unknown_symbols_are_reported_once_instruments_exist(clean_store):
    clean_store.write("instruments", pd.DataFrame({"symbol": ["NIFTY"], "segment": ["index"],
                                                  "provider": ["ref"]}))  # fmt: skip
    text = "symbol,trade_date,close\nNIFTY,2025-06-02,1\nNOPE,2025-06-02,1\n"
    plan = plan_import(clean_store, text.encode(), "daily_bars", provider=PROVIDER, name="b.csv")
    assert [(e.row, e.code) for e in plan.report.errors] == [(2, "unknown_symbol")]


def test_column_mapping_can_be_overridden(clean_store):
    text = "when,what,px\n2025-06-02,NIFTY,5\n"
    with pytest.raises(ImportValidationError):
        commit_import(clean_store, plan_import(clean_store, text.encode(), "daily_bars",
                                               provider=PROVIDER, name="b.csv"))  # fmt: skip
    plan = plan_import(clean_store, text.encode(), "daily_bars", provider=PROVIDER, name="b.csv",
                       mapping={"trade_date": "when", "symbol": "what", "close": "px"})  # fmt: skip
    assert plan.report.ok
    assert plan.report.mapping.preview(pd.read_csv(io.StringIO(text))).columns.tolist() == [
        "symbol",
        "trade_date",
        "close",
    ]
    assert commit_import(clean_store, plan).inserted == 1


@pytest.mark.parametrize(
    "name", ["nse", "angelone", "replay", "synthetic", "NSE!", "x", "", "a" * 40]
)
def test_built_in_or_malformed_provider_names_are_refused(name):
    with pytest.raises(ProviderNameError):
        check_provider_name(name)


def test_another_sources_provider_is_refused_but_own_import_name_reused(clean_store, tmp_path):
    clean_store.write("daily_ohlc", daily_bars(2).assign(provider="vendor_x"))
    with pytest.raises(ProviderNameError, match="vendor_x"):
        plan_import(
            clean_store, b"symbol,trade_date\n", "daily_bars", provider="vendor_x", name="b.csv"
        )
    export_frame(daily_bars(4), tmp_path / "bars.parquet")
    commit_import(
        clean_store,
        plan_import(clean_store, tmp_path / "bars.parquet", "daily_bars", provider="mine"),
    )
    again = plan_import(clean_store, tmp_path / "bars.parquet", "daily_bars", provider="mine")
    assert commit_import(clean_store, again).unchanged == 4


def test_a_failed_commit_stores_nothing(clean_store):
    rows = "symbol,segment,name\nABC,equity,x\nABD,equity," + "n" * 250 + "\n"
    plan = plan_import(clean_store, rows.encode(), "instruments", name="i.csv")
    assert [(e.row, e.code) for e in plan.report.errors] == [(2, "range")]
    assert clean_store.count("instruments") == 0


# -- hostile files ------------------------------------------------------------------------


def test_wrong_encoding_is_refused():
    with pytest.raises(ImportFileError, match="UTF-8"):
        read_table("symbol,close\nMÜLLER,1\n".encode("latin-1"), name="b.csv")
    with pytest.raises(ImportFileError, match="UTF-16"):
        read_table("symbol\n".encode("utf-16"), name="b.csv")


def test_size_limit_and_gzip_bomb_are_refused():
    bomb = gzip.compress(b"a" * 50_000_000)
    with pytest.raises(ImportFileError, match="limit"):
        read_table(bomb, name="b.csv.gz", limits=Limits(max_bytes=1_000_000))
    with pytest.raises(ImportFileError, match="limit"):
        read_table(b"x" * 2_000, name="b.csv", limits=Limits(max_bytes=1_000))
    # a device or a pipe has no size to check first: it is read up to the limit, never more
    with pytest.raises(ImportFileError, match="larger than the import limit"):
        read_table("/dev/zero", fmt="csv", limits=Limits(max_bytes=1_000))


def test_excel_zip_bomb_and_malformed_excel_are_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"<" * 20_000_000)
    with pytest.raises(ImportFileError, match="zip bomb"):
        read_table(buf.getvalue(), name="x.xlsx")
    with pytest.raises(ImportFileError, match="malformed Excel"):
        read_table(b"PK\x03\x04 not really", name="x.xlsx")


def test_excel_formulas_are_refused(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["symbol", "close"])
    book.active.append(["NIFTY", "=1+1"])
    book.save(tmp_path / "f.xlsx")
    with pytest.raises(ImportFileError, match="B2 holds a formula"):
        read_table(tmp_path / "f.xlsx")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"</sheetData>", b""),  # cut XML: a ParseError while the rows are read
        (b"<v>1.5</v>", b"<v>abc</v>"),  # a numeric cell that is no number: ValueError
        (b'<c r="A1"', b'<c r="A1" r="B1"'),
    ],
)
def test_a_malformed_sheet_is_refused_not_a_traceback(tmp_path, old, new):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["symbol", "close"])
    book.active.append(["NIFTY", 1.5])
    book.save(tmp_path / "ok.xlsx")
    broken = io.BytesIO()
    with zipfile.ZipFile(tmp_path / "ok.xlsx") as src, zipfile.ZipFile(broken, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                assert old in data
                data = data.replace(old, new, 1)
            dst.writestr(info, data)
    with pytest.raises(ImportFileError, match="malformed Excel sheet"):
        read_table(broken.getvalue(), name="x.xlsx")


def test_deeply_nested_json_is_refused():
    deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(ImportFileError, match="nested"):
        read_table(deep.encode(), name="x.json")
    with pytest.raises(ImportFileError, match="nested"):
        read_table(
            json.dumps([{"a": [[[[[[1]]]]]]}]).encode(),
            name="x.json",
            limits=Limits(max_json_depth=4),
        )


@pytest.mark.parametrize("name", ["x.json", "x.jsonl"])
def test_a_number_too_long_for_python_is_a_clear_error(name):
    # json.loads raises a plain ValueError past 4,300 digits (a traceback in the CLI)
    huge = '[{"symbol": "NIFTY", "close": ' + "9" * 5000 + "}]"
    text = huge if name.endswith(".json") else huge[1:-1]
    with pytest.raises(ImportFileError, match="invalid JSON"):
        read_table(text.encode(), name=name)


def _parquet_bytes(table) -> bytes:
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def test_parquet_repeated_columns_and_binary_columns_are_refused():
    import pyarrow as pa

    # a repeated name made raw[column] a frame (AttributeError); bytes that are not UTF-8
    # made a UnicodeDecodeError: both tracebacks in the CLI
    repeated = pa.table([pa.array(["NIFTY"]), pa.array([1.0]), pa.array([2.0])],
                        names=["symbol", "close", "close"])  # fmt: skip
    with pytest.raises(ImportFileError, match="repeats the column"):
        read_table(_parquet_bytes(repeated), name="x.parquet")
    binary = pa.table({"symbol": pa.array([b"\x00\xff"]), "close": pa.array([1.0])})
    with pytest.raises(ImportFileError, match="binary data"):
        read_table(_parquet_bytes(binary), name="x.parquet")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.text(max_size=12), min_size=3, max_size=3), min_size=1, max_size=8))
def test_arbitrary_cells_are_only_data(cells):
    """Whatever a cell holds (code, SQL, formulas), validation gives errors or rows: data only."""
    frame = pd.DataFrame(cells, columns=["symbol", "trade_date", "close"], dtype=object)
    report = validate(frame, DAILY_BARS, auto_map(list(frame.columns), DAILY_BARS))
    assert report.rows == len(cells)
    for error in report.errors:
        assert (
            1 <= error.row <= len(cells) and error.column in frame.columns
        ) or "," in error.column


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_are_refused_cleanly_or_read(data):
    for name in (
        "x.csv",
        "x.json",
        "x.jsonl",
        "x.xlsx",
        "x.parquet",
        "x.csv.gz",
        "x.csv.zst",
        "x.csv.zip",
    ):
        with contextlib.suppress(ImportFileError):
            read_table(data, name=name, limits=Limits(max_bytes=100_000))


def test_future_observations_and_absurd_magnitudes_are_refused():
    today = pd.Timestamp.now(tz="Asia/Kolkata").date()
    tomorrow = today + pd.Timedelta(days=1)
    text = ("symbol,date,open,high,low,close,volume\n"
            f"ABC,{today},10,11,9,10,100\n"  # today's bar: fine
            f"ABC,{tomorrow},10,11,9,10,100\n"  # not observed yet
            "ABC,3025-01-01,10,11,9,10,100\n"
            "ABC,2024-01-02,10,1e300,9,10,100\n"  # overflowed cell
            "ABC,2024-01-03,10,11,9,10,1e300\n")  # fmt: skip
    frame = read_table(text.encode(), name="bars.csv")
    report = validate(frame, DAILY_BARS, auto_map(list(frame.columns), DAILY_BARS))
    got = {(e.row, e.column, e.code) for e in report.errors}
    assert got == {(2, "date", "range"), (3, "date", "range"), (4, "high", "range"),
                   (5, "volume", "range")}  # fmt: skip
    assert f"after today ({today.isoformat()}, exchange day)" in report.summary()
    assert "above 1e+08" in report.summary() and "above 1e+15" in report.summary()
    # expiries are planned dates: a chain row of today may name an expiry years ahead
    chain = pd.DataFrame({"underlying": ["NIFTY"], "snapshot_ts": [f"{today}T10:00:00+05:30"],
                          "expiry": ["2030-12-26"], "strike": [25000.0],
                          "option_type": ["CE"]})  # fmt: skip
    assert validate(chain, OPTION_CHAIN, auto_map(list(chain.columns), OPTION_CHAIN)).ok


def test_an_unknown_format_named_by_the_caller_is_a_clear_error():
    with pytest.raises(ImportFileError, match="unknown format 'docx'"):
        read_table(b"symbol\nNIFTY\n", fmt="docx", name="x.csv")  # type: ignore[arg-type]
