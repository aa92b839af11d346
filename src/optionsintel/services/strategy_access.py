"""A user's saved strategies, for the API: ownership and the audit record.

Every function takes the acting :class:`Identity` and checks ``strategies:own``; the
owner is always the caller, so another user's strategies are unreachable (their names
answer "not found", like one's own missing ones). Saving goes through the same
insert-only store function the strategy builder uses
(:func:`optionsintel.services.options_backtests.save_strategy`); a new version is
audited (``strategy.save``, target ``owner/name@version``) in the transaction that
stores it, and an unchanged save stores nothing and writes no record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from optionsintel.auth import Permission
from optionsintel.errors import RecordNotFoundError
from optionsintel.services.audit import record
from optionsintel.services.identity import Identity, authorise
from optionsintel.store import strategies as repo

if TYPE_CHECKING:
    import pandas as pd

    from optionsintel.store import Store
    from optionsintel.store.api import Writer

SavedStrategy = repo.SavedStrategy


def list_own(store: Store, identity: Identity) -> pd.DataFrame:
    """The newest version of each of the caller's strategies, by name."""
    authorise(identity, Permission.OWN_STRATEGIES)
    return repo.list_user_strategies(store, identity.username)


def save(
    store: Store,
    identity: Identity,
    name: str,
    *,
    underlying: str,
    legs: Sequence[Mapping[str, Any]],
    rules: Mapping[str, Any] | None = None,
    note: str | None = None,
) -> tuple[SavedStrategy, bool]:
    """Save ``name`` for the caller; (version, True when a new version was stored)."""
    authorise(identity, Permission.OWN_STRATEGIES)

    def audit(writer: Writer, saved: SavedStrategy) -> None:
        record(writer, identity.actor, "strategy.save", saved.pin, source=identity.source,
               details={"content_hash": saved.content_hash, "legs": len(saved.legs)})  # fmt: skip

    return repo.save_user_strategy(store, identity.username, name, underlying=underlying,
                                   legs=legs, rules=rules, note=note, on_saved=audit)  # fmt: skip


def versions(store: Store, identity: Identity, name: str) -> list[SavedStrategy]:
    """Every version of the caller's strategy ``name``, oldest first.

    Raises
    ------
    RecordNotFoundError
        When the caller has no strategy ``name``.
    """
    authorise(identity, Permission.OWN_STRATEGIES)
    found = repo.list_user_strategy_versions(store, identity.username, name)
    if not found:
        raise RecordNotFoundError(f"you have no saved strategy {name!r}")
    return found


def version(
    store: Store, identity: Identity, name: str, number: int | None = None
) -> SavedStrategy:
    """Version ``number`` (default: the newest) of the caller's strategy ``name``.

    Raises
    ------
    RecordNotFoundError
        When the caller has no such strategy or version.
    """
    authorise(identity, Permission.OWN_STRATEGIES)
    try:
        return repo.read_user_strategy(store, identity.username, name, number)
    except RecordNotFoundError:
        at = "" if number is None else f" version {number}"
        raise RecordNotFoundError(f"you have no saved strategy {name!r}{at}") from None
