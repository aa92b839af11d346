"""A user's positions, imported from a broker statement or a spreadsheet.

Why: issue 19. Users bring their own positions in (CSV, Excel, JSON, Parquet) next to
watchlists, patterns, alert rules and strategies. A position is one lot: owner, the
source it came from (a provider-like name, so two brokers' books never mix), the symbol
and an optional contract (e.g. ``NIFTY 2025-07-31 24500 CE``), when it was opened, the
signed quantity and the price. Re-importing the same statement must change nothing, so
the table is upserted on (owner, source, symbol, contract, opened_at).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "positions",
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("symbol", sa.String(length=40), nullable=False),
        sa.Column("contract", sa.String(length=80), server_default="", nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("qty", sa.Float(), nullable=False),
        sa.Column("price", sa.Float(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "ingested_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("qty <> 0", name=op.f("ck_positions_qty_nonzero")),
        sa.CheckConstraint("price >= 0", name=op.f("ck_positions_price_nonnegative")),
        sa.PrimaryKeyConstraint(
            "owner", "source", "symbol", "contract", "opened_at", name=op.f("pk_positions")
        ),
    )


def downgrade() -> None:
    op.drop_table("positions")
