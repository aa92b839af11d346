"""Chunked reads of a whole data set through a server-side cursor (exports of any size).

PostgreSQL keeps the cursor; the client holds one chunk at a time, so reading ten million
rows costs the memory of ``chunk_rows`` of them. Market data sets need their provider, as
every read does; other tables (instruments, patterns, alert rules, results) take none.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from optionsintel._typing import Provider
from optionsintel.errors import StoreError
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
    """Each column of ``dataset`` and its exchange kind (str, float, int, bool, date...)."""
    return {c.name: _kind(c.type) for c in _table(dataset).columns}


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


def _select(
    dataset: str, provider: Provider | None, subject: Subjects, start: Any, end: Any
) -> tuple[sa.Table, list[sa.ColumnElement[bool]]]:
    t = _table(dataset)
    conditions: list[sa.ColumnElement[bool]] = []
    if dataset in MARKET_DATASETS:
        check_provider(provider)  # type: ignore[arg-type]
        conditions.append(t.c.provider == provider)
        if subject is not None:
            col = t.c[subject_column(dataset)]  # type: ignore[arg-type]
            subjects = [subject] if isinstance(subject, str) else list(subject)
            conditions.append(col.in_(subjects))
        tcol = t.c[time_column(dataset)]  # type: ignore[arg-type]
        for bound, op in ((start, "ge"), (end, "le")):
            if bound is not None:
                value = (
                    to_utc(bound)
                    if isinstance(tcol.type, sa.DateTime)
                    else pd.Timestamp(bound).date()
                )
                conditions.append(tcol >= value if op == "ge" else tcol <= value)
    elif provider is not None and "provider" in t.c:
        conditions.append(t.c.provider == provider)
    return t, conditions


def count_dataset(
    store: Store, dataset: str, *, provider: Provider | None = None, subject: Subjects = None,
    start: Any = None, end: Any = None,
) -> int:  # fmt: skip
    """How many rows :func:`iter_dataset` would yield with the same arguments."""
    t, conditions = _select(dataset, provider, subject, start, end)
    stmt = sa.select(sa.func.count()).select_from(t).where(*conditions)
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
    columns: Sequence[str] | None = None,
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
        Rows fetched per round trip and per yielded frame.
    columns
        Projection (default every column).

    Raises
    ------
    StoreError
        For an unknown data set or a market read without a provider.
    """
    if chunk_rows < 1:
        raise StoreError(f"chunk_rows must be positive, got {chunk_rows}")
    t, conditions = _select(dataset, provider, subject, start, end)
    cols = [t.c[c] for c in columns] if columns else list(t.c)
    order = [t.c[c] for c in natural_key(t)]
    stmt = sa.select(*cols).where(*conditions).order_by(*order)
    kinds = column_kinds(dataset)
    with store.engine.connect() as conn:
        result = conn.execution_options(stream_results=True, max_row_buffer=chunk_rows).execute(
            stmt
        )
        names = list(result.keys())
        for rows in result.partitions(chunk_rows):
            yield _typed(pd.DataFrame(rows, columns=names), kinds)


def _typed(frame: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    # The same frame shapes as Store.read: instants UTC, dates as midnight datetimes.
    for c in frame.columns:
        kind = kinds.get(c)
        if kind == "timestamp":
            frame[c] = pd.to_datetime(frame[c], utc=True)
        elif kind == "date":
            frame[c] = pd.to_datetime(frame[c])
        elif kind == "float":
            frame[c] = pd.to_numeric(frame[c], errors="coerce").astype("float64")
    return frame
