"""What the database server says about itself: size, biggest tables (administration)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import sqlalchemy as sa

if TYPE_CHECKING:
    from optionsintel.store.api import Store

__all__ = ["database_size", "table_sizes"]


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
