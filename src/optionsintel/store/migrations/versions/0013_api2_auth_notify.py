"""Announce every change to API keys and accounts on a LISTEN/NOTIFY channel.

Why: issue 18 (API load). The API keeps verified API keys in a short-lived in-process
cache so a request no longer needs a database round trip to authenticate. Revocation
must still take effect at once, whoever makes it (the API, the CLI, the admin app, a
manual SQL fix): a statement-level trigger on ``api_keys`` and ``users`` sends
``pg_notify('optionsintel_auth', '')`` for every UPDATE, DELETE and TRUNCATE, delivered
when the changing transaction commits; the API drops its cache on receipt. Inserts need
no signal (a new key is not in any cache yet).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("api_keys", "users")


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION optionsintel_auth_changed() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('optionsintel_auth', TG_TABLE_NAME);
            RETURN NULL;
        END
        $$
        """
    )
    for table in _TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_auth_changed AFTER UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION optionsintel_auth_changed()"
        )


def downgrade() -> None:
    for table in _TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_auth_changed ON {table}")
    op.execute("DROP FUNCTION IF EXISTS optionsintel_auth_changed()")
