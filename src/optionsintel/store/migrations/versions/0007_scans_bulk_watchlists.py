"""Scans and bulk operations: per-item progress, a final summary, saved scans.

Why (issue 14, scanner and bulk operations over thousands of symbols):

* ``bulk_operation_items``: one row per item (symbol, file, parameter set) a bulk
  operation has finished, DONE or FAILED with the error class and message. A resumed
  operation skips the DONE items; a partial failure keeps every item that succeeded
  (items are written in the same transaction as the results they stand for). The
  ``bulk_operations.item_errors`` JSON could not be resumed from and grows unbounded.
* ``bulk_operations.summary`` and ``finished_at``: the final summary of a run (counts,
  timing, what the job reports) and when it ended.
* ``saved_scans``: a named scan spec per owner with an optional cron schedule (the
  Dagster schedule per saved scan reads it) and the id of its latest run.
* ``alert_watchlists.updated_at``: the watchlists became general (scans, alerts, the
  apps: ``services/watchlists.py``); renames and bulk edits are dated.

Downgrade drops the new tables and columns (saved scans and item records are lost).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)
_JSON = postgresql.JSONB(astext_type=sa.Text())


def upgrade() -> None:
    op.add_column(
        "bulk_operations",
        sa.Column("summary", _JSON, server_default=sa.text("'{}'::jsonb"), nullable=False),
    )
    op.add_column("bulk_operations", sa.Column("finished_at", _TS, nullable=True))
    op.create_table(
        "bulk_operation_items",
        sa.Column("operation_id", sa.String(length=64), nullable=False),
        sa.Column("item", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("error", sa.String(length=64), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("updated_at", _TS, server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('DONE', 'FAILED')", name=op.f("ck_bulk_operation_items_status")
        ),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["bulk_operations.operation_id"],
            name=op.f("fk_bulk_operation_items_operation_id_bulk_operations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("operation_id", "item", name=op.f("pk_bulk_operation_items")),
    )
    op.create_table(
        "saved_scans",
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("spec", _JSON, nullable=False),
        sa.Column("schedule", sa.String(length=120), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("last_run_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", _TS, server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", _TS, server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("owner", "name", name=op.f("pk_saved_scans")),
    )
    op.add_column(
        "alert_watchlists",
        sa.Column("updated_at", _TS, server_default=sa.text("now()"), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("alert_watchlists", "updated_at")
    op.drop_table("saved_scans")
    op.drop_table("bulk_operation_items")
    op.drop_column("bulk_operations", "finished_at")
    op.drop_column("bulk_operations", "summary")
