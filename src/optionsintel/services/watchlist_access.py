"""A user's own watchlists, for the API: scoped to the caller, sized by the tier, audited.

Each function takes the acting :class:`Identity`, checks ``alerts:own`` (watchlists are
what alert rules and scans name instead of symbols) and calls
:mod:`optionsintel.services.watchlists`, the service the CLI uses. The tier's
``watchlist_size`` (symbols in one list) is checked and the audit record written inside
the transaction that stores the list, so a refused or failed change leaves neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from optionsintel.auth import Permission
from optionsintel.errors import RecordNotFoundError, WatchlistError
from optionsintel.services import watchlists
from optionsintel.services.audit import record
from optionsintel.services.identity import Identity, authorise
from optionsintel.services.quotas import check_allowance

if TYPE_CHECKING:
    from optionsintel.store import Store
    from optionsintel.store.api import Writer


def list_own(store: Store, identity: Identity) -> list[watchlists.Watchlist]:
    """The caller's watchlists, by name."""
    authorise(identity, Permission.OWN_ALERTS)
    return watchlists.list_watchlists(store, owner=identity.username)


def get(store: Store, identity: Identity, name: str) -> watchlists.Watchlist:
    """One of the caller's watchlists (a missing one is "not found")."""
    authorise(identity, Permission.OWN_ALERTS)
    try:
        return watchlists.get_watchlist(store, identity.username, name)
    except WatchlistError as exc:
        raise RecordNotFoundError(str(exc)) from None


def check_size(identity: Identity, size: int) -> None:
    """Refuse a list longer than the tier's ``watchlist_size`` (403: waiting does not help).

    Raises
    ------
    QuotaExceededError
        Naming the limit, the tier, the allowance and the size asked for.
    """
    check_allowance(identity.tier, "watchlist_size", size, 0)


def save(
    store: Store, identity: Identity, name: str, symbols: Sequence[str]
) -> watchlists.WatchlistChange:
    """Create or replace the caller's watchlist ``name``; audited as ``watchlist.save``.

    Unknown symbols are reported in the change and not stored.

    Raises
    ------
    QuotaExceededError
        More known symbols than the tier's ``watchlist_size``.
    WatchlistError
        A bad name.
    """
    authorise(identity, Permission.OWN_ALERTS)
    _, name = watchlists.check_name(identity.username, name)  # audited as it is stored

    def before_store(writer: Writer, stored: list[str] | None) -> None:
        size = len(stored or [])
        check_size(identity, size)
        record(writer, identity.actor, "watchlist.save", name, source=identity.source,
               details={"symbols": size})  # fmt: skip

    return watchlists.create_watchlist(
        store, identity.username, name, symbols, replace=True, before_store=before_store
    )


def delete(store: Store, identity: Identity, name: str) -> None:
    """Delete the caller's watchlist ``name``; audited as ``watchlist.delete``."""
    authorise(identity, Permission.OWN_ALERTS)
    _, name = watchlists.check_name(identity.username, name)

    def before_store(writer: Writer, _stored: list[str] | None) -> None:
        record(writer, identity.actor, "watchlist.delete", name, source=identity.source)

    try:
        watchlists.delete_watchlist(store, identity.username, name, before_store=before_store)
    except WatchlistError as exc:
        if "no watchlist" not in str(exc):
            raise
        raise RecordNotFoundError(str(exc)) from None
