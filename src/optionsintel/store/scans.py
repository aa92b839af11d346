"""Typed reads and the few commands of bulk operations, scans and watchlists.

Inserts go through ``Writer.append`` (a new bulk operation), upserts through
``Writer.write`` (item records, scan result rows, saved scans, watchlists) and state
through ``transition``. This module adds the reads (one function per data set) and the
commands the generic write modes lack: counting an operation's items, renaming and
deleting a watchlist or a saved scan. Every function takes a :class:`Store` (own short
transaction) or a :class:`Writer` (the caller's transaction).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import Connection

from optionsintel.store.api import Store, Writer, _frame
from optionsintel.store.schema import (
    alert_watchlists,
    bulk_operation_items,
    bulk_operations,
    contract_specs,
    daily_ohlc,
    instruments,
    saved_scans,
    scan_results,
)

Source = Store | Writer


@contextmanager
def _conn(source: Source) -> Iterator[Connection]:
    if isinstance(source, Writer):
        yield source.conn
    else:
        with source.engine.begin() as conn:
            yield conn


def _read(source: Source, stmt: sa.Select, table: sa.Table) -> pd.DataFrame:
    with _conn(source) as conn:
        return _frame(conn.execute(stmt), table)


# -- bulk operations ---------------------------------------------------------------------


def read_bulk_operation(source: Source, operation_id: str) -> dict[str, Any] | None:
    """The ``bulk_operations`` row of ``operation_id`` as a dict, None when absent."""
    t = bulk_operations
    rows = _read(source, sa.select(t).where(t.c.operation_id == operation_id), t)
    return None if rows.empty else rows.iloc[0].to_dict()


def list_bulk_operations(
    source: Source,
    *,
    kind: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
    requested_by: str | None = None,
) -> pd.DataFrame:
    """Bulk operations, newest first, optionally of one kind, status and requester."""
    t = bulk_operations
    stmt = sa.select(t).order_by(t.c.created_at.desc(), t.c.operation_id)
    stmt = stmt.limit(limit).offset(offset)
    if requested_by is not None:
        stmt = stmt.where(t.c.requested_by == requested_by)
    if kind is not None:
        stmt = stmt.where(t.c.kind == kind)
    if status is not None:
        stmt = stmt.where(t.c.status == status)
    return _read(source, stmt, t)


def read_operation_items(
    source: Source, operation_id: str, *, status: str | None = None
) -> pd.DataFrame:
    """Item records (item, status, error, message) of an operation, by item."""
    t = bulk_operation_items
    stmt = sa.select(t).where(t.c.operation_id == operation_id).order_by(t.c.item)
    if status is not None:
        stmt = stmt.where(t.c.status == status)
    return _read(source, stmt, t)


def count_operation_items(source: Source, operation_id: str) -> tuple[int, int]:
    """(DONE, FAILED) item records of an operation."""
    t = bulk_operation_items
    stmt = sa.select(
        sa.func.count().filter(t.c.status == "DONE"),
        sa.func.count().filter(t.c.status == "FAILED"),
    ).where(t.c.operation_id == operation_id)
    with _conn(source) as conn:
        done, failed = conn.execute(stmt).one()
    return int(done), int(failed)


# -- scan results ------------------------------------------------------------------------


def read_scan_rows(source: Source, run_id: str) -> pd.DataFrame:
    """``scan_results`` rows of one run (kind ``scan``), by symbol."""
    t = scan_results
    stmt = sa.select(t).where(t.c.run_id == run_id, t.c.kind == "scan").order_by(t.c.symbol)
    return _read(source, stmt, t)


def delete_scan_rows(writer: Writer, run_id: str, symbols: list[str]) -> int:
    """Delete the rows of ``symbols`` of a run (before re-evaluating them on resume)."""
    t = scan_results
    stmt = sa.delete(t).where(t.c.run_id == run_id, t.c.symbol.in_(symbols))
    return int(writer.conn.execute(stmt).rowcount)


# -- saved scans -------------------------------------------------------------------------


def read_saved_scans(
    source: Source, *, owner: str | None = None, name: str | None = None
) -> pd.DataFrame:
    """Saved scans (owner, name, spec, schedule, description, last_run_id, timestamps)."""
    return _read_owned(source, saved_scans, owner, name)


def delete_saved_scan(writer: Writer, owner: str, name: str) -> bool:
    """Delete a saved scan; True when it existed."""
    t = saved_scans
    stmt = sa.delete(t).where(t.c.owner == owner, t.c.name == name)
    return bool(writer.conn.execute(stmt).rowcount)


def set_last_run(source: Source, owner: str, name: str, run_id: str) -> None:
    """Record the latest run of a saved scan."""
    t = saved_scans
    stmt = (
        sa.update(t)
        .where(t.c.owner == owner, t.c.name == name)
        .values(last_run_id=run_id, updated_at=sa.func.now())
    )
    with _conn(source) as conn:
        conn.execute(stmt)


# -- watchlists --------------------------------------------------------------------------


def read_watchlists(
    source: Source, *, owner: str | None = None, name: str | None = None
) -> pd.DataFrame:
    """Watchlists (owner, name, symbols, created_at, updated_at), by owner and name."""
    return _read_owned(source, alert_watchlists, owner, name)


def _read_owned(source: Source, t: sa.Table, owner: str | None, name: str | None) -> pd.DataFrame:
    """Rows of an ``(owner, name)``-keyed table, optionally of one owner / one name."""
    stmt = sa.select(t).order_by(t.c.owner, t.c.name)
    if owner is not None:
        stmt = stmt.where(t.c.owner == owner)
    if name is not None:
        stmt = stmt.where(t.c.name == name)
    return _read(source, stmt, t)


def lock_watchlist(writer: Writer, owner: str, name: str) -> list[str] | None:
    """The symbols of a watchlist, row-locked until the transaction ends (None if absent)."""
    t = alert_watchlists
    stmt = sa.select(t.c.symbols).where(t.c.owner == owner, t.c.name == name).with_for_update()
    row = writer.conn.execute(stmt).first()
    return None if row is None else [str(s) for s in row[0] or []]


def rename_watchlist(writer: Writer, owner: str, name: str, new_name: str) -> bool:
    """Rename a watchlist; True when it existed (the new name must be free)."""
    t = alert_watchlists
    stmt = (
        sa.update(t)
        .where(t.c.owner == owner, t.c.name == name)
        .values(name=new_name, updated_at=sa.func.now())
    )
    return bool(writer.conn.execute(stmt).rowcount)


def delete_watchlist(writer: Writer, owner: str, name: str) -> bool:
    """Delete a watchlist; True when it existed."""
    t = alert_watchlists
    stmt = sa.delete(t).where(t.c.owner == owner, t.c.name == name)
    return bool(writer.conn.execute(stmt).rowcount)


# -- instruments -------------------------------------------------------------------------


def read_instrument_list(
    source: Source, *, segment: str | None = None, sector: str | None = None
) -> pd.DataFrame:
    """Active instruments (symbol, segment, sector, attributes), optionally filtered.

    ``sector`` matches case-insensitively.
    """
    t = instruments
    stmt = (
        sa.select(t.c.symbol, t.c.segment, t.c.sector, t.c.attributes)
        .where(t.c.is_active)
        .order_by(t.c.symbol)
    )
    if segment is not None:
        stmt = stmt.where(t.c.segment == segment)
    if sector is not None:
        stmt = stmt.where(sa.func.lower(t.c.sector) == sector.lower())
    with _conn(source) as conn:
        rows = conn.execute(stmt).all()
    return pd.DataFrame(rows, columns=["symbol", "segment", "sector", "attributes"])


def read_derivative_symbols(source: Source) -> list[str]:
    """Symbols with a contract specification (lot size): derivatives are listed on them."""
    t = contract_specs
    stmt = sa.select(t.c.symbol).distinct().order_by(t.c.symbol)
    with _conn(source) as conn:
        return [str(s) for s in conn.execute(stmt).scalars()]


def read_trade_dates(
    source: Source, *, provider: str, symbols: list[str], start: Any, end: Any
) -> list[Any]:
    """Distinct ``daily_ohlc`` trade dates of ``symbols`` (one provider) in [start, end]."""
    t = daily_ohlc
    stmt = (
        sa.select(t.c.trade_date)
        .distinct()
        .where(t.c.provider == provider, t.c.symbol.in_(symbols))
        .where(t.c.trade_date >= start, t.c.trade_date <= end)
        .order_by(t.c.trade_date)
    )
    with _conn(source) as conn:
        return list(conn.execute(stmt).scalars())
