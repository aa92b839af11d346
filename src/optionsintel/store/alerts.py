"""Typed reads and the few commands of the alert tables the generic write modes lack.

Inserts go through ``Writer.append`` (rules, outbox, attempts, feed), state through
``Writer.write`` (upsert) and ``transition`` / ``claim``; this module adds the reads
(one function per data set, Prefect style) and deleting a rule. Every function takes a
:class:`Store` (own short transaction) or a :class:`Writer` (the caller's transaction).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import Connection

from optionsintel.store.api import Store, Writer, _frame
from optionsintel.store.schema import (
    alert_delivery_attempts,
    alert_feed,
    alert_notifications,
    alert_rule_state,
    alert_rules,
    alert_watchlists,
    daily_option_oi_summary,
    option_chain_snapshots,
    scan_results,
    underlying_quotes,
)

Source = Store | Writer
#: (underlying, provider) pairs: each instrument's history comes from the provider that
#: answered it on the tick being evaluated, never from a mix.
Pairs = Sequence[tuple[str, str]]


@contextmanager
def _conn(source: Source) -> Iterator[Connection]:
    if isinstance(source, Writer):
        yield source.conn
    else:
        with source.engine.connect() as conn:
            yield conn


def _read(source: Source, stmt: sa.Select, table: sa.Table) -> pd.DataFrame:
    with _conn(source) as conn:
        return _frame(conn.execute(stmt), table)


def read_alert_rules(
    source: Source, *, owner: str | None = None, active_only: bool = False
) -> pd.DataFrame:
    """Rules (owner, name, definition, status, is_active, timestamps), by owner and name.

    ``active_only`` keeps enabled, unmuted rules: the ones a tick evaluates.
    """
    t = alert_rules
    stmt = sa.select(t).order_by(t.c.owner, t.c.name)
    if owner is not None:
        stmt = stmt.where(t.c.owner == owner)
    if active_only:
        stmt = stmt.where(t.c.is_active, t.c.status == "ACTIVE")
    return _read(source, stmt, t)


def read_alert_rules_version(source: Source) -> tuple[int, str]:
    """(count, latest change) of the rules: changes whenever a rule is added/edited/muted."""
    t = alert_rules
    stmt = sa.select(sa.func.count(), sa.func.max(t.c.updated_at))
    with _conn(source) as conn:
        count, latest = conn.execute(stmt).one()
    return int(count), str(latest)


def read_alert_rule_state(source: Source, *, owner: str | None = None) -> pd.DataFrame:
    """Arm state per (owner, rule_name, instrument)."""
    t = alert_rule_state
    stmt = sa.select(t)
    if owner is not None:
        stmt = stmt.where(t.c.owner == owner)
    return _read(source, stmt, t)


def read_alert_watchlists(source: Source, *, owner: str | None = None) -> pd.DataFrame:
    """Watchlists (owner, name, symbols)."""
    t = alert_watchlists
    stmt = sa.select(t).order_by(t.c.owner, t.c.name)
    if owner is not None:
        stmt = stmt.where(t.c.owner == owner)
    return _read(source, stmt, t)


def read_alert_notifications(
    source: Source,
    *,
    owner: str | None = None,
    rule_name: str | None = None,
    status: str | None = None,
) -> pd.DataFrame:
    """Outbox rows, oldest first (a rule's trigger history with delivery state)."""
    t = alert_notifications
    stmt = sa.select(t).order_by(t.c.created_at, t.c.dedupe_key)
    for col, value in (("owner", owner), ("rule_name", rule_name), ("status", status)):
        if value is not None:
            stmt = stmt.where(t.c[col] == value)
    return _read(source, stmt, t)


def read_delivery_attempts(source: Source, *, dedupe_key: str | None = None) -> pd.DataFrame:
    """Every recorded delivery attempt, by notification and attempt number."""
    t = alert_delivery_attempts
    stmt = sa.select(t).order_by(t.c.dedupe_key, t.c.attempt)
    if dedupe_key is not None:
        stmt = stmt.where(t.c.dedupe_key == dedupe_key)
    return _read(source, stmt, t)


def read_alert_feed(
    source: Source,
    username: str,
    *,
    unread_only: bool = False,
    since: Any = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """A user's in-app feed: newest first, or with ``since`` what came after it, oldest first."""
    t = alert_feed
    stmt = sa.select(t).where(t.c.username == username)
    if since is None:
        stmt = stmt.order_by(t.c.created_at.desc())
    else:
        stmt = stmt.where(t.c.created_at > since).order_by(t.c.created_at, t.c.dedupe_key)
    if unread_only:
        stmt = stmt.where(t.c.status == "UNREAD")
    if limit is not None:
        stmt = stmt.limit(limit)
    return _read(source, stmt, t)


def delete_alert_rule(source: Source, owner: str, name: str) -> bool:
    """Delete a rule with its state and notifications (cascade); True if it existed."""
    t = alert_rules
    stmt = sa.delete(t).where(t.c.owner == owner, t.c.name == name).returning(t.c.name)
    if isinstance(source, Writer):
        return source.conn.execute(stmt).first() is not None
    with source.engine.begin() as conn:
        return conn.execute(stmt).first() is not None


# -- the market data an alert evaluation reads (inside the tick's own transaction) ----------


def _pair_filter(t: sa.Table, column: str, pairs: Pairs) -> sa.ColumnElement[bool]:
    return sa.tuple_(t.c[column], t.c.provider).in_([tuple(p) for p in pairs])


def read_quote_window(source: Source, pairs: Pairs, start: Any, end: Any) -> pd.DataFrame:
    """Quotes (underlying, provider, snapshot_ts, ltp, volume) of ``pairs`` in [start, end]."""
    t = underlying_quotes
    if not pairs:
        return pd.DataFrame(columns=["underlying", "provider", "snapshot_ts", "ltp", "volume"])
    stmt = (
        sa.select(t.c.underlying, t.c.provider, t.c.snapshot_ts, t.c.ltp, t.c.volume)
        .where(_pair_filter(t, "underlying", pairs), t.c.snapshot_ts.between(start, end))
        .order_by(t.c.snapshot_ts, t.c.underlying)
    )
    return _read(source, stmt, t)


def read_chain_at(
    source: Source, underlying: str, provider: str, at: Any, not_before: Any
) -> pd.DataFrame:
    """The last chain snapshot of (underlying, provider) at or before ``at`` (empty if none).

    ``not_before`` bounds the search (the tables are partitioned by day).
    """
    t = option_chain_snapshots
    where = (t.c.underlying == underlying, t.c.provider == provider)
    latest = (
        sa.select(sa.func.max(t.c.snapshot_ts))
        .where(*where, t.c.snapshot_ts <= at, t.c.snapshot_ts >= not_before)
        .scalar_subquery()
    )
    return _read(source, sa.select(t).where(*where, t.c.snapshot_ts == latest), t)


def read_chain_time_at(
    source: Source, underlying: str, provider: str, at: Any, not_before: Any
) -> pd.Timestamp | None:
    """The instant of the last chain snapshot of (underlying, provider) in [not_before, at]."""
    t = option_chain_snapshots
    stmt = sa.select(sa.func.max(t.c.snapshot_ts)).where(
        t.c.underlying == underlying,
        t.c.provider == provider,
        t.c.snapshot_ts <= at,
        t.c.snapshot_ts >= not_before,
    )
    with _conn(source) as conn:
        found = conn.execute(stmt).scalar()
    return None if found is None else pd.Timestamp(found).tz_convert("UTC")


def read_chain_nearest_expiry(
    source: Source, underlying: str, provider: str, at: Any
) -> pd.DataFrame:
    """The rows of the chain snapshot at ``at`` whose expiry is that snapshot's nearest.

    What an ATM IV of the nearest expiry needs, without reading (and converting) the
    other expiries' rows: a real index chain lists a dozen expiries or more.
    """
    t = option_chain_snapshots
    where = (t.c.underlying == underlying, t.c.provider == provider, t.c.snapshot_ts == at)
    nearest = sa.select(sa.func.min(t.c.expiry)).where(*where).scalar_subquery()
    return _read(source, sa.select(t).where(*where, t.c.expiry == nearest), t)


def read_daily_atm_iv(source: Source, pairs: Pairs, start: Any, end: Any) -> pd.DataFrame:
    """Daily ATM IV (underlying, provider, trade_date, expiry, atm_iv) of ``pairs``."""
    t = daily_option_oi_summary
    cols = ["underlying", "provider", "trade_date", "expiry", "atm_iv"]
    if not pairs:
        return pd.DataFrame(columns=cols)
    stmt = (
        sa.select(*(t.c[c] for c in cols))
        .where(_pair_filter(t, "underlying", pairs), t.c.trade_date.between(start, end))
        .order_by(t.c.trade_date, t.c.expiry)
    )
    return _read(source, stmt, t)


def read_scan_run(source: Source, run_id: str) -> pd.DataFrame:
    """A scan run's ``scan_results`` rows (``kind='scan'``): name, symbol, as_of, passed."""
    t = scan_results
    stmt = (
        sa.select(t.c.run_id, t.c.name, t.c.symbol, t.c.as_of, t.c.passed, t.c.provider)
        .where(t.c.run_id == run_id, t.c.kind == "scan")
        .order_by(t.c.symbol)
    )
    return _read(source, stmt, t)
