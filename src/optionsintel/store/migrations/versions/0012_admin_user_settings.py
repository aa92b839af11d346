"""Per-user settings of the apps (issue 20): one JSONB document per username.

Why: every app (market monitor, reports, admin) applies the person's preferences -
default underlying and universe, refresh interval, decimals, number format, colour
scheme, density, default dashboard. The document is validated by
``optionsintel.services.user_settings.UserSettings`` before it is stored; the row is
upserted (a settings change replaces the previous one; the audit log keeps the history).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "user_settings",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("settings", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_user_settings")),
    )


def downgrade() -> None:
    op.drop_table("user_settings")
