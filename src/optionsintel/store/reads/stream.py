"""Chunked reads of a whole data set, streamed from the server (exports of any size).

Each chunk is one ``COPY (SELECT ... LIMIT n) TO STDOUT`` resuming after the previous chunk's
last key; the client holds one chunk at a time, so reading ten million rows costs the memory
of ``chunk_rows`` of them.
Market data sets need their provider, as every read does; other tables (instruments,
patterns, alert rules, results) take none.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import sqlalchemy as sa
from psycopg import sql as psql
from sqlalchemy.dialects.postgresql import JSONB

from optionsintel._typing import Provider
from optionsintel.errors import StoreError
from optionsintel.store.engine import raw_connection
from optionsintel.store.reads._common import (
    MARKET_DATASETS,
    Subjects,
    check_provider,
    subject_column,
    time_column,
)
from optionsintel.store.schema import metadata, natural_key
from optionsintel.tz import to_utc

if TYPE_CHECKING:
    from optionsintel.store.api import Store

DEFAULT_CHUNK_ROWS = 100_000


def column_kinds(dataset: str) -> dict[str, str]:
    """Each column of ``dataset`` and its exchange kind (str, float, int, bool, date...).

    Credential columns (``info={"credential": True}`` in the schema: password and API-key
    hashes) are left out: they never leave the store, not even as a file of hashes.
    """
    return {c.name: _kind(c.type) for c in _table(dataset).columns
            if not c.info.get("credential")}  # fmt: skip


def _kind(typ: Any) -> str:
    if isinstance(typ, JSONB):
        return "json"
    if isinstance(typ, sa.DateTime):
        return "timestamp"
    if isinstance(typ, sa.Date):
        return "date"
    if isinstance(typ, sa.Boolean):
        return "bool"
    if isinstance(typ, sa.Integer):
        return "int"
    if isinstance(typ, sa.Float | sa.Numeric):
        return "float"
    return "str"


def _table(dataset: str) -> sa.Table:
    if dataset not in metadata.tables:
        raise StoreError(f"unknown data set {dataset!r}; known: {sorted(metadata.tables)}")
    return metadata.tables[dataset]


Filter = tuple[str, str, Any]  # column, operator (=, >=, <=, ANY), bound value


def _select(
    dataset: str, provider: Provider | None, subject: Subjects, start: Any, end: Any
) -> tuple[sa.Table, list[Filter]]:
    t = _table(dataset)
    filters: list[Filter] = []
    if dataset in MARKET_DATASETS:
        check_provider(provider)  # type: ignore[arg-type]
        filters.append(("provider", "=", provider))
        if subject is not None:
            subjects = [subject] if isinstance(subject, str) else list(subject)
            filters.append((subject_column(dataset), "ANY", subjects))  # type: ignore[arg-type]
        tcol = t.c[time_column(dataset)]  # type: ignore[arg-type]
        as_instant = isinstance(tcol.type, sa.DateTime)
        for bound, op in ((start, ">="), (end, "<=")):
            if bound is not None:
                value = to_utc(bound).to_pydatetime() if as_instant else pd.Timestamp(bound).date()
                filters.append((tcol.name, op, value))
    elif provider is not None and "provider" in t.c:
        filters.append(("provider", "=", provider))
    return t, filters


def _conditions(t: sa.Table, filters: list[Filter]) -> list[sa.ColumnElement[bool]]:
    ops = {"=": lambda c, v: c == v, ">=": lambda c, v: c >= v, "<=": lambda c, v: c <= v,
           "ANY": lambda c, v: c.in_(v)}  # fmt: skip
    return [ops[op](t.c[col], value) for col, op, value in filters]


def count_dataset(
    store: Store, dataset: str, *, provider: Provider | None = None, subject: Subjects = None,
    start: Any = None, end: Any = None,
) -> int:  # fmt: skip
    """How many rows :func:`iter_dataset` would yield with the same arguments."""
    t, filters = _select(dataset, provider, subject, start, end)
    stmt = sa.select(sa.func.count()).select_from(t).where(*_conditions(t, filters))
    with store.engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


def iter_dataset(
    store: Store,
    dataset: str,
    *,
    provider: Provider | None = None,
    subject: Subjects = None,
    start: Any = None,
    end: Any = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> Iterator[pd.DataFrame]:
    """Yield the rows of ``dataset`` in chunks of at most ``chunk_rows``, in natural-key order.

    Parameters
    ----------
    store
        The store to read.
    dataset
        A platform table (``option_chain_snapshots``, ``daily_ohlc``, ``instruments``...).
    provider
        Required for market data sets; never mixed.
    subject, start, end
        Optional symbol(s) and inclusive time bounds (market data sets).
    chunk_rows
        Rows per yielded frame.

    Raises
    ------
    StoreError
        For an unknown data set or a market read without a provider.

    Notes
    -----
    Each chunk is one ``COPY (SELECT ... ORDER BY key LIMIT chunk_rows) TO STDOUT``, starting
    after the previous chunk's last natural key (keyset pagination on the primary key's
    index), parsed by Arrow's C++ CSV reader; all pages read one REPEATABLE READ snapshot.
    The client holds one chunk at a time. Instants travel as epoch microseconds (exact, no
    time-zone text to parse). Filter values are bound by psycopg, never formatted into SQL.
    """
    if chunk_rows < 1:
        raise StoreError(f"chunk_rows must be positive, got {chunk_rows}")
    t, filters = _select(dataset, provider, subject, start, end)
    kinds = column_kinds(dataset)
    key = list(natural_key(t))
    after: list[Any] | None = None
    # One snapshot for every page: a concurrent write cannot shift rows between pages.
    with store.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        raw = raw_connection(conn)
        while True:
            query, params = _copy_statement(t, filters, kinds, key, after, chunk_rows)
            with raw.cursor() as cur, cur.copy(query, params) as copy:
                text = b"".join(bytes(block) for block in copy)
            if not text:
                return
            table = _parse(text, kinds)
            yield _typed(table, kinds)
            if table.num_rows < chunk_rows:
                return
            after = [_key_value(table[c][-1].as_py(), kinds[c]) for c in key]


def _parse(text: bytes, kinds: dict[str, str]) -> pa.Table:
    return pacsv.read_csv(
        io.BytesIO(text),
        read_options=pacsv.ReadOptions(column_names=list(kinds)),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types={c: _ARROW[k] for c, k in kinds.items()},
            true_values=["t"], false_values=["f"],
            strings_can_be_null=True, quoted_strings_can_be_null=False,
        ),
    )  # fmt: skip


def _key_value(value: Any, kind: str) -> Any:
    """A key value as read back (epoch microseconds for instants) as a query parameter."""
    if kind == "timestamp":
        return _EPOCH + dt.timedelta(microseconds=int(value))
    return value


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


_ARROW = {
    "str": pa.string(), "json": pa.string(), "float": pa.float64(), "int": pa.int64(),
    "bool": pa.bool_(), "date": pa.date32(), "timestamp": pa.int64(),
}  # fmt: skip


def _copy_statement(
    t: sa.Table,
    filters: list[Filter],
    kinds: dict[str, str],
    key: list[str],
    after: list[Any] | None,
    limit: int,
) -> tuple[psql.Composed, list[Any]]:
    """``COPY (SELECT ... WHERE filters [AND key > after] ORDER BY key LIMIT n) TO STDOUT``."""
    cols = [
        psql.SQL("CAST(EXTRACT(EPOCH FROM {c}) * 1000000 AS bigint)").format(c=psql.Identifier(c))
        if k == "timestamp"
        else psql.Identifier(c)
        for c, k in kinds.items()
    ]
    where, params = [], []
    for col, op, value in filters:
        template = "{} = ANY(%s)" if op == "ANY" else "{} " + op + " %s"
        where.append(psql.SQL(template).format(psql.Identifier(col)))  # op is ours, not input
        params.append(value)
    order = [psql.Identifier(c) for c in key]
    if after is not None:
        # Keyset pagination: a row-value comparison on the primary key walks its index.
        holes = psql.SQL(", ").join(psql.Placeholder() * len(key))
        where.append(psql.SQL("({}) > ({})").format(psql.SQL(", ").join(order), holes))
        params.extend(after)
    params.append(limit)
    query = psql.SQL(
        "COPY (SELECT {cols} FROM {table}{where} ORDER BY {order} LIMIT %s) TO STDOUT (FORMAT csv)"
    )
    return query.format(
        cols=psql.SQL(", ").join(cols), table=psql.Identifier(t.name),
        where=psql.SQL(" WHERE ") + psql.SQL(" AND ").join(where) if where else psql.SQL(""),
        order=psql.SQL(", ").join(order),
    ), params  # fmt: skip


def _typed(table: pa.Table, kinds: dict[str, str]) -> pd.DataFrame:
    # The same frame shapes as Store.read: instants UTC, dates as midnight datetimes, JSON
    # columns as Python values.
    frame = table.to_pandas(date_as_object=False)
    for c, kind in kinds.items():
        if kind == "timestamp":
            frame[c] = pd.to_datetime(frame[c], unit="us", utc=True)
        elif kind == "date":
            frame[c] = frame[c].astype("datetime64[s]")  # as Store.read gives dates
        elif kind == "json":
            frame[c] = [None if v is None else json.loads(v) for v in frame[c]]
    return frame
