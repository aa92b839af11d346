"""PostgreSQL LISTEN/NOTIFY as a wake-up signal (never as the source of truth).

A writer calls :func:`notify` inside its transaction; PostgreSQL delivers the
notification only when that transaction commits (and drops it on rollback), so a
listener is woken exactly when there is committed work to find. Notifications are not
queued for absent listeners and may be coalesced, so a listener must still poll its table
now and then: the table (e.g. the alert outbox) is the truth, the notification only
shortens the wait.
"""

from __future__ import annotations

from typing import Any

import psycopg
import sqlalchemy as sa
from psycopg import sql
from sqlalchemy.engine import Engine

from optionsintel.store.api import Store, Writer

#: Channel on which new alert notifications are announced.
ALERTS_CHANNEL = "optionsintel_alert_notifications"
#: Channel on which changes to API keys and accounts are announced (by the triggers of
#: migration 0013), so caches of verified keys can be dropped at once.
AUTH_CHANNEL = "optionsintel_auth"
#: Channel on which changes to ``option_chain_snapshots`` are announced (migration 0014,
#: and the retention's partition drops), so cached chain reads can be dropped at once.
CHAINS_CHANNEL = "optionsintel_chains"
#: Channel on which changes to pattern heads (``custom_patterns``) are announced.
PATTERNS_CHANNEL = "optionsintel_patterns"


def notify(writer: Writer, channel: str, payload: str = "") -> None:
    """Queue a notification on ``channel``, sent when ``writer``'s transaction commits."""
    writer.conn.execute(sa.text("SELECT pg_notify(:c, :p)"), {"c": channel, "p": payload})


def _conninfo(engine: Engine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


class Listener:
    """A dedicated autocommit connection listening on one channel.

    Parameters
    ----------
    store
        The store whose database to listen on.
    channel
        The channel name (quoted as an identifier, never formatted into SQL).
    """

    def __init__(self, store: Store, channel: str = ALERTS_CHANNEL) -> None:
        self._conninfo = _conninfo(store.engine)
        self.channel = channel
        self._conn: psycopg.Connection[Any] | None = None
        self._connect()

    def _connect(self) -> None:
        self._conn = psycopg.connect(self._conninfo, autocommit=True)
        self._conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))

    def wait(self, timeout: float) -> int:
        """Block until a notification arrives or ``timeout`` seconds pass.

        Returns
        -------
        int
            Notifications received (0 on timeout). A lost connection is re-opened and
            counts as a wake-up, since notifications may have been missed meanwhile.
        """
        try:
            if self._conn is None or self._conn.closed:
                self._connect()
                return 1
            assert self._conn is not None
            got = sum(1 for _ in self._conn.notifies(timeout=max(timeout, 0.0), stop_after=1))
            if got:
                got += sum(1 for _ in self._conn.notifies(timeout=0.0))
            return got
        except psycopg.OperationalError:
            self.close()
            return 1

    @property
    def connected(self) -> bool:
        """Whether the listening connection is open (no notification can be missed)."""
        return self._conn is not None and not self._conn.closed

    def close(self) -> None:
        """Close the listening connection (idempotent)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
