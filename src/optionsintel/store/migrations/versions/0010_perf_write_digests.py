"""Digests of large bulk writes, so an unchanged re-run of a backfill costs a fraction.

Why: issue 21. Backfills are re-run often; comparing 1M staged rows with the stored
ones costs about as much as loading them. When ``store.bulk`` COPYs a large frame
straight into a partitioned table (no stored row could share a key), it records the
SHA-256 of the frame's encoded contents, the row count and the transaction id (``xmin``)
its rows got. A later write of a frame with the same digest is a no-op if the same
rows are still there untouched: as many rows in the frame's key range, all with that
``xmin`` (any insert, update or delete since gives a row another ``xmin`` or changes the
count). Anything else falls back to the full merge, so a digest can only save work,
never skip a change. Downgrading drops the table (nothing but a cache is lost).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "write_digests",
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.LargeBinary(), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("row_xmin", sa.BigInteger(), nullable=False),
        sa.Column("xact", sa.BigInteger(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("table_name", "digest", name=op.f("pk_write_digests")),
    )


def downgrade() -> None:
    op.drop_table("write_digests")
