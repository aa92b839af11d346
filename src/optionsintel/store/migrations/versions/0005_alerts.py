"""Alerts: rule documents and mute state, per-instrument arm state, delivery attempts, feed.

Why (issue 17, alerts and notifications):

* ``alert_rules.definition`` keeps the whole validated rule (symbols or watchlist,
  condition, channels, schedule, caps) so the rule model can grow without a migration per
  field; ``status`` (ACTIVE / MUTED) is a state column so muting is a compare-and-set.
* ``alert_rule_state``: hysteresis, cooldown and the daily cap need memory between ticks
  per (rule, instrument): armed, last trigger, triggers on the current IST day. It is
  written in the tick's transaction together with the outbox rows it explains.
* ``alert_notifications`` gains the trigger it came from (``trigger_key``, instrument,
  instant) and ``claimed_by``, the dispatcher holding its lease; a partial index finds
  SENDING rows whose lease (``next_attempt_at``) has expired.
* ``alert_delivery_attempts`` is insert-only: every attempt (sent, retried, failed,
  abandoned by a dispatcher that died) is recorded and never rewritten.
* ``alert_feed`` is the in-app channel: one row per user and notification, UNREAD / READ.
* ``alert_watchlists``: named symbol lists a rule can watch instead of listing symbols.

Webhook secrets are deliberately NOT stored: they must be usable to sign, so a hash is
useless and a reversible encryption key would sit beside the data. A rule names the
environment variable holding its endpoint's secret (``OPTIONSINTEL_WEBHOOK_SECRET_<NAME>``).

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)
_JSON = postgresql.JSONB(astext_type=sa.Text())


def _now() -> sa.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    op.add_column(
        "alert_rules",
        sa.Column("definition", _JSON, server_default=sa.text("'{}'::jsonb"), nullable=False),
    )
    op.add_column(
        "alert_rules", sa.Column("status", sa.String(8), server_default="ACTIVE", nullable=False)
    )
    op.add_column(
        "alert_rules", sa.Column("updated_at", _TS, server_default=_now(), nullable=False)
    )
    op.create_check_constraint(
        op.f("ck_alert_rules_status"), "alert_rules", "status IN ('ACTIVE', 'MUTED')"
    )
    for name, type_ in (
        ("trigger_key", sa.String(64)),
        ("instrument", sa.String(40)),
        ("triggered_at", _TS),
        ("claimed_by", sa.String(64)),
    ):
        op.add_column("alert_notifications", sa.Column(name, type_, nullable=True))
    op.create_index(
        "ix_alert_notifications_leased",
        "alert_notifications",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'SENDING'"),
    )
    op.create_index(
        "ix_alert_notifications_rule", "alert_notifications", ["owner", "rule_name", "created_at"]
    )
    _create_rule_state()
    _create_attempts()
    _create_feed()
    op.create_table(
        "alert_watchlists",
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("symbols", _JSON, server_default=sa.text("'[]'::jsonb"), nullable=False),
        sa.Column("created_at", _TS, server_default=_now(), nullable=False),
        sa.PrimaryKeyConstraint("owner", "name", name=op.f("pk_alert_watchlists")),
    )


def _create_rule_state() -> None:
    op.create_table(
        "alert_rule_state",
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("rule_name", sa.String(80), nullable=False),
        sa.Column("instrument", sa.String(40), nullable=False),
        sa.Column("armed", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("last_trigger_at", _TS, nullable=True),
        sa.Column("trigger_day", sa.Date(), nullable=True),
        sa.Column("triggers_today", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated_at", _TS, server_default=_now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner", "rule_name"],
            ["alert_rules.owner", "alert_rules.name"],
            name=op.f("fk_alert_rule_state_owner_alert_rules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "owner", "rule_name", "instrument", name=op.f("pk_alert_rule_state")
        ),
    )


def _create_attempts() -> None:
    op.create_table(
        "alert_delivery_attempts",
        sa.Column("dedupe_key", sa.String(160), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("dispatcher", sa.String(64), nullable=False),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("finished_at", _TS, nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("latency_ms", sa.Float(precision=53), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('SENT', 'RETRY', 'FAILED', 'ABANDONED')",
            name=op.f("ck_alert_delivery_attempts_outcome"),
        ),
        sa.CheckConstraint(
            "attempt >= 1", name=op.f("ck_alert_delivery_attempts_attempt_positive")
        ),
        sa.ForeignKeyConstraint(
            ["dedupe_key"],
            ["alert_notifications.dedupe_key"],
            name=op.f("fk_alert_delivery_attempts_dedupe_key_alert_notifications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("dedupe_key", "attempt", name=op.f("pk_alert_delivery_attempts")),
    )


def _create_feed() -> None:
    op.create_table(
        "alert_feed",
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("dedupe_key", sa.String(160), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("rule_name", sa.String(80), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("payload", _JSON, server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("status", sa.String(8), server_default="UNREAD", nullable=False),
        sa.Column("created_at", _TS, server_default=_now(), nullable=False),
        sa.Column("updated_at", _TS, server_default=_now(), nullable=False),
        sa.CheckConstraint("status IN ('UNREAD', 'READ')", name=op.f("ck_alert_feed_status")),
        sa.PrimaryKeyConstraint("username", "dedupe_key", name=op.f("pk_alert_feed")),
    )
    op.create_index(
        "ix_alert_feed_unread",
        "alert_feed",
        ["username", "created_at"],
        postgresql_where=sa.text("status = 'UNREAD'"),
    )


def downgrade() -> None:
    op.drop_table("alert_watchlists")
    op.drop_index("ix_alert_feed_unread", table_name="alert_feed")
    op.drop_table("alert_feed")
    op.drop_table("alert_delivery_attempts")
    op.drop_table("alert_rule_state")
    op.drop_index("ix_alert_notifications_rule", table_name="alert_notifications")
    op.drop_index("ix_alert_notifications_leased", table_name="alert_notifications")
    for name in ("claimed_by", "triggered_at", "instrument", "trigger_key"):
        op.drop_column("alert_notifications", name)
    op.drop_constraint(op.f("ck_alert_rules_status"), "alert_rules", type_="check")
    for name in ("updated_at", "status", "definition"):
        op.drop_column("alert_rules", name)
