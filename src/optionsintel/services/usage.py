"""Daily API-call counts kept in the serving process and written in batches.

Counting every call with its own upsert costs a database transaction per request.
:class:`UsageMeter` counts in memory and writes every user's new calls in one statement
at most every :data:`FLUSH_INTERVAL` seconds (:meth:`UsageMeter.flush`, driven by the
API's background task, and once more at shutdown).

The daily quota stays exact with one worker: a user's count is read from the database
the first time it is needed each day, then ``stored total + calls not yet written`` is
compared with the limit on every call, and each flush replaces the stored total with the
database's (which includes other workers' calls). With ``N`` workers, a worker may admit
up to the calls the other workers made since its last flush (at most one flush interval
of their traffic) past the limit. A crash loses at most one interval of counts (the
single-statement path already committed asynchronously).
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import TYPE_CHECKING, Final

import pandas as pd

from optionsintel.services.identity import Identity
from optionsintel.services.quotas import enforce_daily, exchange_day
from optionsintel.store.accounts import add_api_calls, read_api_calls

if TYPE_CHECKING:
    from optionsintel.store import Store

#: Seconds between batched writes of the counts.
FLUSH_INTERVAL: Final = 0.2
Day = tuple[str, dt.date]


class UsageMeter:
    """Per-user daily call counts: stored totals plus calls not yet written."""

    def __init__(self) -> None:
        self._stored: dict[Day, int] = {}
        self._pending: dict[Day, int] = {}
        # the batch a flush is writing: counted until its stored totals replace _stored
        # (without it a call counted during the write saw neither, and the limit let
        # one more call through per call in flight)
        self._writing: dict[Day, int] = {}
        self._lock = threading.Lock()
        self._flushing = threading.Lock()

    def knows(self, username: str, now: pd.Timestamp | None = None) -> bool:
        """Whether today's stored total of ``username`` is loaded (count without I/O)."""
        return (username, exchange_day(now)) in self._stored

    def load(self, store: Store, username: str, now: pd.Timestamp | None = None) -> None:
        """Read today's stored total of ``username`` (once a day per user)."""
        day = (username, exchange_day(now))
        if day not in self._stored:
            total = read_api_calls(store, username, day[1])
            with self._lock:
                self._stored.setdefault(day, total)

    def count(self, identity: Identity, now: pd.Timestamp | None = None) -> int:
        """Count one call (call :meth:`load` first) and enforce the daily limit.

        Raises
        ------
        QuotaExceededError
            As :func:`optionsintel.services.quotas.count_call` (the call is counted).
        """
        day = (identity.username, exchange_day(now))
        with self._lock:
            self._pending[day] = self._pending.get(day, 0) + 1
            used = self._stored.get(day, 0) + self._writing.get(day, 0) + self._pending[day]
        return enforce_daily(identity, used, now)

    def used(self, username: str, now: pd.Timestamp | None = None) -> int | None:
        """Calls of ``username`` today, written or not (None when not loaded)."""
        day = (username, exchange_day(now))
        with self._lock:
            if day not in self._stored:
                return None
            return self._stored[day] + self._writing.get(day, 0) + self._pending.get(day, 0)

    def flush(self, store: Store) -> int:
        """Write the pending counts in one statement; the number of calls written."""
        with self._flushing:
            with self._lock:
                batch, self._pending = self._pending, {}
                self._writing = batch
            if not batch:
                return 0
            try:
                totals = add_api_calls(store, batch)
            except Exception:
                with self._lock:  # keep them for the next flush
                    self._writing = {}
                    for day, n in batch.items():
                        self._pending[day] = self._pending.get(day, 0) + n
                raise
            today = exchange_day()
            with self._lock:
                self._writing = {}
                for day, total in totals.items():
                    self._stored[day] = total
                for day in [d for d in self._stored if d[1] < today and d not in self._pending]:
                    del self._stored[day]
            return sum(batch.values())
