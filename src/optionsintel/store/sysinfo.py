"""What the database server says about itself: size, biggest tables (administration)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import sqlalchemy as sa

from optionsintel.store.partitions import partition_name
from optionsintel.store.schema import PARTITIONED_TABLES, metadata

if TYPE_CHECKING:
    import datetime as dt

    from optionsintel.store.api import Store

__all__ = ["connected_clients", "database_size", "day_counts", "partition_sizes", "table_sizes"]


def database_size(store: Store) -> int:
    """Bytes used by the current database (``pg_database_size``)."""
    with store.engine.connect() as conn:
        return int(
            conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar_one()
        )


def table_sizes(store: Store, limit: int = 25) -> pd.DataFrame:
    """The largest tables (partitions summed into their parent): table, bytes, est. rows."""
    stmt = sa.text(
        """
        SELECT coalesce(parent.relname, c.relname) AS table_name,
               sum(pg_total_relation_size(c.oid))::bigint AS bytes,
               sum(greatest(c.reltuples, 0))::bigint AS est_rows,
               count(*) AS partitions
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
        LEFT JOIN pg_inherits i ON i.inhrelid = c.oid
        LEFT JOIN pg_class parent ON parent.oid = i.inhparent
        WHERE c.relkind = 'r'
        GROUP BY 1 ORDER BY 2 DESC LIMIT :limit
        """
    )
    with store.engine.connect() as conn:
        return pd.DataFrame(conn.execute(stmt, {"limit": int(limit)}).mappings().all(),
                            columns=["table_name", "bytes", "est_rows", "partitions"])  # fmt: skip


def partition_sizes(store: Store) -> pd.DataFrame:
    """Per intraday (partitioned) table: partitions, first and last partition, bytes."""
    stmt = sa.text(
        """
        SELECT p.relname AS table_name, count(c.oid) AS partitions,
               min(c.relname) AS first_partition, max(c.relname) AS last_partition,
               coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint AS bytes
        FROM pg_class p
        JOIN pg_namespace n ON n.oid = p.relnamespace AND n.nspname = current_schema()
        LEFT JOIN pg_inherits i ON i.inhparent = p.oid
        LEFT JOIN pg_class c ON c.oid = i.inhrelid
        WHERE p.relname = ANY(:tables)
        GROUP BY p.relname ORDER BY p.relname
        """
    )
    cols = ["table_name", "partitions", "first_partition", "last_partition", "bytes"]
    with store.engine.connect() as conn:
        rows = conn.execute(stmt, {"tables": sorted(PARTITIONED_TABLES)}).mappings().all()
    return pd.DataFrame(rows, columns=cols)


def day_counts(store: Store, day: dt.date) -> pd.DataFrame:
    """Rows per intraday table and provider stored for IST ``day`` (its partition only)."""
    rows: list[dict[str, object]] = []
    with store.engine.connect() as conn:
        for name in sorted(PARTITIONED_TABLES):
            part = partition_name(name, day)
            exists = conn.execute(sa.text("SELECT to_regclass(:p)"), {"p": part}).scalar()
            if exists is None:
                continue
            t = sa.table(part, sa.column("provider"), schema=metadata.tables[name].schema)
            stmt = sa.select(t.c.provider, sa.func.count()).group_by(t.c.provider)
            rows += [{"dataset": name, "provider": str(p), "rows": int(n)}
                     for p, n in conn.execute(stmt)]  # fmt: skip
    return pd.DataFrame(rows, columns=["dataset", "provider", "rows"])


def connected_clients(store: Store, application_name: str) -> pd.DataFrame:
    """Sessions on this database whose client named itself ``application_name``.

    Columns ``pid``, ``backend_start``, ``state_change`` (UTC), one row per session,
    oldest first. Processes of the platform name their sessions (the alert dispatcher's
    engine does, :func:`optionsintel.store.engine.get_engine`), so "is it up" is a
    question the server answers without a port of its own.
    """
    stmt = sa.text(
        "SELECT pid, backend_start, state_change FROM pg_stat_activity "
        "WHERE datname = current_database() AND application_name = :name "
        "AND pid <> pg_backend_pid() ORDER BY backend_start"
    )
    with store.engine.connect() as conn:
        rows = conn.execute(stmt, {"name": application_name}).mappings().all()
    return pd.DataFrame(rows, columns=["pid", "backend_start", "state_change"])
