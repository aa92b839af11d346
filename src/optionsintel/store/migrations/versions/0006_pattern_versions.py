"""Custom patterns as a head record plus immutable, insert-only versions.

Why: issue 13. Scans, backtests and alerts pin a pattern version (``pattern_id@version``)
and must get the very rule they pinned for ever after, so a version can never be
updated: ``pattern_versions`` is written only with the store's insert-only append
(a second write of a key is an error) and keeps, per version, who saved it and when,
the canonical JSON definition, its text form, a SHA-256 content hash (saving an
unchanged definition is not a new version), the rule ``schema_version`` and a note.
``custom_patterns`` becomes the pattern's head: its display name, owner, description,
newest version (moved by compare-and-set, so two concurrent saves cannot both win) and
an archived flag. The 0001 ``custom_patterns`` (one mutable row per name and version)
was never written by any code; the upgrade refuses to drop it if it holds rows, so no
definition is lost silently. Downgrading drops both tables and restores the 0001 table
empty (pattern versions are lost: export them first).

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    rows = op.get_bind().execute(sa.text("SELECT count(*) FROM custom_patterns")).scalar()
    if rows:
        raise RuntimeError(
            f"custom_patterns holds {rows} rows of the old layout; export them "
            "(pg_dump -t custom_patterns) and empty the table before upgrading"
        )
    op.drop_table("custom_patterns")
    op.create_table(
        "custom_patterns",
        sa.Column("pattern_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("archived", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", _TS, server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", _TS, server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "latest_version >= 1", name=op.f("ck_custom_patterns_latest_version_positive")
        ),
        sa.PrimaryKeyConstraint("pattern_id", name=op.f("pk_custom_patterns")),
    )
    op.create_table(
        "pattern_versions",
        sa.Column("pattern_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", _TS, server_default=sa.text("now()"), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint("version >= 1", name=op.f("ck_pattern_versions_version_positive")),
        sa.ForeignKeyConstraint(
            ["pattern_id"],
            ["custom_patterns.pattern_id"],
            name=op.f("fk_pattern_versions_pattern_id_custom_patterns"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("pattern_id", "version", name=op.f("pk_pattern_versions")),
    )


def downgrade() -> None:
    op.drop_table("pattern_versions")
    op.drop_table("custom_patterns")
    op.create_table(
        "custom_patterns",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", _TS, server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("version >= 1", name=op.f("ck_custom_patterns_version_positive")),
        sa.PrimaryKeyConstraint("name", "version", name=op.f("pk_custom_patterns")),
    )
