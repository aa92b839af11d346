"""Daily (IST) range partitions of the intraday tables: creation on demand and retention."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd
from psycopg import sql
from sqlalchemy import Connection, text

from optionsintel.store.engine import raw_connection
from optionsintel.store.schema import PARTITIONED_TABLES

#: :data:`optionsintel.store.notify.CHAINS_CHANNEL` (that module imports this one's users).
CHAINS_CHANNEL = "optionsintel_chains"
IST = dt.timezone(dt.timedelta(hours=5, minutes=30))

PARTITION_BATCH = 100
"""Partitions touched per transaction by counts, VACUUM and retention.

Each partition costs about three lock-table slots (table, primary key, BRIN index); the
shared lock table holds ``max_locks_per_transaction * max_connections`` slots (6,400 with
PostgreSQL's defaults), so 100 partitions (~300 slots) leave room for everything else.
"""


def partition_name(table: str, day: dt.date) -> str:
    """Name of ``table``'s partition holding IST calendar day ``day``."""
    return f"{table}_p{day:%Y%m%d}"


def ist_days(timestamps: pd.Series) -> list[dt.date]:
    """The distinct IST calendar days of aware ``timestamps``."""
    # distinct instants first: a 1M-row backfill has ~100 (``.dt.date`` on every row
    # built 1M Python dates, ~0.5 s)
    instants = pd.DatetimeIndex(pd.to_datetime(timestamps, utc=True).unique())
    return sorted(set(instants.tz_convert(IST).date))


def ensure_partitions(conn: Connection, table: str, days: Iterable[dt.date]) -> list[str]:
    """Create the partitions of ``table`` for ``days`` that do not exist yet.

    Returns the names created. Safe under concurrency: ``IF NOT EXISTS`` plus a
    transaction-scoped advisory lock per table, so two writers never race on DDL.
    """
    if table not in PARTITIONED_TABLES:
        return []
    days = sorted(set(days))
    if not days:
        return []
    existing = set(list_partitions(conn, table))
    missing = [d for d in days if partition_name(table, d) not in existing]
    if not missing:
        return []
    raw = raw_connection(conn)
    with raw.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"partition:{table}",))
        for day in missing:
            lo = dt.datetime.combine(day, dt.time(), IST)
            hi = lo + dt.timedelta(days=1)
            cur.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {part} PARTITION OF {parent} "
                    "FOR VALUES FROM ({lo}) TO ({hi})"
                ).format(
                    part=sql.Identifier(partition_name(table, day)),
                    parent=sql.Identifier(table),
                    lo=sql.Literal(lo.isoformat()),
                    hi=sql.Literal(hi.isoformat()),
                )
            )
    return [partition_name(table, d) for d in missing]


def missing_partitions_query(table: str, days: Iterable[dt.date]) -> tuple[sql.SQL, tuple]:
    """A query (and its parameters) naming which partitions of ``days`` do not exist.

    For callers that send it together with other statements (one round trip); its rows
    are the missing names, for :func:`ensure_partitions` to create. Same lookup as
    :func:`list_partitions` (by the parent's name).
    """
    names = [partition_name(table, d) for d in sorted(set(days))]
    query = sql.SQL(
        "SELECT n FROM unnest(%s::text[]) AS n WHERE NOT EXISTS (SELECT 1 FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent "
        "WHERE p.relname = %s AND c.relname = n)"
    )
    return query, (names, table)


def list_partitions(conn: Connection, table: str) -> list[str]:
    """Names of the existing partitions of ``table``, oldest first."""
    rows = conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent "
            "WHERE p.relname = :t ORDER BY c.relname"
        ),
        {"t": table},
    ).scalars()
    return list(rows)


def partition_day(name: str) -> dt.date:
    """The IST day a partition name stands for."""
    return dt.datetime.strptime(name.rsplit("_p", 1)[1], "%Y%m%d").date()


def drop_partitions_before(
    conn: Connection, table: str, cutoff: dt.date, limit: int | None = None
) -> list[str]:
    """Drop partitions of ``table`` for days strictly before ``cutoff``, oldest first.

    At most ``limit`` partitions are dropped (all when None); the caller commits, so a
    bounded ``limit`` bounds the locks held by the transaction. Returns the names dropped.
    """
    old = [n for n in list_partitions(conn, table) if partition_day(n) < cutoff]
    old = old if limit is None else old[:limit]
    raw = raw_connection(conn)
    with raw.cursor() as cur:
        for name in old:
            cur.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(name)))
        if old and table == "option_chain_snapshots":  # no trigger sees a dropped partition
            cur.execute("SELECT pg_notify(%s, %s)", (CHAINS_CHANNEL, table))
    return old
