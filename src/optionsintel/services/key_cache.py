"""Verified API keys kept in memory for a few seconds, dropped on any account change.

Authenticating a key costs a database round trip (the key joined with its owner); under
load that round trip, not the hash, is the price of a request. :class:`KeyCache` keeps the
outcome of a *successful* verification, keyed by the key's SHA-256 (never the key), for
at most :data:`TTL` seconds.

Revocation stays immediate: the triggers of migration 0013 announce every UPDATE,
DELETE or TRUNCATE of ``api_keys`` and ``users`` on
:data:`optionsintel.store.notify.AUTH_CHANNEL` when the change commits, and a listener
thread empties the cache on receipt. The bound is the notification's delivery time
(well under a millisecond on one host); a request already past authentication finishes,
as it would without a cache. The cache is used only while the listening connection is
up: when it drops, the cache is emptied and every request goes to the database until
the listener is back. A verification read before a change but stored after it is
discarded (a generation counter), so a stale row cannot be cached. An expired key is
refused on the wall clock even when cached.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Final

import pandas as pd

from optionsintel.auth.keys import hash_api_key
from optionsintel.services._listening import ListeningCache
from optionsintel.services.identity import Identity
from optionsintel.store.notify import AUTH_CHANNEL

#: Longest a verified key is reused without asking the database (s).
TTL: Final = 5.0
#: Most keys kept (oldest dropped first).
MAX_ENTRIES: Final = 10_000


@dataclass(frozen=True)
class _Entry:
    identity: Identity
    expires_at: pd.Timestamp | None
    stored: float


class KeyCache(ListeningCache):
    """Identities of verified API keys, valid until :data:`TTL` or the next account change.

    Parameters
    ----------
    ttl
        Seconds an entry is reused.
    clock
        Monotonic seconds (injectable for tests).
    """

    def __init__(self, ttl: float = TTL, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(AUTH_CHANNEL)
        self.ttl, self._clock = ttl, clock
        self._entries: dict[str, _Entry] = {}

    def get(self, key: str, source: str | None) -> Identity | None:
        """The cached identity of ``key`` (with ``source`` set), or None."""
        if not self._live:
            return None
        digest = hash_api_key(key)
        entry = self._entries.get(digest)
        if entry is None or self._clock() - entry.stored > self.ttl:
            self.misses += 1
            return None
        if entry.expires_at is not None and entry.expires_at <= pd.Timestamp.now(tz="UTC"):
            self._entries.pop(digest, None)
            return None  # the database path gives the "expired" answer
        self.hits += 1
        return replace(entry.identity, source=source)

    def put(
        self, key: str, identity: Identity, expires_at: pd.Timestamp | None, generation: int
    ) -> None:
        """Keep ``identity`` for ``key`` unless an account changed since ``generation``."""
        with self._lock:
            if not self._live or generation != self._generation:
                return
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.pop(next(iter(self._entries)))
            self._entries[hash_api_key(key)] = _Entry(identity, expires_at, self._clock())

    def _drop_entries(self) -> None:
        self._entries = {}
