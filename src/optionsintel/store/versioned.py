"""Insert-only versions of a named user document (patterns, saved strategies).

A document is named by the values of its key columns (``pattern_id``; ``owner, name``) and
each save appends one row ``(key…, version, …, content_hash)`` with the store's insert-only
append, so a stored version is never updated and a pin names the same content for ever.
Saving content whose hash equals the newest version's stores nothing and returns that
version. Two concurrent saves race on the primary key (or on the caller's head lock): the
loser stores nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import pandas as pd
import sqlalchemy as sa

if TYPE_CHECKING:
    from optionsintel.store.api import Store, Writer

__all__ = ["VersionedDocuments"]


class _Version(Protocol):
    @property
    def version(self) -> int: ...

    @property
    def content_hash(self) -> str: ...


V = TypeVar("V", bound=_Version)


@dataclass(frozen=True)
class VersionedDocuments(Generic[V]):
    """The versions table of one kind of document.

    Parameters
    ----------
    table
        The versions table: key columns, ``version``, ``content_hash`` and the content.
    key_columns
        The columns that name one document.
    as_version
        Builds the caller's version record from a row mapping.
    """

    table: sa.Table
    key_columns: tuple[str, ...]
    as_version: Callable[[Any], V]

    def _where(self, key: Mapping[str, Any]) -> list[sa.ColumnElement[bool]]:
        return [self.table.c[column] == key[column] for column in self.key_columns]

    def read(self, conn: sa.Connection, key: Mapping[str, Any], version: int) -> V | None:
        """Version ``version`` of the document ``key`` (None when not stored)."""
        stmt = sa.select(self.table).where(*self._where(key), self.table.c.version == version)
        row = conn.execute(stmt).mappings().first()
        return None if row is None else self.as_version(row)

    def newest(self, conn: sa.Connection, key: Mapping[str, Any]) -> V | None:
        """The newest version of the document ``key`` (None when none is stored)."""
        t = self.table
        stmt = sa.select(t).where(*self._where(key)).order_by(t.c.version.desc()).limit(1)
        row = conn.execute(stmt).mappings().first()
        return None if row is None else self.as_version(row)

    def all(self, conn: sa.Connection, key: Mapping[str, Any]) -> list[V]:
        """Every version of the document ``key``, oldest first (empty when none)."""
        stmt = sa.select(self.table).where(*self._where(key)).order_by(self.table.c.version)
        return [self.as_version(r) for r in conn.execute(stmt).mappings()]

    def save(
        self,
        store: Store,
        key: Mapping[str, Any],
        content: Mapping[str, Any],
        *,
        content_hash: str,
        lock_latest: Callable[[Writer], int | None] | None = None,
        before_append: Callable[[Writer, int], None] | None = None,
        on_saved: Callable[[Writer, V], None] | None = None,
    ) -> tuple[V, bool]:
        """Append the next version of ``key`` unless its content equals the newest's.

        Parameters
        ----------
        store
            The store.
        key
            The key columns' values.
        content
            The other columns of the new row (without ``version`` and ``content_hash``).
        content_hash
            The hash of the canonical content, compared with the newest version's.
        lock_latest
            Locks the document's head record and returns its newest version number (None
            for a new document); by default the newest stored version is read.
        before_append
            Called with the transaction and the new version number before the row is
            appended (moves the caller's head record).
        on_saved
            Called with the transaction and the stored version before it commits (the
            API's audit record); not called when nothing was stored.

        Returns
        -------
        (version, bool)
            The stored version, or the newest one and False when the content is unchanged.
        """
        with store.transaction() as tx:
            if lock_latest is None:
                latest = self.newest(tx.conn, key)
                number = None if latest is None else latest.version
            else:
                number = lock_latest(tx)
                latest = None if number is None else self.read(tx.conn, key, number)
            if latest is not None and latest.content_hash == content_hash:
                return latest, False
            version = 1 if number is None else int(number) + 1
            if before_append is not None:
                before_append(tx, version)
            row = {**key, "version": version, **content, "content_hash": content_hash}
            tx.append(self.table.name, pd.DataFrame([row]))
            stored = self.read(tx.conn, key, version)
            assert stored is not None
            if on_saved is not None:
                on_saved(tx, stored)
        return stored, True
