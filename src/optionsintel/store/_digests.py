"""Digests of large direct writes: an unchanged re-run recognised without a merge.

When :func:`optionsintel.store.bulk.copy_merge` COPYs a large frame straight into a
partitioned table (no stored row could share a key), :func:`record` keeps the SHA-256 of
the frame's encoded contents (``ingested_at`` and other bookkeeping columns left out),
the row count and the transaction id the rows were written by (their ``xmin``: the
savepoint's subtransaction, unique to that COPY). :func:`unchanged` then says whether
writing a frame with the same digest would change nothing: the digest is known, and the
frame's key range holds exactly that many rows, every one still carrying that ``xmin``.

Why that is exact: rows whose stored contents equal the frame (they were COPYed from
it into an empty key range) stay equal to it as long as no row in the range is inserted,
updated or deleted. An insert or update creates a row version with a newer ``xmin``; a
delete lowers the count; a delete plus an insert does both. A frozen row may read
another ``xmin``: the check then fails and the caller merges, as it would without
digests. Digests older than 10^9 transactions are ignored, far before a 32-bit ``xmin``
can repeat. So a digest can only save work, never skip a change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

#: Digests older than this many transactions are not trusted (xids wrap at 2^32).
MAX_AGE_XACTS = 1_000_000_000
#: Digests kept per table (the newest); older ones are dropped when one is recorded.
KEEP_PER_TABLE = 512


@dataclass(frozen=True)
class Near:
    """A WHERE clause (and its parameters) covering every key a frame can collide with."""

    where: sql.Composable
    params: list[Any]


def record(cur: psycopg.Cursor[Any], table: str, near: Near, digest: bytes, rows: int) -> None:
    """Remember that the ``rows`` rows in ``near`` were just COPYed from ``digest``'s frame.

    Called inside the writing transaction, right after the COPY (a rollback drops the
    digest with the rows).
    """
    cur.execute(
        sql.SQL("SELECT xmin::text FROM {t} WHERE {w} LIMIT 1").format(
            t=sql.Identifier(table), w=near.where
        ),
        near.params,
    )
    row = cur.fetchone()
    if row is None:  # pragma: no cover - the rows were just written
        return
    cur.execute(
        "INSERT INTO write_digests (table_name, digest, rows, row_xmin, xact) "
        "VALUES (%s, %s, %s, %s, pg_current_xact_id()::text::bigint) "
        "ON CONFLICT (table_name, digest) DO UPDATE SET rows = EXCLUDED.rows, "
        "row_xmin = EXCLUDED.row_xmin, xact = EXCLUDED.xact, created_at = now()",
        (table, digest, rows, int(row[0])),
    )
    cur.execute(
        "DELETE FROM write_digests WHERE table_name = %s AND digest IN (SELECT digest "
        "FROM write_digests WHERE table_name = %s ORDER BY xact DESC OFFSET %s)",
        (table, table, KEEP_PER_TABLE),
    )


def unchanged(cur: psycopg.Cursor[Any], table: str, near: Near, digest: bytes, rows: int) -> bool:
    """Whether ``near`` still holds exactly the rows COPYed from ``digest``'s frame.

    One primary-key lookup, then (only when the digest is known) one scan of the
    frame's key range reading each row's ``xmin``.
    """
    cur.execute(
        "SELECT rows, row_xmin, pg_current_xact_id()::text::bigint - xact "
        "FROM write_digests WHERE table_name = %s AND digest = %s",
        (table, digest),
    )
    known = cur.fetchone()
    if known is None or known[0] != rows or known[2] > MAX_AGE_XACTS:
        return False
    cur.execute(
        sql.SQL(
            "SELECT count(*), count(*) FILTER (WHERE xmin <> {x}::xid) FROM {t} WHERE {w}"
        ).format(t=sql.Identifier(table), w=near.where, x=sql.Literal(str(known[1]))),
        near.params,
    )
    stored, other = cur.fetchone()  # type: ignore[misc]
    return bool(stored == rows and other == 0)
