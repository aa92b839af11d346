"""API accounts: credentials, roles, tiers, key revocation, usage counts, append-only audit.

Why: the REST API (issue 18) authenticates people (Argon2id password hash, login
throttling through a failed-login counter and a lock-out instant) and programs (API
keys that are revoked by a compare-and-set ACTIVE -> REVOKED), authorises by one role
per user (``users.role``, a checked state column so role changes are compare-and-set
too; the older ``user_roles``/``roles`` tables are left as they were), meters daily API
calls per user and tier (``api_usage``, one row per user and IST day, incremented in
one statement), and records where an audited action came from (``audit_log.source``).
``users.is_active`` is replaced by ``users.status`` (ACTIVE/DISABLED), a state column
the store's transitions can move.

The audit log becomes append-only in the database itself: a statement trigger raises
on any UPDATE or DELETE. A trigger (not a REVOKE of privileges) because it binds every
role, including the superuser the CI server and the embedded server connect as, and
because a role-grant scheme would need a second database role the embedded server does
not have. TRUNCATE stays possible (test fixtures, and an operator's deliberate retention).

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)

_GUARD_FUNCTION = """
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is refused', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'audit records are immutable; write a new record instead';
END
$$
"""
_GUARD_TRIGGER = """
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()
"""


def _users_up() -> None:
    add = op.add_column
    add("users", sa.Column("password_hash", sa.Text()))
    add("users", sa.Column("role", sa.String(16), server_default="USER", nullable=False))
    add("users", sa.Column("tier", sa.String(16), server_default="FREE", nullable=False))
    add("users", sa.Column("status", sa.String(10), server_default="ACTIVE", nullable=False))
    add("users", sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False))
    add("users", sa.Column("locked_until", _TS))
    add("users", sa.Column("last_login_at", _TS))
    add("users", sa.Column("updated_at", _TS, server_default=sa.text("now()"), nullable=False))
    op.execute("UPDATE users SET status = 'DISABLED' WHERE NOT is_active")
    op.drop_column("users", "is_active")
    check = op.create_check_constraint
    check(op.f("ck_users_role"), "users", "role IN ('USER', 'ADMIN', 'SUPER_ADMIN')")
    check(op.f("ck_users_tier"), "users", "tier IN ('FREE', 'PRO', 'VIP', 'INSTITUTIONAL')")
    check(op.f("ck_users_status"), "users", "status IN ('ACTIVE', 'DISABLED')")
    check(op.f("ck_users_failed_logins_non_negative"), "users", "failed_logins >= 0")


def upgrade() -> None:
    _users_up()
    op.add_column(
        "api_keys", sa.Column("status", sa.String(8), server_default="ACTIVE", nullable=False)
    )
    op.execute("UPDATE api_keys SET status = 'REVOKED' WHERE revoked_at IS NOT NULL")
    op.create_check_constraint(
        op.f("ck_api_keys_status"), "api_keys", "status IN ('ACTIVE', 'REVOKED')"
    )
    op.create_index("ix_api_keys_username", "api_keys", ["username"])
    op.add_column("audit_log", sa.Column("source", sa.String(64)))
    op.create_table(
        "api_usage",
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("calls", sa.BigInteger(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["username"],
            ["users.username"],
            name=op.f("fk_api_usage_username_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("username", "day", name=op.f("pk_api_usage")),
    )
    op.execute(_GUARD_FUNCTION)
    op.execute(_GUARD_TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
    op.execute("DROP FUNCTION audit_log_refuse_change()")
    op.drop_table("api_usage")
    op.drop_column("audit_log", "source")
    op.drop_index("ix_api_keys_username", table_name="api_keys")
    op.drop_constraint(op.f("ck_api_keys_status"), "api_keys", type_="check")
    op.drop_column("api_keys", "status")
    op.add_column(
        "users", sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False)
    )
    op.execute("UPDATE users SET is_active = (status = 'ACTIVE')")
    for name in ("role", "tier", "status", "failed_logins_non_negative"):
        op.drop_constraint(op.f(f"ck_users_{name}"), "users", type_="check")
    for col in (
        "password_hash",
        "role",
        "tier",
        "status",
        "failed_logins",
        "locked_until",
        "last_login_at",
        "updated_at",
    ):
        op.drop_column("users", col)
