"""Announce new alert outbox rows on LISTEN/NOTIFY from the database itself.

Why: issue 17 (event to webhook p99 < 50 ms). Every producer appended its outbox rows and
then sent ``SELECT pg_notify(...)`` in a statement of its own: one more round trip in the
transaction of every tick that raised a notification. A statement-level trigger on
``alert_notifications`` now sends ``pg_notify('optionsintel_alert_notifications', '')``
whenever an ``INSERT`` stored at least one row (the transition table is empty when every
key was already stored and skipped), delivered when the inserting transaction commits, as
before. The dispatchers' wake-up no longer depends on each producer remembering to call
``notify``; the outbox table stays the truth (dispatchers still poll).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION optionsintel_alert_outbox_inserted() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM inserted_rows) THEN
                PERFORM pg_notify('optionsintel_alert_notifications', '');
            END IF;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER alert_notifications_inserted AFTER INSERT ON alert_notifications "
        "REFERENCING NEW TABLE AS inserted_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION optionsintel_alert_outbox_inserted()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS alert_notifications_inserted ON alert_notifications")
    op.execute("DROP FUNCTION IF EXISTS optionsintel_alert_outbox_inserted()")
