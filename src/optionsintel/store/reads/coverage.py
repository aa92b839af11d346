"""Which days each market data set holds, per provider, read without scanning the big tables.

The intraday tables are partitioned by IST day, so their days are the partition
inventory; a partition counts for a provider only if it holds a row of that provider,
found by a *loose index scan* of the primary key (which leads with ``underlying,
provider``): one index probe per distinct (underlying, provider) pair of a partition, a
handful per day, whatever the number of rows. The daily and analytics tables hold a few
rows per day and are grouped directly. Missing trading days are the calendar's business
(:func:`optionsintel.calendar.missing_trading_days`), added by the caller.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pandas as pd
import sqlalchemy as sa
from psycopg import sql

from optionsintel.store.engine import raw_connection
from optionsintel.store.partitions import list_partitions, partition_day
from optionsintel.store.reads._common import MARKET_DATASETS, time_column
from optionsintel.store.schema import PARTITIONED_TABLES, metadata
from optionsintel.tz import EXCHANGE_TZ

if TYPE_CHECKING:
    from optionsintel.store.api import Store

__all__ = ["COVERAGE_COLUMNS", "read_coverage", "read_stored_days"]

#: Columns of :func:`read_coverage`.
COVERAGE_COLUMNS = ("dataset", "provider", "first_day", "last_day", "days", "stored_days")

# One partition's providers: walk the distinct (underlying, provider) pairs of the primary
# key from one to the next (PostgreSQL has no skip scan), then keep the providers.
_LOOSE_SCAN = """
(WITH RECURSIVE pairs(underlying, provider) AS (
   (SELECT underlying, provider FROM {part} ORDER BY underlying, provider LIMIT 1)
   UNION ALL
   SELECT nxt.underlying, nxt.provider FROM pairs, LATERAL (
     SELECT p.underlying, p.provider FROM {part} p
     WHERE (p.underlying, p.provider) > (pairs.underlying, pairs.provider)
     ORDER BY p.underlying, p.provider LIMIT 1) nxt
 )
 SELECT DISTINCT {day}::date AS day, provider FROM pairs)
"""


def read_stored_days(store: Store) -> pd.DataFrame:
    """One row per (``dataset``, ``provider``, ``day``) holding data; ``day`` is the IST date.

    Every market data set of :data:`~optionsintel.store.reads.MARKET_DATASETS` is listed,
    across providers (a menu of what is stored, never values).
    """
    parts = []
    with store.engine.connect() as conn:
        for dataset in MARKET_DATASETS:
            if dataset in PARTITIONED_TABLES:
                rows = _partition_days(conn, dataset)
            else:
                rows = _table_days(conn, dataset)
            parts.append(pd.DataFrame(rows, columns=["day", "provider"]).assign(dataset=dataset))
    out = pd.concat(parts, ignore_index=True)
    out["day"] = pd.to_datetime(out["day"]).dt.date
    return out.loc[:, ["dataset", "provider", "day"]].sort_values(["dataset", "provider", "day"])


def read_coverage(store: Store) -> pd.DataFrame:
    """Days covered per data set and provider.

    Returns
    -------
    pandas.DataFrame
        :data:`COVERAGE_COLUMNS`: ``first_day`` and ``last_day`` (IST dates), ``days``
        (how many distinct days hold rows) and ``stored_days`` (their sorted list), one
        row per (data set, provider) with data, sorted by data set then provider.
    """
    days = read_stored_days(store)
    if days.empty:
        return pd.DataFrame(columns=list(COVERAGE_COLUMNS))
    grouped = days.groupby(["dataset", "provider"], sort=True)["day"]
    out = grouped.agg(first_day="min", last_day="max", days="nunique").reset_index()
    out["stored_days"] = [sorted(set(v)) for _, v in grouped]
    return out.loc[:, list(COVERAGE_COLUMNS)]


def _partition_days(conn: sa.Connection, table: str) -> list[tuple[dt.date, str]]:
    names = list_partitions(conn, table)
    if not names:
        return []
    query = sql.SQL(" UNION ALL ").join(
        sql.SQL(_LOOSE_SCAN).format(
            part=sql.Identifier(name), day=sql.Literal(partition_day(name).isoformat())
        )
        for name in names
    )
    with raw_connection(conn).cursor() as cur:
        cur.execute(query)
        return [(row[0], str(row[1])) for row in cur.fetchall()]


def _table_days(conn: sa.Connection, dataset: str) -> list[tuple[dt.date, str]]:
    table = metadata.tables[dataset]
    col = table.c[time_column(dataset)]  # type: ignore[arg-type]
    day = (
        col
        if isinstance(col.type, sa.Date)
        else sa.cast(sa.func.timezone(EXCHANGE_TZ, col), sa.Date)
    )
    stmt = sa.select(day.label("day"), table.c.provider).group_by(day, table.c.provider)
    return [(row[0], str(row[1])) for row in conn.execute(stmt)]
