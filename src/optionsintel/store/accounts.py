"""Typed reads and counters of the account tables (users, API keys, usage, audit log).

The API authenticates every request, so the identity behind a key is one indexed join
(:func:`read_key_identity`), and the daily call count is one ``INSERT ... ON CONFLICT
DO UPDATE ... RETURNING`` (:func:`count_api_call`). Writes that change accounts go
through :class:`optionsintel.store.api.Writer` (append, transition) so they commit with
their audit record.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from optionsintel.store.schema import api_keys, api_usage, audit_log, users
from optionsintel.tz import to_utc

if TYPE_CHECKING:
    from optionsintel.store.api import Store

#: Account columns a caller may see (never the password hash).
USER_COLUMNS = (
    "username",
    "email",
    "display_name",
    "role",
    "tier",
    "status",
    "created_at",
    "last_login_at",
    "failed_logins",
    "locked_until",
)
#: Key columns a caller may see (never the hash).
KEY_COLUMNS = (
    "key_prefix",
    "username",
    "name",
    "scopes",
    "status",
    "created_at",
    "expires_at",
    "revoked_at",
    "last_used_at",
)


def read_account(store: Store, username: str) -> dict[str, Any] | None:
    """The ``users`` row of ``username`` with its password hash and the database clock."""
    stmt = sa.select(users, sa.func.now().label("db_now")).where(users.c.username == username)
    with store.engine.connect() as conn:
        row = conn.execute(stmt).mappings().first()
    return dict(row) if row else None


def read_key_identity(store: Store, prefix: str) -> dict[str, Any] | None:
    """The key of ``prefix`` joined with its owner's account (None when unknown)."""
    stmt = (
        sa.select(
            api_keys.c.key_prefix,
            api_keys.c.key_hash,
            api_keys.c.scopes,
            api_keys.c.status.label("key_status"),
            api_keys.c.expires_at,
            api_keys.c.last_used_at,
            users.c.username,
            users.c.role,
            users.c.tier,
            users.c.status.label("user_status"),
            sa.func.now().label("db_now"),
        )
        .join(users, users.c.username == api_keys.c.username)
        .where(api_keys.c.key_prefix == prefix)
    )
    with store.engine.connect() as conn:
        row = conn.execute(stmt).mappings().first()
    return dict(row) if row else None


def read_users(store: Store, *, limit: int, offset: int = 0) -> list[dict[str, Any]]:
    """One page of accounts (safe columns only), by username."""
    cols = [users.c[c] for c in USER_COLUMNS]
    stmt = sa.select(*cols).order_by(users.c.username).limit(limit).offset(offset)
    return _rows(store, stmt)


def read_keys(
    store: Store, *, username: str | None, limit: int, offset: int = 0
) -> list[dict[str, Any]]:
    """One page of API keys (of ``username``, or everyone's when None), newest first."""
    stmt = sa.select(*[api_keys.c[c] for c in KEY_COLUMNS])
    if username is not None:
        stmt = stmt.where(api_keys.c.username == username)
    stmt = stmt.order_by(api_keys.c.created_at.desc(), api_keys.c.key_prefix)
    return _rows(store, stmt.limit(limit).offset(offset))


def read_audit_log(
    store: Store,
    *,
    limit: int,
    offset: int = 0,
    actor: str | None = None,
    action: str | None = None,
    start: Any = None,
    end: Any = None,
    target: str | None = None,
) -> list[dict[str, Any]]:
    """One page of audit records, newest first, optionally filtered (``target``: the object)."""
    stmt = sa.select(audit_log)
    if actor is not None:
        stmt = stmt.where(audit_log.c.actor == actor)
    if action is not None:
        stmt = stmt.where(audit_log.c.action == action)
    if target is not None:
        stmt = stmt.where(audit_log.c.target == target)
    if start is not None:
        stmt = stmt.where(audit_log.c.ts >= to_utc(start))
    if end is not None:
        stmt = stmt.where(audit_log.c.ts <= to_utc(end))
    stmt = stmt.order_by(audit_log.c.ts.desc(), audit_log.c.event_id.desc())
    return _rows(store, stmt.limit(limit).offset(offset))


def count_users(store: Store) -> int:
    """Number of accounts."""
    with store.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(users)).scalar_one())


def count_api_call(store: Store, username: str, day: dt.date) -> int:
    """Add one call to ``username``'s count of ``day`` and return the new count.

    One statement, atomic under concurrency. The commit is asynchronous
    (``synchronous_commit = off`` for this transaction only): a crash may forget the
    last few hundred milliseconds of counts, which a usage meter can afford, and the
    request does not wait for a disk flush.
    """
    stmt = (
        insert(api_usage)
        .values(username=username, day=day, calls=1)
        .on_conflict_do_update(
            index_elements=[api_usage.c.username, api_usage.c.day],
            set_={"calls": api_usage.c.calls + 1},
        )
        .returning(api_usage.c.calls)
    )
    with store.engine.begin() as conn:
        conn.execute(sa.text("SET LOCAL synchronous_commit = off"))
        return int(conn.execute(stmt).scalar_one())


def add_api_calls(
    store: Store, counts: dict[tuple[str, dt.date], int]
) -> dict[tuple[str, dt.date], int]:
    """Add ``counts`` ((username, day) -> calls) in one statement; the new totals.

    The batched form of :func:`count_api_call` (same asynchronous commit).
    """
    if not counts:
        return {}
    values = [{"username": u, "day": d, "calls": n} for (u, d), n in sorted(counts.items())]
    new = insert(api_usage).values(values)
    stmt = new.on_conflict_do_update(
        index_elements=[api_usage.c.username, api_usage.c.day],
        set_={"calls": api_usage.c.calls + new.excluded.calls},
    ).returning(api_usage.c.username, api_usage.c.day, api_usage.c.calls)
    with store.engine.begin() as conn:
        conn.execute(sa.text("SET LOCAL synchronous_commit = off"))
        return {(r[0], r[1]): int(r[2]) for r in conn.execute(stmt)}


def read_api_calls(store: Store, username: str, day: dt.date) -> int:
    """Calls counted for ``username`` on ``day`` (0 when none)."""
    stmt = sa.select(api_usage.c.calls).where(
        api_usage.c.username == username, api_usage.c.day == day
    )
    with store.engine.connect() as conn:
        return int(conn.execute(stmt).scalar() or 0)


def _rows(store: Store, stmt: sa.Select[Any]) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(stmt).mappings()]
