"""The store API: frames in, frames out, against PostgreSQL only.

>>> store = get_store()                                # doctest: +SKIP
>>> store.write("option_chain_snapshots", chain)       # doctest: +SKIP
>>> store.chain_as_of("NIFTY", "2025-07-16 11:03:15+05:30")  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Literal

import pandas as pd
import psycopg
import sqlalchemy as sa
from psycopg import sql as psql
from sqlalchemy import Connection
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.engine import Engine

from optionsintel.errors import SchemaOutdatedError, StoreError, StoreWriteError
from optionsintel.settings import Settings, get_settings
from optionsintel.store import migrate, records
from optionsintel.store.bulk import MergeResult, copy_merge
from optionsintel.store.engine import (
    describe_url,
    get_engine,
    get_serving_engine,
    raw_connection,
    resolve_database_url,
)
from optionsintel.store.partitions import (
    PARTITION_BATCH,
    drop_partitions_before,
    list_partitions,
)
from optionsintel.store.schema import PARTITIONED_TABLES, metadata
from optionsintel.tz import to_utc

Filter = Any  # a scalar (equality), a list/tuple/set (IN) or None (IS NULL)

WRITE_RETRIES = 3
"""Times :meth:`Store.write` retries a transaction the server aborted as a deadlock victim."""
_RETRYABLE = (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure)

_TIME_COLUMNS = ("snapshot_ts", "trade_date", "ts", "as_of", "created_at")


class Store:
    """PostgreSQL-backed store of every data set of the platform.

    Parameters
    ----------
    engine
        A SQLAlchemy engine on PostgreSQL (psycopg 3).
    check_schema
        Verify the database is at the code's migration head (raises
        :class:`SchemaOutdatedError` otherwise).
    """

    def __init__(self, engine: Engine, *, check_schema: bool = True) -> None:
        self.engine = engine
        if check_schema:
            self.check_schema()

    def __repr__(self) -> str:
        return f"Store({describe_url(self.engine.url.render_as_string(hide_password=True))})"

    # -- schema ---------------------------------------------------------------------------
    def check_schema(self) -> None:
        """Raise :class:`SchemaOutdatedError` unless the database is at the migration head."""
        current, head = migrate.current_revision(self.engine), migrate.head_revision()
        if current != head:
            state = "has no optionsintel schema yet" if current is None else f"is at {current}"
            raise SchemaOutdatedError(
                f"the database {state} but the code expects migration {head}: "
                "run `optionsintel db upgrade`"
            )

    def upgrade(self) -> None:
        """Apply all pending migrations."""
        migrate.upgrade(self.engine)

    # -- writes ---------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Writer]:
        """One transaction for several writes: all are committed or none."""
        with self.engine.begin() as conn:
            yield Writer(conn)

    def write(self, table: str, frame: pd.DataFrame) -> MergeResult:
        """Idempotently upsert ``frame`` into ``table`` (COPY + merge, one transaction).

        A transaction chosen as a deadlock victim (or failing serialisation) by the server
        is retried up to :data:`WRITE_RETRIES` times: it left nothing behind and the write
        is idempotent.
        """
        for attempt in range(WRITE_RETRIES + 1):
            try:
                with self.transaction() as writer:
                    return writer.write(table, frame)
            except StoreWriteError as exc:
                if attempt == WRITE_RETRIES or not isinstance(exc.__cause__, _RETRYABLE):
                    raise
                time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
        raise AssertionError("unreachable")  # pragma: no cover

    def append(
        self, table: str, frame: pd.DataFrame, *, on_duplicate: Literal["raise", "skip"] = "raise"
    ) -> MergeResult:
        """Insert immutable records; a stored key is an error (see :meth:`Writer.append`)."""
        with self.transaction() as writer:
            return writer.append(table, frame, on_duplicate=on_duplicate)

    def transition(
        self,
        table: str,
        key: records.Key,
        expected_state: str | Collection[str],
        new_state: str,
        /,
        *,
        state_column: str = "status",
        **changes: Any,
    ) -> bool:
        """Compare-and-set one row's state; True if this call won (:meth:`Writer.transition`)."""
        with self.transaction() as writer:
            return writer.transition(
                table, key, expected_state, new_state, state_column=state_column, **changes
            )

    def claim(
        self,
        table: str,
        /,
        *,
        state: str,
        to_state: str,
        limit: int,
        order_by: Sequence[str] = (),
        where: Mapping[str, Filter] | None = None,
        due: str | None = None,
        state_column: str = "status",
        **changes: Any,
    ) -> pd.DataFrame:
        """Claim up to ``limit`` rows for this worker and commit (see :meth:`Writer.claim`)."""
        with self.transaction() as writer:
            return writer.claim(
                table,
                state=state,
                to_state=to_state,
                limit=limit,
                order_by=order_by,
                where=where,
                due=due,
                state_column=state_column,
                **changes,
            )

    # -- reads ----------------------------------------------------------------------------
    def read(
        self,
        table: str,
        *,
        where: Mapping[str, Filter] | None = None,
        start: Any = None,
        end: Any = None,
        time_column: str | None = None,
        columns: Sequence[str] | None = None,
        order_by: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> pd.DataFrame:
        """Read rows of ``table`` as a frame.

        Parameters
        ----------
        where
            Column filters: scalar for equality, list for membership, None for IS NULL.
        start, end
            Inclusive bounds on ``time_column`` (default: the table's first time-like
            column such as ``snapshot_ts`` or ``trade_date``).
        columns, order_by, limit
            Projection, ordering (``"-col"`` for descending) and row cap.
        """
        t = _table(table)
        stmt = sa.select(*[t.c[c] for c in columns]) if columns else sa.select(t)
        for name, value in (where or {}).items():
            stmt = stmt.where(_condition(t, name, value))
        tcol = time_column or next((c for c in _TIME_COLUMNS if c in t.c), None)
        if start is not None or end is not None:
            if tcol is None:
                raise StoreError(f"{table} has no time column; pass time_column=")
            if start is not None:
                stmt = stmt.where(t.c[tcol] >= _bound(t.c[tcol], start))
            if end is not None:
                stmt = stmt.where(t.c[tcol] <= _bound(t.c[tcol], end))
        for o in order_by or ():
            stmt = stmt.order_by(t.c[o[1:]].desc() if o.startswith("-") else t.c[o])
        if limit is not None:
            stmt = stmt.limit(limit)
        with self.engine.connect() as conn:
            return _frame(conn.execute(stmt), t)

    def chain_as_of(
        self,
        underlying: str,
        at: Any,
        *,
        provider: str | None = None,
        expiry: Any = None,
        lookback: dt.timedelta = dt.timedelta(days=1),
        staleness: dt.timedelta = dt.timedelta(minutes=30),
    ) -> pd.DataFrame:
        """The option chain of ``underlying`` as it stood at instant ``at``.

        Parameters
        ----------
        underlying
            Symbol, e.g. ``"NIFTY"``.
        at
            The instant; a naive value is read as IST.
        provider
            Provider whose snapshots to use; None takes the provider of the latest
            snapshot at or before ``at``. Providers are never mixed in one chain.
        expiry
            Restrict to one expiry.
        lookback
            How far before ``at`` the latest snapshot may lie (default one day, so an
            end-of-day snapshot answers for the evening and the next morning).
        staleness
            How much older than that latest snapshot a contract's last row may be and
            still count (a strike missing from the latest snapshot keeps its last value
            for this long).

        Returns
        -------
        pandas.DataFrame
            For every contract, its last row at or before ``at`` (within the windows
            above); empty when nothing was stored.

        Notes
        -----
        Two index range scans in the partition of the day: one backward scan for the
        latest snapshot instant, then ``DISTINCT ON (expiry, strike, option_type)`` over
        the ``staleness`` window before it. Scanning the whole ``lookback`` window instead
        costs ~10x more late in a 15-second session.
        """
        at_ts = to_utc(at)
        t = metadata.tables["option_chain_snapshots"]
        latest = sa.select(t.c.provider, t.c.snapshot_ts).where(
            t.c.underlying == underlying,
            t.c.snapshot_ts <= at_ts,
            t.c.snapshot_ts > at_ts - lookback,
        )
        if provider is not None:
            latest = latest.where(t.c.provider == provider)
        if expiry is not None:
            latest = latest.where(t.c.expiry == pd.Timestamp(expiry).date())
        with self.engine.connect() as conn:
            found = conn.execute(latest.order_by(t.c.snapshot_ts.desc()).limit(1)).first()
            if found is None:
                return _frame(conn.execute(sa.select(t).where(sa.false())), t)
            stmt = (
                sa.select(t)
                .ext(distinct_on(t.c.expiry, t.c.strike, t.c.option_type))
                .where(
                    t.c.underlying == underlying,
                    t.c.provider == found.provider,
                    t.c.snapshot_ts <= found.snapshot_ts,
                    t.c.snapshot_ts >= found.snapshot_ts - staleness,
                )
                .order_by(t.c.expiry, t.c.strike, t.c.option_type, t.c.snapshot_ts.desc())
            )
            if expiry is not None:
                stmt = stmt.where(t.c.expiry == pd.Timestamp(expiry).date())
            return _frame(conn.execute(stmt), t)

    def distinct(
        self, table: str, column: str, where: Mapping[str, Filter] | None = None
    ) -> list[Any]:
        """Sorted distinct non-null values of ``column`` in ``table`` matching ``where``."""
        t = _table(table)
        if column not in t.c:
            raise StoreError(f"{table} has no column {column!r}")
        stmt = sa.select(t.c[column]).distinct().where(t.c[column].is_not(None))
        for name, value in (where or {}).items():
            stmt = stmt.where(_condition(t, name, value))
        with self.engine.connect() as conn:
            return list(conn.execute(stmt.order_by(t.c[column])).scalars())

    def count(self, table: str, where: Mapping[str, Filter] | None = None) -> int:
        """Number of rows of ``table`` matching ``where``.

        Intraday tables are counted partition by partition (see :meth:`_count_partitioned`).
        """
        t = _table(table)
        if table in PARTITIONED_TABLES:
            return self._count_partitioned(t, where)
        stmt = sa.select(sa.func.count()).select_from(t)
        for name, value in (where or {}).items():
            stmt = stmt.where(_condition(t, name, value))
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())

    def table_counts(self) -> dict[str, int]:
        """Row count of every platform table (partitions are counted in their parent)."""
        plain = {n: t for n, t in sorted(metadata.tables.items()) if n not in PARTITIONED_TABLES}
        stmt = sa.union_all(
            *(
                sa.select(sa.literal(name).label("tbl"), sa.func.count().label("n")).select_from(t)
                for name, t in plain.items()
            )
        )
        with self.engine.connect() as conn:
            counts = {row.tbl: int(row.n) for row in conn.execute(stmt)}
        counts |= {n: self._count_partitioned(_table(n), None) for n in PARTITIONED_TABLES}
        return dict(sorted(counts.items()))

    def _count_partitioned(self, t: sa.Table, where: Mapping[str, Filter] | None) -> int:
        """Sum of per-partition counts, :data:`PARTITION_BATCH` partitions per transaction.

        Why: a query on the parent that cannot prune locks every partition and each of its
        indexes until the transaction ends; after a few years of daily partitions that
        exceeds the server's lock table ("out of shared memory", max_locks_per_transaction).
        """
        total = 0
        with self.engine.connect() as conn:
            names = list_partitions(conn, t.name)
            conn.rollback()
            for k in range(0, len(names), PARTITION_BATCH):
                counts = []
                for name in names[k : k + PARTITION_BATCH]:
                    part = _same_columns(t, name)
                    stmt = sa.select(sa.func.count().label("n")).select_from(part)
                    for col, value in (where or {}).items():
                        stmt = stmt.where(_condition(part, col, value))
                    counts.append(stmt)
                batch = sa.union_all(*counts).subquery()
                total += int(conn.execute(sa.select(sa.func.sum(batch.c.n))).scalar_one() or 0)
                conn.rollback()  # end the transaction: releases this batch's locks
        return total

    # -- housekeeping -------------------------------------------------------------------
    def partition_inventory(self) -> dict[str, list[str]]:
        """Existing daily partitions of each intraday table, oldest first."""
        with self.engine.connect() as conn:
            return {table: list_partitions(conn, table) for table in PARTITIONED_TABLES}

    def drop_partitions_before(
        self, cutoff: dt.date, batch: int = PARTITION_BATCH
    ) -> dict[str, list[str]]:
        """Drop every intraday table's daily partitions older than ``cutoff``.

        Each batch of at most ``batch`` partitions is dropped in its own transaction, so
        years of backlog never exceed the server's lock table; an interruption leaves
        whole partitions dropped or kept, and the next run drops the rest (retention is
        idempotent).
        """
        dropped: dict[str, list[str]] = {t: [] for t in PARTITIONED_TABLES}
        for table in PARTITIONED_TABLES:
            while True:
                with self.engine.begin() as conn:
                    done = drop_partitions_before(conn, table, cutoff, limit=batch)
                dropped[table] += done
                if len(done) < batch:
                    break
        return dropped

    def vacuum_analyze(self, tables: Sequence[str] | None = None) -> list[str]:
        """``VACUUM (ANALYZE)`` platform tables (outside a transaction, as PostgreSQL requires).

        Intraday tables are vacuumed partition by partition, :data:`PARTITION_BATCH` names
        per statement (each relation in its own transaction). Their parents get no
        whole-table statistics: ANALYZE of a partitioned parent samples every partition
        in one transaction (the lock-table failure above), autovacuum never gathers them
        either, and every read of those tables prunes to a day's partitions.

        Raises
        ------
        StoreError
            When a name is not a platform table.
        """
        names = list(tables) if tables is not None else sorted(metadata.tables)
        unknown = sorted(set(names) - set(metadata.tables))
        if unknown:
            raise StoreError(f"not platform tables: {unknown}")
        with self.engine.connect() as conn:
            parts = {n: list_partitions(conn, n) for n in names if n in PARTITIONED_TABLES}
            conn.rollback()
            raw = raw_connection(conn.execution_options(isolation_level="AUTOCOMMIT"))
            for name in names:
                targets = parts.get(name, [name])
                for k in range(0, len(targets), PARTITION_BATCH):
                    idents = psql.SQL(", ").join(
                        map(psql.Identifier, targets[k : k + PARTITION_BATCH])
                    )
                    raw.execute(psql.SQL("VACUUM (ANALYZE) {}").format(idents))
        return names


class Writer:
    """Writes inside one open transaction (see :meth:`Store.transaction`)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def write(self, table: str, frame: pd.DataFrame) -> MergeResult:
        """Idempotently upsert ``frame`` into ``table`` within this transaction.

        Raises
        ------
        StoreWriteError
            When PostgreSQL rejects the rows; the transaction is rolled back.
        """
        try:
            return copy_merge(self.conn, _table(table), frame)
        except psycopg.Error as exc:
            detail = (exc.diag.message_primary or str(exc)).strip()
            row = f" ({exc.diag.message_detail.strip()[:300]})" if exc.diag.message_detail else ""
            raise StoreWriteError(
                f"writing {len(frame)} rows to {table} failed and nothing was stored: {detail}{row}"
            ) from exc

    def append(
        self, table: str, frame: pd.DataFrame, *, on_duplicate: Literal["raise", "skip"] = "raise"
    ) -> MergeResult:
        """Insert immutable records within this transaction; never update a stored row.

        See :func:`optionsintel.store.records.append_frame`. A :class:`DuplicateRecordError`
        (a stored key, with ``on_duplicate="raise"``) stores nothing of ``frame`` and
        leaves the transaction usable; other rejections raise :class:`StoreWriteError`.
        """
        with records.rejected_as_store_error(table, f"appending {len(frame)} records"):
            return records.append_frame(self.conn, _table(table), frame, on_duplicate=on_duplicate)

    def transition(
        self,
        table: str,
        key: records.Key,
        expected_state: str | Collection[str],
        new_state: str,
        /,
        *,
        state_column: str = "status",
        **changes: Any,
    ) -> bool:
        """Compare-and-set one row's state; True when this call moved it.

        See :func:`optionsintel.store.records.transition`; ``changes`` are further columns
        (values, ``Increment(1)``, ``Now(offset)``).
        """
        with records.rejected_as_store_error(table, f"moving {key!r} to {new_state}"):
            return records.transition(
                self.conn,
                _table(table),
                key,
                expected_state,
                new_state,
                state_column=state_column,
                changes=changes,
            )

    def transition_many(
        self,
        table: str,
        rows: Sequence[Mapping[str, Any]],
        expected_state: str | Collection[str],
        new_state: str,
        /,
        *,
        state_column: str = "status",
        **changes: Any,
    ) -> list[dict[str, Any]]:
        """Compare-and-set many rows in one statement; the keys of the rows it moved.

        See :func:`optionsintel.store.records.transition_many`: each row names the natural
        key plus guard columns that must still match (e.g. the claimer and its attempt).
        """
        with records.rejected_as_store_error(table, f"moving {len(rows)} rows to {new_state}"):
            return records.transition_many(
                self.conn,
                _table(table),
                rows,
                expected_state,
                new_state,
                state_column=state_column,
                changes=changes,
            )

    def claim(
        self,
        table: str,
        /,
        *,
        state: str,
        to_state: str,
        limit: int,
        order_by: Sequence[str] = (),
        where: Mapping[str, Filter] | None = None,
        due: str | None = None,
        state_column: str = "status",
        **changes: Any,
    ) -> pd.DataFrame:
        """Claim up to ``limit`` rows in ``state`` by moving them to ``to_state``, as a frame.

        See :func:`optionsintel.store.records.claim` (``FOR UPDATE SKIP LOCKED``: concurrent
        claimers never get the same row); ``where`` filters as in :meth:`Store.read`.
        """
        t = _table(table)
        conditions = [_condition(t, name, value) for name, value in (where or {}).items()]
        with records.rejected_as_store_error(table, f"claiming {state} rows"):
            result = records.claim(
                self.conn,
                t,
                state=state,
                to_state=to_state,
                limit=limit,
                state_column=state_column,
                order_by=order_by,
                conditions=conditions,
                due=due,
                changes=changes,
            )
            return _frame(result, t)


def _same_columns(t: sa.Table, name: str) -> sa.Table:
    """A stand-alone table object named ``name`` with ``t``'s columns (one partition)."""
    return sa.Table(name, sa.MetaData(), *(sa.Column(c.name, c.type) for c in t.columns))


def _table(name: str) -> sa.Table:
    try:
        return metadata.tables[name]
    except KeyError:
        raise StoreError(
            f"unknown table {name!r}; known tables: {sorted(metadata.tables)}"
        ) from None


def _condition(t: sa.Table, name: str, value: Filter) -> sa.ColumnElement[bool]:
    if name not in t.c:
        raise StoreError(f"{t.name} has no column {name!r}")
    col = t.c[name]
    if value is None:
        return col.is_(None)
    if isinstance(value, list | tuple | set | frozenset | pd.Index):
        return col.in_([_bound(col, v) for v in value])
    return col == _bound(col, value)


def _bound(col: sa.Column[Any], value: Any) -> Any:
    if isinstance(col.type, sa.DateTime):
        return to_utc(value)
    if isinstance(col.type, sa.Date):
        return pd.Timestamp(value).date()
    return value


def _frame(result: sa.CursorResult[Any], t: sa.Table) -> pd.DataFrame:
    # Plain tuples: pandas probes every row for namedtuple fields, and each probe of a
    # SQLAlchemy Row raises and catches a KeyError inside SQLAlchemy (~10 us a row).
    frame = pd.DataFrame([tuple(r) for r in result.fetchall()], columns=list(result.keys()))
    for c in frame.columns:
        col = t.c.get(c)
        if col is None:
            continue
        if isinstance(col.type, sa.DateTime):
            frame[c] = pd.to_datetime(frame[c], utc=True)
        elif isinstance(col.type, sa.Date):
            frame[c] = pd.to_datetime(frame[c])
        elif isinstance(col.type, sa.Float):
            frame[c] = pd.to_numeric(frame[c], errors="coerce").astype("float64")
    return frame


def get_store(
    settings: Settings | None = None,
    *,
    check_schema: bool = True,
    application_name: str | None = None,
) -> Store:
    """The store of the configured database (embedded unless ``DATABASE_URL`` is set).

    ``application_name`` names this store's database sessions (see :func:`get_engine`).
    """
    url = resolve_database_url(settings or get_settings())
    return Store(get_engine(url, application_name=application_name), check_schema=check_schema)


def get_serving_store(settings: Settings | None = None) -> Store:
    """:func:`get_store` on an engine for request serving (no ping per checkout)."""
    url = resolve_database_url(settings or get_settings())
    return Store(get_serving_engine(url))
