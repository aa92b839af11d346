"""Alert outbox: a SENDING state between PENDING and SENT.

Why: notification dispatchers claim pending rows with ``FOR UPDATE SKIP LOCKED`` and move
them to a state of their own in the same statement (``Store.claim``), so several
dispatchers never deliver the same notification; the old constraint allowed only PENDING,
SENT and FAILED. Downgrading puts SENDING rows back to PENDING (they are delivered again:
the outbox is at-least-once).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLE = "alert_notifications"
_NAME = "ck_alert_notifications_status"  # the full name (0001 used op.f)


def upgrade() -> None:
    op.drop_constraint(op.f(_NAME), _TABLE, type_="check")
    op.create_check_constraint(
        op.f(_NAME), _TABLE, "status IN ('PENDING', 'SENDING', 'SENT', 'FAILED')"
    )


def downgrade() -> None:
    op.execute("UPDATE alert_notifications SET status = 'PENDING' WHERE status = 'SENDING'")
    op.drop_constraint(op.f(_NAME), _TABLE, type_="check")
    op.create_check_constraint(op.f(_NAME), _TABLE, "status IN ('PENDING', 'SENT', 'FAILED')")
