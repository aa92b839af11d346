"""User strategies saved from the strategy builder, as insert-only versions.

Why: issue 16. A strategy built in the builder (its legs, and the relative rules the
options backtester re-applies at every entry) is saved under the user's name and can be
sent to the options backtester; a stored backtest names ``owner/name@version`` and must
find the very legs it ran. So ``user_strategies`` is insert-only (the store's append: a
second write of a key is an error): each save of a changed definition adds version n+1;
saving an unchanged definition (same SHA-256 of its canonical JSON) stores nothing.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "user_strategies",
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("underlying", sa.String(length=40), nullable=False),
        sa.Column("legs", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("rules", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_user_strategies_version_positive")),
        sa.PrimaryKeyConstraint("owner", "name", "version", name=op.f("pk_user_strategies")),
    )


def downgrade() -> None:
    op.drop_table("user_strategies")
