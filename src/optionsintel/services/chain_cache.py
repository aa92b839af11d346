"""Chain as-of views as encoded JSON, reused while the stored rows are unchanged.

The as-of read of a chain is a pure function of the rows stored for its window, so the
API keeps the encoded answer keyed by the read's *version*
(:func:`optionsintel.store.chain_version.read_chain_version`: the snapshot it resolves
to, the row count and the newest row version of the window). Each request still asks
the database for that version (one indexed query), so a new snapshot, a corrected row
or a late row is served at once; only building the frame and encoding it is saved.

While the API serves (:meth:`ChainViewCache.start`), the answer is also kept by the
request's own arguments (:attr:`ChainViewCache.reads`, a
:class:`~optionsintel.services.notified_cache.NotifiedCache` on
:data:`~optionsintel.store.notify.CHAINS_CHANNEL`): every statement that changes
``option_chain_snapshots`` empties it when it commits (migration 0014), so a repeated
read makes no database round trip at all until the chain table changes.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pandas as pd

from optionsintel.errors import RecordNotFoundError
from optionsintel.services import market
from optionsintel.services.notified_cache import NotifiedCache
from optionsintel.services.serialise import iso
from optionsintel.store.chain_version import read_chain_version
from optionsintel.store.notify import CHAINS_CHANNEL

if TYPE_CHECKING:
    from optionsintel.store import Store

View = Callable[..., dict[str, Any]]


class ChainViewCache:
    """A bounded LRU of encoded chain views (``chain_view`` and ``summary_view``)."""

    def __init__(self, max_entries: int = 256) -> None:
        self._entries: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._lock = threading.Lock()
        self.max_entries = max_entries
        self.hits = self.misses = 0
        self.reads = NotifiedCache(CHAINS_CHANNEL, max_entries=max_entries)

    def start(self, store: Store) -> None:
        """Serving: keep answers by request until the chain table changes."""
        self.reads.start(store)

    def stop(self) -> None:
        """Stop keeping answers by request."""
        self.reads.stop()

    def encoded(
        self, store: Store, kind: str, underlying: str, *, at: Any, provider: str | None,
        expiry: Any,
    ) -> bytes:  # fmt: skip
        """The JSON of ``market.<kind>`` (``chain_view`` or ``summary_view``) for the read.

        Serving, the API asks :attr:`reads` first (``reads.fetch``, keyed by
        ``(kind, underlying, at, provider, expiry)``) and calls this on a miss.
        """
        used, when = market.chain_instant(store, underlying, at=at, provider=provider)
        version = read_chain_version(store, underlying, when, provider=used, expiry=expiry)
        if version is None:
            raise RecordNotFoundError(
                f"no {used} chain of {underlying} at or within a day before "
                f"{iso(pd.Timestamp(when))}"
            )
        key = (kind, underlying, None if expiry is None else str(expiry), *version)
        with self._lock:
            body = self._entries.get(key)
            if body is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return body
        view: View = getattr(market, kind)
        doc = view(store, underlying, at=version.snapshot_ts, provider=used, expiry=expiry)
        body = json.dumps(doc, separators=(",", ":"), allow_nan=False).encode()
        with self._lock:
            self.misses += 1
            self._entries[key] = body
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return body
