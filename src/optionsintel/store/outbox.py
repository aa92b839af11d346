"""The alert outbox's two hot statements: claim due rows, and finish a delivered batch.

The dispatcher runs these on every round, so each is **one** statement returning plain
tuples (no DataFrame): at 200 notifications/s the generic :meth:`Writer.claim`,
:meth:`Writer.append` (staging table + COPY) and :meth:`Writer.transition_many` cost a
round tens of milliseconds of client time. The guarantees are theirs:

* :func:`claim_due` picks rows with ``FOR UPDATE SKIP LOCKED`` and moves them in the same
  statement (concurrent dispatchers never get the same row, never wait on each other).
  Claiming expired leases records the attempt the dead holder never finished as
  ``ABANDONED`` in the same statement.
* :func:`finish_batch` records every attempt (insert-only, ``ON CONFLICT DO NOTHING`` on
  the natural key ``(dedupe_key, attempt)``) and moves each row out of SENDING by
  compare-and-set (state SENDING, ``claimed_by`` this dispatcher, ``attempts`` the attempt
  it claimed) in one statement, hence one transaction: a row another dispatcher
  re-claimed after an expired lease is left to it.

SQL text is fixed (identifiers are constants of :mod:`optionsintel.store.schema`); every
value is a bound parameter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg

from optionsintel.store.api import Store
from optionsintel.store.engine import raw_connection

#: Columns of a claimed row, in the order :func:`claim_due` returns them.
CLAIMED = ("dedupe_key", "owner", "rule_name", "channel", "payload", "attempts", "last_error")

_CLAIM = """
WITH picked AS (
    SELECT dedupe_key FROM alert_notifications
    WHERE status = %(state)s AND next_attempt_at <= now()
    ORDER BY next_attempt_at
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE alert_notifications AS n
    SET status = 'SENDING', attempts = n.attempts + 1, claimed_by = %(name)s,
        next_attempt_at = now() + make_interval(secs => %(lease)s)
    FROM picked
    WHERE n.dedupe_key = picked.dedupe_key AND n.status = %(state)s
    RETURNING n.dedupe_key, n.owner, n.rule_name, n.channel, n.payload, n.attempts,
              n.last_error
)"""

_CLAIM_TAIL = """
SELECT dedupe_key, owner, rule_name, channel, payload, attempts, last_error FROM claimed
"""

_ABANDON = """, abandoned AS (
    INSERT INTO alert_delivery_attempts
        (dedupe_key, attempt, channel, dispatcher, started_at, finished_at, outcome, error)
    SELECT dedupe_key, attempts - 1, channel, 'unknown (lease expired)', now(), now(),
           'ABANDONED', 'the dispatcher holding the lease did not finish the attempt'
    FROM claimed WHERE attempts > 1
    ON CONFLICT (dedupe_key, attempt) DO NOTHING
)"""

_FINISH = """
WITH v AS (
    SELECT * FROM unnest(
        %(key)s::text[], %(attempt)s::int[], %(channel)s::text[], %(started)s::timestamptz[],
        %(finished)s::timestamptz[], %(outcome)s::text[], %(code)s::int[], %(error)s::text[],
        %(latency)s::float8[], %(delay)s::float8[]
    ) AS v(dedupe_key, attempt, channel, started_at, finished_at, outcome, status_code,
           error, latency_ms, delay)
), recorded AS (
    INSERT INTO alert_delivery_attempts
        (dedupe_key, attempt, channel, dispatcher, started_at, finished_at, outcome,
         status_code, error, latency_ms)
    SELECT dedupe_key, attempt, channel, %(name)s, started_at, finished_at, outcome,
           status_code, error, latency_ms
    FROM v
    ON CONFLICT (dedupe_key, attempt) DO NOTHING
)
UPDATE alert_notifications AS n
SET status = CASE v.outcome WHEN 'SENT' THEN 'SENT' WHEN 'RETRY' THEN 'PENDING'
                            ELSE 'FAILED' END,
    sent_at = CASE WHEN v.outcome = 'SENT' THEN now() ELSE n.sent_at END,
    next_attempt_at = CASE WHEN v.outcome = 'RETRY'
                           THEN now() + make_interval(secs => v.delay)
                           ELSE n.next_attempt_at END,
    last_error = v.error
FROM v
WHERE n.dedupe_key = v.dedupe_key AND n.status = 'SENDING' AND n.claimed_by = %(name)s
  AND n.attempts = v.attempt
RETURNING n.dedupe_key
"""

_OUTCOMES = ("SENT", "RETRY", "FAILED")


@dataclass(frozen=True)
class Attempt:
    """One finished delivery attempt of a claimed row.

    ``outcome`` is SENT (row -> SENT), RETRY (row -> PENDING, due ``delay`` seconds from
    the database clock) or FAILED (row -> FAILED); ``error`` becomes the row's
    ``last_error`` (None for SENT).
    """

    dedupe_key: str
    attempt: int
    channel: str
    outcome: str
    started: dt.datetime
    finished: dt.datetime
    status_code: int | None = None
    error: str | None = None
    delay: float = 0.0


def claim_due(
    store: Store, name: str, limit: int, lease_seconds: float, *, expired: bool = False
) -> list[dict[str, Any]]:
    """Claim up to ``limit`` due rows for dispatcher ``name``: one autocommitted statement.

    Parameters
    ----------
    store
        The store holding the outbox.
    name
        The dispatcher's name, written to ``claimed_by``.
    limit
        Most rows to claim (at least 1).
    lease_seconds
        The lease: a claimed row's ``next_attempt_at`` becomes now + this (database clock).
    expired
        Claim rows whose lease expired (state SENDING, ``next_attempt_at`` past) instead of
        PENDING ones, recording each one's unfinished attempt as ABANDONED.

    Returns
    -------
    list of dict
        The claimed rows after the claim (:data:`CLAIMED` columns; ``attempts`` is the
        attempt now being made, ``payload`` a dict).
    """
    if limit < 1:
        raise ValueError(f"a claim takes at least one row, got limit={limit}")
    text = _CLAIM + (_ABANDON if expired else "") + _CLAIM_TAIL
    params = {"state": "SENDING" if expired else "PENDING", "limit": int(limit),
              "name": name, "lease": float(lease_seconds)}  # fmt: skip
    with _single_statement(store) as cur:
        cur.execute(text, params)
        return [dict(zip(CLAIMED, row, strict=True)) for row in cur.fetchall()]


def finish_batch(store: Store, name: str, attempts: Sequence[Attempt]) -> set[str]:
    """Record ``attempts`` and move their rows out of SENDING: one statement.

    Returns
    -------
    set of str
        Keys of the rows this call moved; a row absent from it had left this
        dispatcher's claim (its lease expired and another dispatcher re-claimed it).
        Every attempt is recorded either way.
    """
    if not attempts:
        return set()
    bad = {a.outcome for a in attempts} - set(_OUTCOMES)
    if bad:
        raise ValueError(f"an attempt's outcome is one of {_OUTCOMES}, got {sorted(bad)}")
    params = {
        "name": name,
        "key": [a.dedupe_key for a in attempts],
        "attempt": [int(a.attempt) for a in attempts],
        "channel": [a.channel for a in attempts],
        "started": [a.started for a in attempts],
        "finished": [a.finished for a in attempts],
        "outcome": [a.outcome for a in attempts],
        "code": [a.status_code for a in attempts],
        "error": [a.error for a in attempts],
        "latency": [(a.finished - a.started).total_seconds() * 1e3 for a in attempts],
        "delay": [float(a.delay) for a in attempts],
    }
    with _single_statement(store) as cur:
        cur.execute(_FINISH, params)
        return {row[0] for row in cur.fetchall()}


@contextmanager
def _single_statement(store: Store) -> Iterator[psycopg.Cursor[Any]]:
    """A cursor on an autocommit connection: each statement is its own transaction.

    :func:`claim_due` and :func:`finish_batch` are one statement each, which PostgreSQL
    runs atomically as an implicit transaction; an explicit ``BEGIN`` and ``COMMIT``
    would only add two round trips to every dispatcher round.
    """
    with store.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        with raw_connection(conn).cursor() as cur:
            yield cur
