"""Write modes beyond the idempotent upsert: append-only records, state transitions, claims.

Market data is written with :func:`optionsintel.store.bulk.copy_merge` (an idempotent
upsert). The platform's other records need three more modes, all inside the caller's
transaction so they commit together with the change they belong to:

* **append** (:func:`append_frame`) for immutable records (audit log, notification
  attempts, pattern versions, backtest runs). Rows are staged with ``COPY`` and inserted
  with ``ON CONFLICT DO NOTHING`` inside a savepoint; if any natural key was already
  stored the savepoint is rolled back and :class:`DuplicateRecordError` names the keys.
  Nothing is ever updated, and a failed append leaves the enclosing transaction usable.
* **compare-and-set transition** (:func:`transition`): ``UPDATE ... WHERE key AND
  state IN (expected)``. PostgreSQL re-checks the ``WHERE`` on the newest row version
  after waiting for a concurrent writer (READ COMMITTED), so of two racing transitions
  exactly one wins.
* **claim** (:func:`claim`): pick up to ``limit`` rows in a state with ``SELECT ... FOR
  UPDATE SKIP LOCKED`` and move them to another state in the same statement, so any
  number of concurrent workers never get the same row and never wait on each other.

State columns and values are validated against the schema: a state column must carry a
``CHECK (column IN (...))`` constraint in :mod:`optionsintel.store.schema`, whose list is
the set of allowed states. SQL is built with SQLAlchemy Core and
``psycopg.sql.Identifier`` only; user values are always bound parameters.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import psycopg
import sqlalchemy as sa
from psycopg import sql
from sqlalchemy import Connection
from sqlalchemy.dialects.postgresql import JSONB

from optionsintel.errors import (
    DuplicateRecordError,
    InvalidStateError,
    RecordNotFoundError,
    StoreError,
    StoreWriteError,
)
from optionsintel.store._small import small_values
from optionsintel.store.bulk import (
    MergeResult,
    prepare_frame,
    prepare_with_partitions,
    stage_frame,
)
from optionsintel.store.engine import raw_connection
from optionsintel.store.schema import natural_key
from optionsintel.tz import to_utc

#: A natural key: column -> value, or the bare value of a single-column key.
Key = Mapping[str, Any] | str | int

_EXAMPLES = 5  # duplicate keys quoted in an error message
_IN_LIST = re.compile(r"^\s*(\w+)\s+IN\s*\((.*)\)\s*$", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Increment:
    """A change that adds ``by`` to the column's current value (e.g. an attempt counter)."""

    by: int = 1


@dataclass(frozen=True)
class Now:
    """A change that sets a timestamp column to the database clock plus ``offset``.

    The database clock is shared by every worker, so leases and back-off instants compare
    consistently however many processes claim work.
    """

    offset: dt.timedelta = dt.timedelta(0)


def state_values(table: sa.Table, column: str) -> tuple[str, ...]:
    """The allowed values of state column ``column``, from its ``CHECK (column IN ...)``.

    Raises
    ------
    InvalidStateError
        When ``table`` has no such column or no ``IN`` check constraint on it.
    """
    if column not in table.c:
        raise InvalidStateError(f"{table.name} has no column {column!r}")
    for constraint in table.constraints:
        if not isinstance(constraint, sa.CheckConstraint):
            continue
        match = _IN_LIST.match(str(constraint.sqltext))
        if match and match.group(1) == column:
            return tuple(re.findall(r"'([^']*)'", match.group(2)))
    raise InvalidStateError(
        f"{table.name}.{column} is not a state column (no CHECK ({column} IN (...)) in the schema)"
    )


def _check_states(table: sa.Table, column: str, *values: str) -> None:
    allowed = state_values(table, column)
    bad = [v for v in values if v not in allowed]
    if bad:
        raise InvalidStateError(
            f"{table.name}.{column} has no state {bad[0]!r}; allowed: {list(allowed)}"
        )


@contextmanager
def rejected_as_store_error(table: str, what: str) -> Iterator[None]:
    """Turn a database rejection into :class:`StoreWriteError` naming ``table`` and ``what``."""
    try:
        yield
    except (psycopg.Error, sa.exc.DBAPIError) as exc:
        orig = exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc
        diag = getattr(orig, "diag", None)
        detail = ((diag and diag.message_primary) or str(orig)).strip().splitlines()[0]
        raise StoreWriteError(
            f"{what} in {table} failed and nothing of it was stored: {detail}"
        ) from exc


# -- append ---------------------------------------------------------------------------------


def append_frame(
    conn: Connection,
    table: sa.Table,
    frame: pd.DataFrame,
    *,
    on_duplicate: Literal["raise", "skip"] = "raise",
) -> MergeResult:
    """Insert the rows of ``frame``; never update a stored row.

    Parameters
    ----------
    conn
        A SQLAlchemy connection inside a transaction; the insert runs in a savepoint.
    table
        Target table of :mod:`optionsintel.store.schema`.
    frame
        Rows to insert; extra columns are ignored, absent columns take their defaults.
    on_duplicate
        ``"raise"`` (default): a natural key that is already stored is an error and
        nothing of the frame is stored. ``"skip"``: such rows are left out (an
        idempotency key, e.g. a notification re-raised by a retried tick) and counted
        in ``MergeResult.unchanged``.

    Returns
    -------
    MergeResult
        Rows given and inserted (``updated`` is always 0).

    Raises
    ------
    DuplicateRecordError
        With ``on_duplicate="raise"``, when some keys were already stored.
    FrameValidationError
        When key columns are missing or null, or the frame repeats a key.
    """
    direct = small_values(table, frame, SMALL_APPEND_VALUES)  # None: pandas decides
    if direct is not None:
        cols, columns = direct
        return _append_small(conn, table, cols, columns, on_duplicate, frame)
    prepared = prepare_with_partitions(conn, table, frame)
    if prepared.empty:
        return MergeResult(table.name, 0, 0, 0)
    if _small(table, prepared):
        cols = list(prepared.columns)
        columns = [_python_values(table.c[c], prepared[c]) for c in cols]
        return _append_small(conn, table, cols, columns, on_duplicate, frame)
    tmp = f"_append_{table.name}"
    with raw_connection(conn).cursor() as cur:
        stage_frame(cur, table, prepared, tmp)  # before the savepoint: it outlives a rollback
    # committed when the block ends; rolled back on an exception unless the block already
    # rolled it back (to read the stored duplicates outside it)
    with conn.begin_nested() as savepoint:
        inserted = _insert_new(conn, table, list(prepared.columns), tmp)
        if inserted < len(prepared) and on_duplicate == "raise":
            savepoint.rollback()
            raise _duplicates(conn, table, tmp, len(prepared))
    return MergeResult(table.name, len(prepared), inserted, 0)


#: Frames of at most this many values (rows x columns) are appended with one multi-row
#: ``INSERT ... ON CONFLICT DO NOTHING``; larger ones are staged with ``COPY``. For a
#: handful of rows (an outbox notification, an audit record, a delivery attempt) the
#: staging table (create, truncate, COPY, insert) costs several round trips and ~6 ms;
#: past ~50 rows of an outbox frame the INSERT's parameters cost more than the COPY.
SMALL_APPEND_VALUES = 320
# JSONB is serialised to text by prepare_frame; LargeBinary and others go through COPY.
_SMALL_TYPES = (sa.DateTime, sa.Date, sa.Float, sa.Integer, sa.Boolean, sa.String, sa.Text, JSONB)


def _small(table: sa.Table, prepared: pd.DataFrame) -> bool:
    if prepared.size > SMALL_APPEND_VALUES:
        return False
    return all(isinstance(table.c[c].type, _SMALL_TYPES) for c in prepared)


def _append_small(
    conn: Connection,
    table: sa.Table,
    cols: list[str],
    columns: list[list[Any]],
    on_duplicate: str,
    frame: pd.DataFrame,
) -> MergeResult:
    """Append a small frame's values with one ``INSERT ... VALUES`` under a savepoint.

    ``columns`` are the values the binary ``COPY`` encoder writes (:func:`_python_values`
    of the prepared frame, or :func:`optionsintel.store._small.small_values`, equal to
    them), so both paths store identical rows. ``SAVEPOINT``, the ``INSERT`` and (when a
    stored key is simply skipped) ``RELEASE`` go to the server in one pipeline: one round
    trip instead of three (with the transaction's ``BEGIN`` when this is its first
    statement). A rejected insert rolls the savepoint back, so the enclosing transaction
    stays usable; a duplicate with ``on_duplicate="raise"`` does too and names the keys
    as the staged path does.
    """
    ident, rows = sql.Identifier, len(columns[0])
    row = sql.SQL("({})").format(sql.SQL(", ").join(sql.Placeholder() * len(cols)))
    stmt = sql.SQL(
        "INSERT INTO {t} ({cols}) VALUES {rows} ON CONFLICT ({key}) DO NOTHING RETURNING 1"
    ).format(
        t=ident(table.name),
        cols=sql.SQL(", ").join(map(ident, cols)),
        rows=sql.SQL(", ").join([row] * rows),
        key=sql.SQL(", ").join(map(ident, natural_key(table))),
    )
    params = [v for values in zip(*columns, strict=True) for v in values]
    raw = raw_connection(conn)
    release = on_duplicate != "raise"
    with raw.cursor() as cur:
        try:
            with _pipeline(raw):
                raw.execute(_SAVEPOINT)
                cur.execute(stmt, params)
                if release:
                    raw.execute(_RELEASE)
            inserted = len(cur.fetchall())
        except BaseException:
            _undo_savepoint(raw)
            raise
    if release:
        return MergeResult(table.name, rows, inserted, 0)
    if inserted == rows:
        raw.execute(_RELEASE)
        return MergeResult(table.name, rows, inserted, 0)
    _undo_savepoint(raw)
    tmp = f"_append_{table.name}"
    with raw.cursor() as cur:
        stage_frame(cur, table, prepare_frame(table, frame), tmp)
    raise _duplicates(conn, table, tmp, rows)


_SAVEPOINT = sql.SQL("SAVEPOINT optionsintel_small_append")
_RELEASE = sql.SQL("RELEASE SAVEPOINT optionsintel_small_append")
_ROLLBACK_TO = sql.SQL("ROLLBACK TO SAVEPOINT optionsintel_small_append")


def _pipeline(raw: psycopg.Connection[Any]) -> Any:
    """The psycopg pipeline mode where libpq offers it (statements sent without waiting)."""
    return raw.pipeline() if psycopg.Pipeline.is_supported() else nullcontext()


def _undo_savepoint(raw: psycopg.Connection[Any]) -> None:
    """Roll back and drop the small append's savepoint, if it was set and is still open.

    Leaves the transaction as it was before the append; when the savepoint never got
    set (the ``BEGIN`` or the ``SAVEPOINT`` itself failed) the transaction is left to
    the caller's rollback.
    """
    if raw.closed or raw.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
        return
    try:
        raw.execute(_ROLLBACK_TO)
        raw.execute(_RELEASE)
    except psycopg.Error:
        pass


def _python_values(col: sa.Column[Any], values: pd.Series) -> list[Any]:
    """The column's values as the binary COPY encoder (``_pgbinary``) stores them; None = NULL."""
    t, isnull = col.type, values.isna().to_numpy()
    out: list[Any]
    if isinstance(t, sa.Float):
        out = values.to_numpy(dtype="float64", na_value=np.nan).tolist()
    elif isinstance(t, sa.Boolean):
        out = values.fillna(False).to_numpy(dtype=bool).tolist()
    elif isinstance(t, sa.Integer):  # SmallInteger and BigInteger too
        out = values.fillna(0).to_numpy(dtype="int64").tolist()
    elif isinstance(t, sa.DateTime):
        us = pd.to_datetime(values, utc=True).astype("datetime64[us, UTC]")
        out = [None if n else v.to_pydatetime() for v, n in zip(us, isnull, strict=True)]
    elif isinstance(t, sa.Date):
        out = pd.to_datetime(values).to_numpy(dtype="datetime64[D]").astype(object).tolist()
    else:  # text, and JSON already serialised to text
        out = [None if n else str(v) for v, n in zip(values, isnull, strict=True)]
    return [None if n else v for v, n in zip(out, isnull, strict=True)]


def _insert_new(conn: Connection, table: sa.Table, cols: list[str], tmp: str) -> int:
    ident, key = sql.Identifier, natural_key(table)
    with raw_connection(conn).cursor() as cur:
        cur.execute(
            sql.SQL(
                "WITH ins AS (INSERT INTO {t} ({cols}) SELECT {cols} FROM {s} "
                "ON CONFLICT ({key}) DO NOTHING RETURNING 1) SELECT count(*) FROM ins"
            ).format(
                t=ident(table.name),
                s=ident(tmp),
                cols=sql.SQL(", ").join(map(ident, cols)),
                key=sql.SQL(", ").join(map(ident, key)),
            )
        )
        row = cur.fetchone()
    return int(row[0]) if row else 0


def _duplicates(conn: Connection, table: sa.Table, tmp: str, rows: int) -> DuplicateRecordError:
    """The error for the staged keys of ``tmp`` that ``table`` already holds."""
    ident, key = sql.Identifier, natural_key(table)
    match = sql.SQL(" AND ").join(sql.SQL("d.{c} = s.{c}").format(c=ident(c)) for c in key)
    with raw_connection(conn).cursor() as cur:
        cur.execute(
            sql.SQL(
                "SELECT {keys}, count(*) OVER () FROM {s} AS s "
                "WHERE EXISTS (SELECT 1 FROM {t} AS d WHERE {match}) ORDER BY {keys} LIMIT {n}"
            ).format(
                keys=sql.SQL(", ").join(sql.SQL("s.{}").format(ident(c)) for c in key),
                s=ident(tmp),
                t=ident(table.name),
                match=match,
                n=sql.Literal(_EXAMPLES),
            )
        )
        found = cur.fetchall()
    keys = [dict(zip(key, row[:-1], strict=True)) for row in found]
    # Empty only if a concurrent transaction deleted the clashing rows since our insert.
    n = int(found[0][-1]) if found else 0
    examples = ", ".join(map(str, keys)) or "(keys deleted concurrently since)"
    return DuplicateRecordError(
        f"{table.name} is insert-only and {n} of {rows} records already exist "
        f"(natural key {list(key)}), e.g. {examples}; nothing of this write was stored",
        table=table.name,
        keys=keys,
    )


# -- compare-and-set transitions -----------------------------------------------------------------


def transition(
    conn: Connection,
    table: sa.Table,
    key: Key,
    expected_state: str | Collection[str],
    new_state: str,
    *,
    state_column: str = "status",
    changes: Mapping[str, Any] | None = None,
) -> bool:
    """Move one row from ``expected_state`` to ``new_state`` if it is still there.

    Parameters
    ----------
    conn
        A SQLAlchemy connection inside a transaction.
    table
        Table with a state column (see :func:`state_values`).
    key
        The row's natural key, column -> value (every key column, nothing else); a bare
        value for a single-column key.
    expected_state
        The state the caller saw, or several acceptable ones.
    new_state
        The state to move to.
    state_column
        Name of the state column.
    changes
        Further columns to set in the same update: plain values, :class:`Increment` or
        :class:`Now`. A table's ``updated_at`` is set to the database clock unless given.

    Returns
    -------
    bool
        True when this call moved the row; False when the row was in another state
        (another worker got there first).

    Raises
    ------
    RecordNotFoundError
        When no row has ``key``.
    InvalidStateError
        When the state column or a state value is not declared in the schema.
    """
    expected = [expected_state] if isinstance(expected_state, str) else list(expected_state)
    _check_states(table, state_column, *expected, new_state)
    match = _key_match(table, key)
    values = _values(table, {state_column: new_state, **(changes or {})})
    stmt = (
        sa.update(table)
        .where(*match, table.c[state_column].in_(expected))
        .values(values)
        .returning(sa.literal(1))
    )
    if conn.execute(stmt).first() is not None:
        return True
    if conn.execute(sa.select(sa.literal(1)).select_from(table).where(*match)).first() is None:
        raise RecordNotFoundError(f"{table.name} has no row with key {key!r}")
    return False


def transition_many(
    conn: Connection,
    table: sa.Table,
    rows: Sequence[Mapping[str, Any]],
    expected_state: str | Collection[str],
    new_state: str,
    *,
    state_column: str = "status",
    changes: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Compare-and-set many rows in one ``UPDATE``; the keys of the rows it moved.

    Each of ``rows`` names the natural key and the same further guard columns (for
    example the claimer and the attempt a worker holds); a row moves only if all of
    them still match and its state is one of ``expected_state``. ``changes`` as in
    :func:`transition`, the same for every row. Rows that no longer match are left alone
    (another worker got there first) and are absent from the result.
    """
    if not rows:
        return []
    expected = [expected_state] if isinstance(expected_state, str) else list(expected_state)
    _check_states(table, state_column, *expected, new_state)
    names = list(natural_key(table))
    cols = names + [c for c in rows[0] if c not in names]
    if any(set(r) != set(cols) for r in rows) or any(c not in table.c for c in cols):
        raise StoreError(f"{table.name}: every row names {cols}, columns of the table")
    guard = sa.tuple_(*(table.c[c] for c in cols)).in_(
        [tuple(_plain(table.c[c], r[c]) for c in cols) for r in rows]
    )
    stmt = (
        sa.update(table)
        .where(guard, table.c[state_column].in_(expected))
        .values(_values(table, {state_column: new_state, **(changes or {})}))
        .returning(*(table.c[c] for c in names))
    )
    return [dict(m) for m in conn.execute(stmt).mappings()]


def _key_match(table: sa.Table, key: Key) -> list[sa.ColumnElement[bool]]:
    names = natural_key(table)
    if not isinstance(key, Mapping):
        if len(names) != 1:
            raise StoreError(f"a key of {table.name} is a mapping of {list(names)}, got {key!r}")
        key = {names[0]: key}
    if set(key) != set(names):
        raise StoreError(
            f"a key of {table.name} names exactly its natural key {list(names)}, got {list(key)}"
        )
    return [table.c[c] == _plain(table.c[c], key[c]) for c in names]


def _values(table: sa.Table, changes: Mapping[str, Any]) -> dict[str, Any]:
    """SET clause of a transition or claim: validated columns, resolved markers."""
    unknown = [c for c in changes if c not in table.c]
    if unknown:
        raise StoreError(f"{table.name} has no column {unknown[0]!r}")
    keyed = [c for c in changes if c in natural_key(table)]
    if keyed:
        raise StoreError(f"{table.name}: a transition cannot change key column {keyed[0]!r}")
    out = {c: _resolve(table.c[c], v) for c, v in changes.items()}
    if "updated_at" in table.c and "updated_at" not in out:
        out["updated_at"] = sa.func.now()
    return out


def _resolve(col: sa.Column[Any], value: Any) -> Any:
    if isinstance(value, Increment):
        return col + value.by
    if isinstance(value, Now):
        return sa.func.now() + sa.literal(value.offset, sa.Interval())
    return _plain(col, value)


def _plain(col: sa.Column[Any], value: Any) -> Any:
    if value is not None and isinstance(col.type, sa.DateTime):
        return to_utc(value).to_pydatetime()
    return value


# -- claims -------------------------------------------------------------------------------


def claim(
    conn: Connection,
    table: sa.Table,
    *,
    state: str,
    to_state: str,
    limit: int,
    state_column: str = "status",
    order_by: Sequence[str] = (),
    conditions: Sequence[sa.ColumnElement[bool]] = (),
    due: str | None = None,
    changes: Mapping[str, Any] | None = None,
) -> sa.CursorResult[Any]:
    """Claim up to ``limit`` rows in ``state`` by moving them to ``to_state``.

    Parameters
    ----------
    conn
        A SQLAlchemy connection inside a transaction; the claim is one statement, so it
        holds no lock longer than that transaction.
    table
        Table with a state column (see :func:`state_values`).
    state, to_state
        The state claimed from and the one the claimed rows move to.
    limit
        Most rows to claim (at least 1).
    state_column
        Name of the state column.
    order_by
        Which rows first: column names, ``"-col"`` for descending; default the natural key.
    conditions
        Further filters on ``table`` (SQLAlchemy expressions built by the store).
    due
        A timestamp column that must not lie after the database clock (e.g.
        ``next_attempt_at`` of a retry schedule).
    changes
        Further columns to set on the claimed rows, as for :func:`transition`.

    Returns
    -------
    sqlalchemy.CursorResult
        The claimed rows as they are after the claim, in ``order_by`` order.

    Notes
    -----
    ``WITH picked AS (SELECT key ... ORDER BY ... LIMIT n FOR UPDATE SKIP LOCKED),
    claimed AS (UPDATE ... FROM picked RETURNING *) SELECT * FROM claimed ORDER BY ...``.
    Rows another transaction has locked are skipped rather than waited for, and a row
    another worker claimed in the meantime fails the re-checked state filter, so no row is
    claimed twice.
    """
    if limit < 1:
        raise StoreError(f"a claim takes at least one row, got limit={limit}")
    _check_states(table, state_column, state, to_state)
    key = natural_key(table)
    picked = sa.select(*(table.c[c] for c in key)).where(
        table.c[state_column] == state, *conditions
    )
    if due is not None:
        if due not in table.c or not isinstance(table.c[due].type, sa.DateTime):
            raise StoreError(f"{table.name} has no timestamp column {due!r}")
        picked = picked.where(table.c[due] <= sa.func.now())
    order = list(order_by) or list(key)
    picked_cte = (
        picked.order_by(*_ordering(table, order)).limit(limit).with_for_update(skip_locked=True)
    ).cte("picked")
    values = _values(table, {state_column: to_state, **(changes or {})})
    claimed = (
        sa.update(table)
        .where(*(table.c[c] == picked_cte.c[c] for c in key))
        .values(values)
        .returning(*table.c)
        .cte("claimed")
    )
    return conn.execute(sa.select(claimed).order_by(*_ordering(claimed, order)))


def _ordering(source: sa.Table | sa.CTE, order: Sequence[str]) -> list[sa.ColumnElement[Any]]:
    out: list[sa.ColumnElement[Any]] = []
    for o in order:
        name = o.removeprefix("-")
        if name not in source.c:
            raise StoreError(f"cannot order by {name!r}: no such column")
        out.append(source.c[name].desc() if o.startswith("-") else source.c[name].asc())
    return out
