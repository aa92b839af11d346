"""The lifecycle the API's in-memory caches share: listen on a NOTIFY channel, empty on news.

A cache built on :class:`ListeningCache` keeps entries only while its listening connection
is up (:attr:`active`); every notification on its channel, and every loss or return of
the connection, empties it and starts a new generation, so a value read before a change
and stored after it is discarded by :meth:`put`-style checks against :meth:`generation`.
Subclasses hold the entries and say how to drop them (:meth:`_drop_entries`).
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Final

from optionsintel.store.notify import Listener

if TYPE_CHECKING:
    from optionsintel.store import Store

_RETRY: Final = 1.0
_log = logging.getLogger(__name__)


class ListeningCache:
    """Base of the notified caches: a daemon thread LISTENs on ``channel``."""

    channel: str

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self._lock = threading.Lock()
        self._generation = 0
        self._live = False  # True only while the listener is connected
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.hits = self.misses = 0

    @property
    def active(self) -> bool:
        """Whether entries are kept and served (the listener is connected)."""
        return self._live

    def generation(self) -> int:
        """The current generation; pass it to ``put`` after reading the database."""
        return self._generation

    def _drop_entries(self) -> None:
        raise NotImplementedError

    def clear(self) -> None:
        """Drop every entry and start a new generation."""
        with self._lock:
            self._generation += 1
            self._drop_entries()

    def start(self, store: Store) -> None:
        """Listen in a daemon thread; entries are kept from now on.

        The LISTEN is in place before this returns, so no change committed after it is
        missed. Without a database connection the cache simply stays off (the API still
        works, reading the database on every request).
        """
        if self._thread is not None:
            return
        try:
            listener = Listener(store, self.channel)
        except Exception as exc:
            _log.warning("cache on %s off: cannot listen (%s)", self.channel, exc)
            return
        self._stop.clear()
        self._live = True
        self._thread = threading.Thread(
            target=self._listen, args=(listener,), name=f"cache-{self.channel}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop listening and drop every entry."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self._live = False
        self.clear()

    def _listen(self, listener: Listener) -> None:
        with listener:
            while not self._stop.is_set():
                got = listener.wait(0.5)
                if not listener.connected:
                    self._live = False
                    self.clear()
                    self._stop.wait(_RETRY)
                    listener.wait(0.0)  # reconnects (and LISTENs) when it can
                    self._live = listener.connected
                    self.clear()
                elif got:
                    self.clear()
