"""A bounded in-process cache emptied whenever PostgreSQL announces a change of its source.

The API answers some reads (a chain as of an instant, a user's pattern list) from
memory while the rows they come from are unchanged. Triggers (migration 0014) send
``pg_notify(channel, table)`` for every statement that changes those rows, delivered when
the changing transaction commits; :class:`NotifiedCache` listens on that channel in a
daemon thread and drops every entry on receipt, so a change made anywhere (the
collector, a correction, the CLI, a manual SQL fix) is served at once: the bound is the
notification's delivery time, well under a millisecond on one host.

As with the key cache (:mod:`optionsintel.services.key_cache`), entries are kept and
served only while the listening connection is up; a value computed before a change but
stored after it is discarded (a generation counter); and an entry older than ``ttl``
seconds is recomputed, which bounds what no trigger sees (rows changed by hand in a
partition rather than through its table).

:meth:`NotifiedCache.fetch` is the serving path: one computation per missing key at a
time (concurrent requests for it wait for that one instead of each reading the
database, which under load turned every expiry into a burst of identical reads). An
entry past ``ttl`` that no notification has dropped is still served while one
computation refreshes it in the background (stale-while-revalidate): a notified change
empties the cache, so only an un-notified hand edit can be served late, by at most
``ttl`` plus one read; requests no longer queue behind the refresh every ``ttl`` seconds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Final

from optionsintel.services._listening import ListeningCache

#: Longest an entry is reused without a notification (s).
TTL: Final = 5.0
_log = logging.getLogger(__name__)


class NotifiedCache(ListeningCache):
    """Values by key, valid until ``ttl`` or the next notification on ``channel``.

    Parameters
    ----------
    channel
        The LISTEN/NOTIFY channel announcing changes of the cached values' source.
    ttl
        Seconds an entry is reused at most.
    max_entries
        Most entries kept (least recently used dropped first).
    clock
        Monotonic seconds (injectable for tests).
    """

    def __init__(
        self,
        channel: str,
        *,
        ttl: float = TTL,
        max_entries: int = 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(channel)
        self.ttl, self.max_entries, self._clock = ttl, max_entries, clock
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._flights: dict[Hashable, tuple[int, asyncio.Future[Any]]] = {}
        self._refreshes: set[asyncio.Future[Any]] = set()

    def get(self, key: Hashable) -> Any:
        """The value cached for ``key`` if younger than ``ttl``, or None."""
        value, fresh = self._lookup(key)
        return value if fresh else None

    def _lookup(self, key: Hashable) -> tuple[Any, bool]:
        """(value or None, whether it is younger than ``ttl``)."""
        if not self._live:
            return None, False
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None, False
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[1], self._clock() - entry[0] <= self.ttl

    def put(self, key: Hashable, value: Any, generation: int) -> None:
        """Keep ``value`` for ``key`` unless a change was announced since ``generation``."""
        with self._lock:
            if not self._live or generation != self._generation:
                return
            self._entries[key] = (self._clock(), value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    async def fetch(
        self,
        key: Hashable,
        compute: Callable[[], Any],
        run: Callable[[Callable[[], Any]], Awaitable[Any]],
    ) -> Any:
        """The value of ``key``: cached, or ``run(compute)`` once for concurrent callers.

        Callers arriving while a computation of ``key`` runs wait for it and share its
        value (or its exception), unless a change was announced meanwhile: then they
        compute again, so nothing read before a change is served after it. An entry past
        ``ttl`` is returned at once while one background computation replaces it.
        """
        value, fresh = self._lookup(key)
        if value is not None:
            if not fresh and key not in self._flights:
                task = asyncio.ensure_future(self._fly(key, compute, run, self._take_off(key)))
                self._refreshes.add(task)
                task.add_done_callback(self._refreshed)
            return value
        flight = self._flights.get(key)
        if flight is not None:
            started, future = flight
            value = await asyncio.shield(future)
            if started == self._generation:
                return value
            return await run(compute)
        return await self._fly(key, compute, run, self._take_off(key))

    def _take_off(self, key: Hashable) -> tuple[int, asyncio.Future[Any]]:
        """Register the one computation of ``key`` (at once, so no second one starts)."""
        flight = (self._generation, asyncio.get_running_loop().create_future())
        self._flights[key] = flight
        return flight

    async def _fly(
        self,
        key: Hashable,
        compute: Callable[[], Any],
        run: Callable[[Callable[[], Any]], Awaitable[Any]],
        flight: tuple[int, asyncio.Future[Any]],
    ) -> Any:
        """Compute ``key`` as the one flight others wait on; keep it if nothing changed."""
        generation, future = flight
        try:
            value = await run(compute)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it, none is also fine
            raise
        finally:
            if self._flights.get(key, (None, None))[1] is future:
                del self._flights[key]
        future.set_result(value)
        self.put(key, value, generation)
        return value

    def _refreshed(self, task: asyncio.Future[Any]) -> None:
        self._refreshes.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # the stale entry stays until ttl is checked again; the next request retries
            _log.warning("refreshing a cached %s read failed: %s", self.channel, task.exception())

    def _drop_entries(self) -> None:
        self._entries = OrderedDict()
