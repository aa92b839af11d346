"""Announce every change to chain snapshots and pattern heads on LISTEN/NOTIFY channels.

Why: issue 18 (API load). The API answers a chain as of an instant and a user's pattern
list from memory while their rows are unchanged (:mod:`optionsintel.services.notified_cache`).
A statement-level trigger sends ``pg_notify(channel, table)`` for every INSERT, UPDATE,
DELETE and TRUNCATE of ``option_chain_snapshots`` (channel ``optionsintel_chains``; on
the partitioned table, so every write through it is seen) and of ``custom_patterns``
(channel ``optionsintel_patterns``), delivered when the changing transaction commits; the
API drops the matching cache on receipt. Dropping old partitions (retention) announces
itself from :func:`optionsintel.store.partitions.drop_partitions_before`.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TRIGGERS = {"option_chain_snapshots": "optionsintel_chains",
             "custom_patterns": "optionsintel_patterns"}  # fmt: skip


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION optionsintel_rows_changed() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify(TG_ARGV[0], TG_TABLE_NAME);
            RETURN NULL;
        END
        $$
        """
    )
    for table, channel in _TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER {table}_rows_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION optionsintel_rows_changed('{channel}')"
        )


def downgrade() -> None:
    for table in _TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_rows_changed ON {table}")
    op.execute("DROP FUNCTION IF EXISTS optionsintel_rows_changed()")
