"""Bulk idempotent writes: COPY into a temporary table, then a merge.

The merge is ``INSERT ... SELECT ... ON CONFLICT (natural key) DO NOTHING`` followed, only
when some keys already existed, by ``UPDATE ... FROM`` the staging table for the rows
whose values differ. Re-running a load rewrites nothing (not even ``ingested_at``), a
changed row is updated in place, and the caller learns how many rows were inserted,
updated and left unchanged. Everything runs inside the caller's transaction.

Why not one ``INSERT ... ON CONFLICT DO UPDATE``: on a partitioned table it cannot say
which rows were inserted (no ``xmax`` in ``RETURNING``), and counting existing keys first
costs a join that doubled the time of a fresh 10k-row snapshot (benchmarks/bench_store.py).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import pandas as pd
import psycopg
import sqlalchemy as sa
from psycopg import sql
from sqlalchemy import Connection
from sqlalchemy.dialects.postgresql import JSONB

from optionsintel.errors import FrameValidationError
from optionsintel.frames import to_jsonable
from optionsintel.store import _pgbinary
from optionsintel.store._coerce import conform
from optionsintel.store.engine import raw_connection
from optionsintel.store.partitions import ensure_partitions, ist_days
from optionsintel.store.schema import PARTITIONED_TABLES, natural_key

_NO_COMPARE = frozenset({"ingested_at", "created_at", "updated_at"})

#: Raw market observations: a later partial answer (a field the source left out this
#: time) never replaces a stored value with NULL. Derived tables (OI deltas, daily
#: summaries, signals) and state tables (alerts, operations: ``last_error`` is cleared
#: on success) are recomputed whole, so NULL there is a legitimate new value.
KEEP_STORED_VALUES = frozenset(
    {"underlying_quotes", "option_chain_snapshots", "intraday_open_interest", "daily_ohlc",
     "eod_option_chain", "equity_fundamentals"}
)  # fmt: skip


@dataclass(frozen=True)
class MergeResult:
    """Row counts of one merge."""

    table: str
    rows: int
    inserted: int
    updated: int

    @property
    def unchanged(self) -> int:
        """Rows that were already stored exactly as given."""
        return self.rows - self.inserted - self.updated


def prepare_frame(table: sa.Table, frame: pd.DataFrame) -> pd.DataFrame:
    """Select the table's columns, check the natural key, serialise JSON columns.

    Raises
    ------
    FrameValidationError
        When key columns are missing or null, keys are duplicated, or a value cannot be
        stored exactly as given (see :mod:`optionsintel.store._coerce`).
    """
    key = natural_key(table)
    missing = [c for c in key if c not in frame.columns]
    if missing:
        raise FrameValidationError(
            f"cannot write to {table.name}: key columns {missing} are missing "
            f"(natural key is {list(key)})"
        )
    cols = [c.name for c in table.columns if c.name in frame.columns]
    out = conform(table, frame.loc[:, cols])  # before the key checks: naive == aware IST
    null_keys = out[list(key)].isna().any(axis=1)
    if null_keys.any():
        raise FrameValidationError(
            f"cannot write to {table.name}: {int(null_keys.sum())} rows have null key values"
        )
    dup = out.duplicated(list(key))
    if dup.any():
        example = out.loc[dup, list(key)].iloc[0].to_dict()
        raise FrameValidationError(
            f"cannot write to {table.name}: {int(dup.sum())} rows repeat a natural key, "
            f"e.g. {example}"
        )
    json_cols = [c.name for c in table.columns if isinstance(c.type, JSONB) and c.name in cols]
    if json_cols:
        out = out.copy()
        for c in json_cols:
            out[c] = [json.dumps(to_jsonable(v)) for v in out[c]]
    return out


def prepare_with_partitions(conn: Connection, table: sa.Table, frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`prepare_frame`, then create the partitions the rows fall in (if partitioned)."""
    prepared = prepare_frame(table, frame)
    if not prepared.empty and table.name in PARTITIONED_TABLES:
        ensure_partitions(conn, table.name, ist_days(prepared[PARTITIONED_TABLES[table.name]]))
    return prepared


def copy_merge(conn: Connection, table: sa.Table, frame: pd.DataFrame) -> MergeResult:
    """Write ``frame`` into ``table`` idempotently through COPY + a merge.

    Parameters
    ----------
    conn
        A SQLAlchemy connection inside a transaction (``engine.begin()``); nothing is
        committed here, so a failure leaves nothing half-written.
    table
        Target table of :mod:`optionsintel.store.schema`.
    frame
        Rows to write; extra columns are ignored, absent non-key columns keep defaults.
    """
    prepared = prepare_with_partitions(conn, table, frame)
    if prepared.empty:
        return MergeResult(table.name, 0, 0, 0)
    tmp = f"_stage_{table.name}"
    with raw_connection(conn).cursor() as cur:
        stage_frame(cur, table, prepared, tmp)
        inserted, updated = _merge(cur, table, list(prepared.columns), tmp, len(prepared))
    return MergeResult(table.name, len(prepared), inserted, updated)


def _payload(table: sa.Table, frame: pd.DataFrame) -> tuple[str, bytes]:
    """Binary COPY data when the vectorised encoder applies, CSV text otherwise."""
    try:
        return "FORMAT binary", _pgbinary.encode(table, frame)
    except _pgbinary.TooManyLayoutsError:
        return "FORMAT csv, NULL ''", _to_csv(frame)


def _to_csv(frame: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    frame.to_csv(buf, index=False, header=False, na_rep="", date_format="%Y-%m-%d %H:%M:%S.%f%z")
    return buf.getvalue().encode()


def _merge(
    cur: psycopg.Cursor[Any], table: sa.Table, cols: list[str], tmp: str, rows: int
) -> tuple[int, int]:
    """Merge the staged rows; return (inserted, updated).

    Two statements in the caller's transaction: an ``INSERT ... ON CONFLICT DO NOTHING``
    that adds new keys, then, only when some keys already existed, an ``UPDATE ... FROM``
    the staging table for rows whose values differ. A fresh snapshot (the common case)
    thus costs one insert and no join; a re-run rewrites nothing. Rows are inserted in
    key order, so two writers of the same new keys wait for each other instead of
    deadlocking (each would otherwise lock its keys in its own frame's order).
    """
    key = natural_key(table)
    compared = [c for c in cols if c not in key and c not in _NO_COMPARE]
    ident, t, s = sql.Identifier, sql.Identifier(table.name), sql.Identifier(tmp)
    collist = sql.SQL(", ").join(map(ident, cols))
    cur.execute(
        sql.SQL(
            "WITH ins AS (INSERT INTO {t} ({cols}) SELECT {cols} FROM {s} ORDER BY {key} "
            "ON CONFLICT ({key}) DO NOTHING RETURNING 1) SELECT count(*) FROM ins"
        ).format(t=t, s=s, cols=collist, key=sql.SQL(", ").join(map(ident, key)))
    )
    inserted = int(cur.fetchone()[0])  # type: ignore[index]
    if inserted == rows or not compared:
        return inserted, 0
    updatable = [c for c in cols if c not in key]
    keep = table.name in KEEP_STORED_VALUES

    def value(c: str) -> sql.Composable:
        if keep:  # NULL in a partial answer keeps the stored value
            return sql.SQL("COALESCE(n.{c}, d.{c})").format(c=ident(c))
        return sql.SQL("n.{c}").format(c=ident(c))

    cur.execute(sql.SQL("ANALYZE {}").format(s))  # a good join plan needs the row count
    cur.execute(
        sql.SQL(
            "UPDATE {t} AS d SET {sets} FROM {s} AS n WHERE {match} "
            "AND ({old}) IS DISTINCT FROM ({new})"
        ).format(
            t=t,
            s=s,
            sets=sql.SQL(", ").join(
                sql.SQL("{c} = {v}").format(c=ident(c), v=value(c)) for c in updatable
            ),
            match=sql.SQL(" AND ").join(sql.SQL("d.{c} = n.{c}").format(c=ident(c)) for c in key),
            old=sql.SQL(", ").join(sql.SQL("d.{c}").format(c=ident(c)) for c in compared),
            new=sql.SQL(", ").join(value(c) for c in compared),
        )
    )
    return inserted, cur.rowcount


def stage_frame(
    cur: psycopg.Cursor[Any], table: sa.Table, prepared: pd.DataFrame, tmp: str
) -> None:
    """COPY ``prepared`` (see :func:`prepare_frame`) into temporary table ``tmp``.

    ``tmp`` is created like ``table`` on first use in the transaction (dropped at commit)
    and emptied otherwise, so several writes of one transaction can reuse it.
    """
    cur.execute(
        sql.SQL(
            "CREATE TEMP TABLE IF NOT EXISTS {tmp} (LIKE {t} INCLUDING DEFAULTS) ON COMMIT DROP"
        ).format(tmp=sql.Identifier(tmp), t=sql.Identifier(table.name))
    )
    cur.execute(sql.SQL("TRUNCATE {}").format(sql.Identifier(tmp)))
    fmt, payload = _payload(table, prepared)
    copy_sql = sql.SQL("COPY {tmp} ({cols}) FROM STDIN WITH ({fmt})").format(
        tmp=sql.Identifier(tmp),
        cols=sql.SQL(", ").join(map(sql.Identifier, prepared.columns)),
        fmt=sql.SQL(fmt),
    )
    with cur.copy(copy_sql) as copy:
        copy.write(payload)
