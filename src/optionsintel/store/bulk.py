"""Bulk idempotent writes: COPY, straight into the table or through a merge.

When no stored row can share a key with the frame (one primary-key probe: a new
snapshot, a backfill into an empty day), the rows are COPYed straight into the table:
nothing else costs as little. The probe travels in one pipelined round trip with the
partition check and the COPY's savepoint, answered while the frame is encoded.
Otherwise they are COPYed into a temporary table and one join with the stored rows
counts new keys and changed rows; a re-run that changes nothing stops there (not even
``ingested_at`` is rewritten). New keys are then added with ``INSERT ... SELECT ... ON
CONFLICT (natural key) DO NOTHING`` and changed rows updated in place with ``UPDATE ...
FROM`` the staging table. The caller learns how many rows were inserted, updated and
left unchanged. Everything runs inside the caller's transaction.

A large direct COPY also records a digest of the frame (:mod:`._digests`): writing the
same frame again, its rows untouched since, is then recognised by one lookup and one
scan of the key range, without staging or joining a row (backfills are re-run often).
Large binary payloads are encoded piece by piece while psycopg's queued writer sends
the previous piece, so encoding overlaps the server's COPY.

Why not one ``INSERT ... ON CONFLICT DO UPDATE``: on a partitioned table it cannot say
which rows were inserted (no ``xmax`` in ``RETURNING``), and it rewrites unchanged rows.
Figures: benchmarks/RESULTS.md (Store).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd
import psycopg
import sqlalchemy as sa
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter
from sqlalchemy import Connection
from sqlalchemy.dialects.postgresql import JSONB

from optionsintel.errors import FrameValidationError
from optionsintel.frames import json_text
from optionsintel.store import _digests, _pgbinary
from optionsintel.store._coerce import conform
from optionsintel.store.engine import raw_connection
from optionsintel.store.partitions import (
    ensure_partitions,
    ist_days,
    missing_partitions_query,
)
from optionsintel.store.schema import PARTITIONED_TABLES, natural_key

_NO_COMPARE = frozenset({"ingested_at", "created_at", "updated_at"})

#: Raw market observations: a later partial answer (a field the source left out this
#: time) never replaces a stored value with NULL. Derived tables (OI deltas, daily
#: summaries, signals) and state tables (alerts, operations: ``last_error`` is cleared
#: on success) are recomputed whole, so NULL there is a legitimate new value.
KEEP_STORED_VALUES = frozenset(
    {"underlying_quotes", "option_chain_snapshots", "intraday_open_interest", "daily_ohlc",
     "eod_option_chain", "equity_fundamentals"}
)  # fmt: skip


@dataclass(frozen=True)
class MergeResult:
    """Row counts of one merge."""

    table: str
    rows: int
    inserted: int
    updated: int

    @property
    def unchanged(self) -> int:
        """Rows that were already stored exactly as given."""
        return self.rows - self.inserted - self.updated


def prepare_frame(
    table: sa.Table, frame: pd.DataFrame, *, check_duplicates: bool = True
) -> pd.DataFrame:
    """Select the table's columns, check the natural key, serialise JSON columns.

    ``check_duplicates=False`` leaves the check that no key repeats to the caller
    (:func:`check_unique_keys`): the direct COPY has the primary key make it.

    Raises
    ------
    FrameValidationError
        When key columns are missing or null, keys are duplicated, or a value cannot be
        stored exactly as given (see :mod:`optionsintel.store._coerce`).
    """
    key = natural_key(table)
    missing = [c for c in key if c not in frame.columns]
    if missing:
        raise FrameValidationError(
            f"cannot write to {table.name}: key columns {missing} are missing "
            f"(natural key is {list(key)})"
        )
    cols = [c.name for c in table.columns if c.name in frame.columns]
    picked = frame if cols == list(frame.columns) else frame.loc[:, cols]  # CoW: no copy
    out = conform(table, picked)  # before the key checks: naive == aware IST
    if any(out[c].hasnans for c in key):  # the row mask only when some key is null
        null_keys = out[list(key)].isna().any(axis=1)
        raise FrameValidationError(
            f"cannot write to {table.name}: {int(null_keys.sum())} rows have null key values"
        )
    if check_duplicates:
        check_unique_keys(table, out)
    json_cols = [c.name for c in table.columns if isinstance(c.type, JSONB) and c.name in cols]
    if json_cols:
        out = out.copy()
        for c in json_cols:
            out[c] = [json_text(v) for v in out[c]]
    return out


def check_unique_keys(table: sa.Table, prepared: pd.DataFrame) -> None:
    """Raise :class:`FrameValidationError` when a natural key repeats in ``prepared``."""
    key = list(natural_key(table))
    dup = prepared.duplicated(key)
    if dup.any():
        example = prepared.loc[dup, key].iloc[0].to_dict()
        raise FrameValidationError(
            f"cannot write to {table.name}: {int(dup.sum())} rows repeat a natural key, "
            f"e.g. {example}"
        )


def prepare_with_partitions(
    conn: Connection, table: sa.Table, frame: pd.DataFrame, *, check_duplicates: bool = True
) -> pd.DataFrame:
    """:func:`prepare_frame`, then create the partitions the rows fall in (if partitioned)."""
    prepared = prepare_frame(table, frame, check_duplicates=check_duplicates)
    if not prepared.empty and table.name in PARTITIONED_TABLES:
        ensure_partitions(conn, table.name, ist_days(prepared[PARTITIONED_TABLES[table.name]]))
    return prepared


def copy_merge(
    conn: Connection, table: sa.Table, frame: pd.DataFrame, *, direct: bool = True
) -> MergeResult:
    """Write ``frame`` into ``table`` idempotently through COPY + a merge.

    Parameters
    ----------
    conn
        A SQLAlchemy connection inside a transaction (``engine.begin()``); nothing is
        committed here, so a failure leaves nothing half-written.
    table
        Target table of :mod:`optionsintel.store.schema`.
    frame
        Rows to write; extra columns are ignored, absent non-key columns keep defaults.
    direct
        Allow the fast path: when no stored row can share a key with ``frame`` (see
        :func:`_near`), COPY straight into ``table``. ``False`` forces the
        staged merge (tests pin that both store the same rows).
    """
    # A key repeated in the frame: the direct COPY's primary key refuses it (checked
    # then, see below); every other path checks first (a merge would keep one silently).
    prepared = prepare_frame(table, frame, check_duplicates=False)
    if prepared.empty:
        return MergeResult(table.name, 0, 0, 0)
    n, cols = len(prepared), list(prepared.columns)
    near = _near(table, prepared) if direct else None
    with raw_connection(conn).cursor() as cur:
        if near is None:
            _ensure_partitions(conn, table, prepared)
            payload, found = _Payload(table, prepared), True
        else:  # the savepoint of the direct COPY is open when nothing was found
            payload, found = _probe_encoding(conn, table, prepared, near)
        digested = n >= DIGEST_MIN_ROWS and payload.encoded is not None
        if near is not None and not found:
            if digested:
                payload.start_digest()  # hashed in a thread while the rows are sent
            if _copy_direct(cur, table, cols, payload):
                if digested:
                    _digests.record(cur, table.name, near, payload.digest(), n)
                return MergeResult(table.name, n, n, 0)
            near = None  # a key collided: repeated in the frame (raised next) or concurrent
        check_unique_keys(table, prepared)
        if (
            near is not None
            and digested
            and _digests.unchanged(cur, table.name, near, payload.digest(), n)
        ):
            return MergeResult(table.name, n, 0, 0)
        tmp = f"_stage_{table.name}"
        _stage_payload(cur, table, cols, tmp, payload)
        inserted, updated = _merge(cur, table, cols, tmp, n, _time_range(table, prepared))
    return MergeResult(table.name, n, inserted, updated)


def _ensure_partitions(conn: Connection, table: sa.Table, prepared: pd.DataFrame) -> None:
    if table.name in PARTITIONED_TABLES:
        ensure_partitions(conn, table.name, ist_days(prepared[PARTITIONED_TABLES[table.name]]))


def _probe_encoding(
    conn: Connection, table: sa.Table, prepared: pd.DataFrame, near: _digests.Near
) -> tuple[_Payload, bool]:
    """(the COPY payload, whether a stored row lies ``near``), the partitions made.

    One round trip instead of three (the missing partitions, the probe, the direct COPY's
    ``SAVEPOINT``; psycopg still syncs a BEGIN of its own before them), sent in a pipeline
    before the frame is encoded so the server answers while the client encodes (each
    round trip waits for two processes to be scheduled, which costs most on a busy
    machine). The savepoint is left open only when
    nothing was found (the direct COPY follows); a missing partition is created outside it.
    """
    raw = raw_connection(conn)
    days = ist_days(prepared[PARTITIONED_TABLES[table.name]])
    missing_q, missing_params = missing_partitions_query(table.name, days)
    opened = False
    try:
        with raw.pipeline(), raw.cursor() as missing, raw.cursor() as probe:
            missing.execute(missing_q, missing_params)
            probe.execute(_exists_query(table, near), near.params)
            raw.execute(_SAVEPOINT)
            opened = True
            payload = _Payload(table, prepared)  # encoded while the server answers
            absent = [name for (name,) in missing.fetchall()]
            found = bool(probe.fetchone()[0])  # type: ignore[index]
    except BaseException:  # a value the encoder refused (or any other stop): no savepoint
        # is left open in the caller's transaction; a transaction the server already
        # failed refuses the release, and the first error is the one that counts
        if opened:
            with contextlib.suppress(psycopg.Error):
                raw.execute(_RELEASE)
        raise
    if absent or found:
        raw.execute(_RELEASE)
    if absent:  # new days (once a day): made outside the savepoint, kept whatever follows
        ensure_partitions(conn, table.name, days)
        if not found:
            raw.execute(_SAVEPOINT)
    return payload, found


_SAVEPOINT = "SAVEPOINT _oi_direct_copy"
_RELEASE = "RELEASE SAVEPOINT _oi_direct_copy"


#: Frames this large get a content digest (``write_digests``): below it a re-run's
#: staged merge is cheap anyway and a snapshot write pays nothing extra.
DIGEST_MIN_ROWS = 50_000


class _Payload:
    """COPY data of a prepared frame: binary (vectorised) or CSV text, and its digest."""

    def __init__(self, table: sa.Table, prepared: pd.DataFrame) -> None:
        self._frame = prepared
        self._digest: bytes | None = None
        self._thread: threading.Thread | None = None
        try:
            self.encoded: _pgbinary.Encoded | None = _pgbinary.Encoded(table, prepared)
            self.fmt = "FORMAT binary"
        except _pgbinary.TooManyLayoutsError:
            self.encoded, self.fmt = None, "FORMAT csv, NULL ''"

    def parts(self) -> Iterator[bytes | memoryview]:
        """The COPY data, piece by piece (built as consumed; callable again)."""
        if self.encoded is None:
            return iter([_to_csv(self._frame)])
        return self.encoded.parts()

    def start_digest(self) -> None:
        """Begin :meth:`digest` in a thread (hashlib releases the GIL on large buffers)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._compute, name="oi-digest", daemon=True)
            self._thread.start()

    def digest(self) -> bytes:
        """SHA-256 of the compared contents (``ingested_at``... left out); binary only."""
        if self._thread is not None:
            self._thread.join()
        if self._digest is None:
            self._compute()
        assert self._digest is not None
        return self._digest

    def _compute(self) -> None:
        if self._digest is None and self.encoded is not None:
            self._digest = self.encoded.digest(skip=_NO_COMPARE)


def _near(table: sa.Table, prepared: pd.DataFrame) -> _digests.Near | None:
    """Where a stored row could share a key with ``prepared`` (partitioned tables only).

    Their key holds the partition timestamp: the frame's time range and its leading key
    values (underlying, provider...) bound every key it can collide with.
    """
    ts_col, key = PARTITIONED_TABLES.get(table.name), natural_key(table)
    if ts_col is None or ts_col not in key:
        return None
    conds: list[sql.Composable] = [sql.SQL("{} BETWEEN %s AND %s").format(sql.Identifier(ts_col))]
    params: list[Any] = list(_time_range(table, prepared) or ())
    for c in key[: key.index(ts_col)]:
        values = prepared[c].unique()
        if len(values) > _MAX_PROBE_VALUES or not all(isinstance(v, str) for v in values):
            break
        conds.append(sql.SQL("{} = ANY(%s)").format(sql.Identifier(c)))
        params.append(list(values))
    return _digests.Near(sql.SQL(" AND ").join(conds), params)


def _exists_query(table: sa.Table, near: _digests.Near) -> sql.Composed:
    """Whether any stored row lies where ``near`` says (one primary-key probe)."""
    return sql.SQL("SELECT EXISTS (SELECT 1 FROM {t} WHERE {w})").format(
        t=sql.Identifier(table.name), w=near.where
    )


_MAX_PROBE_VALUES = 64


def _time_range(table: sa.Table, prepared: pd.DataFrame) -> tuple[dt.datetime, dt.datetime] | None:
    """Bounds of a partitioned table's timestamp in ``prepared`` (to prune partitions)."""
    ts_col = PARTITIONED_TABLES.get(table.name)
    if ts_col is None:
        return None
    ts, one_us = prepared[ts_col], dt.timedelta(microseconds=1)  # datetimes drop ns: widen
    return ts.min().to_pydatetime() - one_us, ts.max().to_pydatetime() + one_us


def _copy_direct(
    cur: psycopg.Cursor[Any], table: sa.Table, cols: list[str], payload: _Payload
) -> bool:
    """COPY ``payload`` straight into ``table`` under the open savepoint; False if keys collided.

    The savepoint (``_oi_direct_copy``) was opened by :func:`_probe_encoding`. A
    concurrent writer of the same new keys makes the COPY fail with a unique violation
    (or a deadlock, rows being in another order); the savepoint is then rolled back and
    the caller merges through the staging table instead, which waits for and respects it.
    """
    try:
        _copy(cur, table.name, cols, payload)
    except (psycopg.errors.UniqueViolation, psycopg.errors.DeadlockDetected):
        cur.execute("ROLLBACK TO SAVEPOINT _oi_direct_copy")
        cur.execute(_RELEASE)
        return False
    cur.execute(_RELEASE)
    return True


def _copy(cur: psycopg.Cursor[Any], target: str, cols: list[str], payload: _Payload) -> None:
    """COPY ``payload`` into ``target``.

    Large binary payloads go through psycopg's queued writer: a worker thread sends one
    piece while this thread encodes the next, so the client's encoding overlaps the
    server's COPY instead of preceding it.
    """
    copy_sql = sql.SQL("COPY {t} ({cols}) FROM STDIN WITH ({fmt})").format(
        t=sql.Identifier(target),
        cols=sql.SQL(", ").join(map(sql.Identifier, cols)),
        fmt=sql.SQL(payload.fmt),
    )
    queued = payload.encoded is not None and payload.encoded.rows >= _QUEUED_MIN_ROWS
    writer = QueuedLibpqWriter(cur) if queued else None
    with cur.copy(copy_sql, writer=writer) as copy:
        for part in payload.parts():
            copy.write(part)


_QUEUED_MIN_ROWS = 100_000  # below it one piece is the whole payload: nothing to overlap


def _to_csv(frame: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    frame.to_csv(buf, index=False, header=False, na_rep="", date_format="%Y-%m-%d %H:%M:%S.%f%z")
    return buf.getvalue().encode()


def _merge(
    cur: psycopg.Cursor[Any],
    table: sa.Table,
    cols: list[str],
    tmp: str,
    rows: int,
    bounds: tuple[dt.datetime, dt.datetime] | None = None,
) -> tuple[int, int]:
    """Merge the staged rows; return (inserted, updated).

    First one join of the staging table with the stored rows (through the primary key)
    counts the new keys and the changed rows; a re-run that changes nothing stops there,
    without writing (backfills are re-run often). Then an ``INSERT ... ON CONFLICT DO
    NOTHING`` if some keys are new, and an ``UPDATE ... FROM`` the staging table if some
    rows differ. Rows are inserted in key order, so two writers of the same new keys wait
    for each other instead of deadlocking.
    """
    key = natural_key(table)
    compared = [c for c in cols if c not in key and c not in _NO_COMPARE]
    ident, t, s = sql.Identifier, sql.Identifier(table.name), sql.Identifier(tmp)
    keep = table.name in KEEP_STORED_VALUES
    new, changed = rows, 0
    if compared:
        cur.execute(sql.SQL("ANALYZE {}").format(s))  # a good join plan needs the row count
        prune: sql.Composable = sql.SQL("")
        if bounds is not None:  # literal bounds let the planner skip other days' partitions
            prune = sql.SQL(" AND d.{c} BETWEEN {lo} AND {hi}").format(
                c=ident(PARTITIONED_TABLES[table.name]),
                lo=sql.Literal(bounds[0]),
                hi=sql.Literal(bounds[1]),
            )
        new, changed = _classify(cur, key, compared, t, s, keep, prune)
    inserted = 0
    if new:
        collist = sql.SQL(", ").join(map(ident, cols))
        cur.execute(
            sql.SQL(
                "WITH ins AS (INSERT INTO {t} ({cols}) SELECT {cols} FROM {s} ORDER BY {key} "
                "ON CONFLICT ({key}) DO NOTHING RETURNING 1) SELECT count(*) FROM ins"
            ).format(t=t, s=s, cols=collist, key=sql.SQL(", ").join(map(ident, key)))
        )
        inserted = int(cur.fetchone()[0])  # type: ignore[index]
    if not changed:
        return inserted, 0
    updatable = [c for c in cols if c not in key]
    cur.execute(
        sql.SQL(
            "UPDATE {t} AS d SET {sets} FROM {s} AS n WHERE {match} "
            "AND ({old}) IS DISTINCT FROM ({new})"
        ).format(
            t=t,
            s=s,
            sets=sql.SQL(", ").join(
                sql.SQL("{c} = {v}").format(c=ident(c), v=_value(c, keep)) for c in updatable
            ),
            match=_match(key),
            old=sql.SQL(", ").join(sql.SQL("d.{c}").format(c=ident(c)) for c in compared),
            new=sql.SQL(", ").join(_value(c, keep) for c in compared),
        )
    )
    return inserted, cur.rowcount


def _value(c: str, keep: bool) -> sql.Composable:
    if keep:  # NULL in a partial answer keeps the stored value
        return sql.SQL("COALESCE(n.{c}, d.{c})").format(c=sql.Identifier(c))
    return sql.SQL("n.{c}").format(c=sql.Identifier(c))


def _match(key: tuple[str, ...]) -> sql.Composable:
    return sql.SQL(" AND ").join(sql.SQL("d.{c} = n.{c}").format(c=sql.Identifier(c)) for c in key)


def _classify(
    cur: psycopg.Cursor[Any],
    key: tuple[str, ...],
    compared: list[str],
    t: sql.Identifier,
    s: sql.Identifier,
    keep: bool,
    prune: sql.Composable,
) -> tuple[int, int]:
    """(staged rows whose key is new, staged rows that differ from the stored row)."""
    found = sql.SQL("d.{} IS NOT NULL").format(sql.Identifier(key[0]))  # key is NOT NULL
    differs = sql.SQL("({old}) IS DISTINCT FROM ({new})").format(
        old=sql.SQL(", ").join(sql.SQL("d.{c}").format(c=sql.Identifier(c)) for c in compared),
        new=sql.SQL(", ").join(_value(c, keep) for c in compared),
    )
    cur.execute(
        sql.SQL(
            "SELECT count(*) FILTER (WHERE NOT {found}), "
            "count(*) FILTER (WHERE {found} AND {differs}) "
            "FROM {s} AS n LEFT JOIN {t} AS d ON {match}{prune}"
        ).format(found=found, differs=differs, s=s, t=t, match=_match(key), prune=prune)
    )
    new, changed = cur.fetchone()  # type: ignore[misc]
    return int(new), int(changed)


def stage_frame(
    cur: psycopg.Cursor[Any], table: sa.Table, prepared: pd.DataFrame, tmp: str
) -> None:
    """COPY ``prepared`` (see :func:`prepare_frame`) into temporary table ``tmp``.

    ``tmp`` is created like ``table`` on first use in the transaction (dropped at commit)
    and emptied otherwise, so several writes of one transaction can reuse it.
    """
    _stage_payload(cur, table, list(prepared.columns), tmp, _Payload(table, prepared))


def _stage_payload(
    cur: psycopg.Cursor[Any], table: sa.Table, cols: list[str], tmp: str, payload: _Payload
) -> None:
    cur.execute(
        sql.SQL(
            "CREATE TEMP TABLE IF NOT EXISTS {tmp} (LIKE {t} INCLUDING DEFAULTS) ON COMMIT DROP"
        ).format(tmp=sql.Identifier(tmp), t=sql.Identifier(table.name))
    )
    cur.execute(sql.SQL("TRUNCATE {}").format(sql.Identifier(tmp)))
    _copy(cur, tmp, cols, payload)
