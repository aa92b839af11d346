"""Watchlists: named symbol lists per owner, for scans, alerts and the apps.

One service for every watchlist (they live in the ``alert_watchlists`` table, which the
alert engine already reads; ``services.alerts.save_watchlist`` stays compatible).
Symbols are normalised (upper case) and validated against the known instruments
(:func:`optionsintel.services.universe.known_symbols`): unknown ones are **reported** in
the :class:`WatchlistChange`, never silently dropped and never stored. Bulk add/remove
run in one transaction with the list row locked, so two concurrent edits both apply.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from optionsintel.errors import ScanSpecError, WatchlistError
from optionsintel.scans import normalise_symbol
from optionsintel.services.universe import split_known
from optionsintel.store import Store
from optionsintel.store import scans as repo
from optionsintel.store.api import Writer

MAX_WATCHLIST = 5_000
_NAME_RE = re.compile(r"^[\w\-. &]{1,80}$")
_OWNER_RE = re.compile(r"^[\w\-.@]{1,64}$")
#: Called inside a change's transaction with the symbols about to be stored (None for a
#: delete): a caller's allowance check and audit record (raising undoes the change).
BeforeStore = Callable[[Writer, "list[str] | None"], None]


@dataclass(frozen=True)
class Watchlist:
    """A stored watchlist."""

    owner: str
    name: str
    symbols: list[str]


@dataclass(frozen=True)
class WatchlistChange:
    """What a command did: the list after it, and what it added, removed, refused."""

    watchlist: Watchlist
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    """Symbols refused: not known instruments (nothing was stored for them)."""
    invalid: list[str] = field(default_factory=list)
    """Inputs that are not symbols at all."""
    absent: list[str] = field(default_factory=list)
    """Symbols asked to be removed that were not in the list."""


def check_name(owner: str, name: str) -> tuple[str, str]:
    """Validated (owner, name); :class:`WatchlistError` with a one-line message."""
    if not isinstance(owner, str) or not _OWNER_RE.match(owner.strip()):
        raise WatchlistError(f"owner {str(owner)[:40]!r} is not a user name")
    if not isinstance(name, str) or not _NAME_RE.match(name.strip()):
        raise WatchlistError(
            f"watchlist name {str(name)[:40]!r} is not valid (1-80 letters, digits, _-. &)"
        )
    return owner.strip(), name.strip()


def _parse(symbols: Iterable[str]) -> tuple[list[str], list[str]]:
    ok, bad = [], []
    for s in symbols:
        try:
            ok.append(normalise_symbol(s))
        except ScanSpecError:
            bad.append(str(s)[:40])
    return list(dict.fromkeys(ok)), bad


def list_watchlists(store: Store, *, owner: str | None = None) -> list[Watchlist]:
    """Watchlists (of ``owner``), by owner and name."""
    rows = repo.read_watchlists(store, owner=owner)
    return [Watchlist(str(r.owner), str(r.name), list(r.symbols or [])) for r in rows.itertuples()]


def get_watchlist(store: Store, owner: str, name: str) -> Watchlist:
    """One watchlist; :class:`WatchlistError` when absent."""
    owner, name = check_name(owner, name)
    rows = repo.read_watchlists(store, owner=owner, name=name)
    if rows.empty:
        raise WatchlistError(f"no watchlist {name!r} of {owner!r}")
    return Watchlist(owner, name, list(rows["symbols"].iloc[0] or []))


def create_watchlist(
    store: Store,
    owner: str,
    name: str,
    symbols: Sequence[str] = (),
    *,
    replace: bool = False,
    before_store: BeforeStore | None = None,
) -> WatchlistChange:
    """Create a watchlist of the known ``symbols`` (``replace`` overwrites an existing one).

    ``before_store`` runs in the transaction, with the symbols, before they are stored.

    Raises
    ------
    WatchlistError
        The name is taken (without ``replace``), or it would exceed the size limit.
    """
    owner, name = check_name(owner, name)
    parsed, invalid = _parse(symbols)
    known, unknown = split_known(store, parsed)
    _check_size(known)
    with store.transaction() as writer:
        exists = repo.lock_watchlist(writer, owner, name) is not None
        if exists and not replace:
            raise WatchlistError(f"watchlist {name!r} of {owner!r} exists; use add/remove")
        if before_store is not None:
            before_store(writer, known)
        _store(writer, owner, name, known)
    return WatchlistChange(Watchlist(owner, name, known), known, [], unknown, invalid)


def add_symbols(store: Store, owner: str, name: str, symbols: Sequence[str]) -> WatchlistChange:
    """Add the known ``symbols`` (order kept, duplicates ignored); report the unknown."""
    owner, name = check_name(owner, name)
    parsed, invalid = _parse(symbols)
    known, unknown = split_known(store, parsed)
    with store.transaction() as writer:
        current = _locked(writer, owner, name)
        added = [s for s in known if s not in set(current)]
        _check_size(current + added)
        _store(writer, owner, name, current + added)
    return WatchlistChange(Watchlist(owner, name, current + added), added, [], unknown, invalid)


def remove_symbols(store: Store, owner: str, name: str, symbols: Sequence[str]) -> WatchlistChange:
    """Remove ``symbols``; those not in the list are reported as ``absent``."""
    owner, name = check_name(owner, name)
    parsed, invalid = _parse(symbols)
    with store.transaction() as writer:
        current = _locked(writer, owner, name)
        drop = set(parsed)
        kept = [s for s in current if s not in drop]
        _store(writer, owner, name, kept)
    removed = [s for s in current if s in drop]
    absent = [s for s in parsed if s not in set(current)]
    return WatchlistChange(Watchlist(owner, name, kept), [], removed, [], invalid, absent)


def rename_watchlist(store: Store, owner: str, name: str, new_name: str) -> Watchlist:
    """Rename a watchlist (the new name must be free)."""
    owner, name = check_name(owner, name)
    _, new_name = check_name(owner, new_name)
    with store.transaction() as writer:
        current = _locked(writer, owner, name)
        if new_name != name and repo.lock_watchlist(writer, owner, new_name) is not None:
            raise WatchlistError(f"watchlist {new_name!r} of {owner!r} already exists")
        repo.rename_watchlist(writer, owner, name, new_name)
    return Watchlist(owner, new_name, current)


def delete_watchlist(
    store: Store, owner: str, name: str, *, before_store: BeforeStore | None = None
) -> None:
    """Delete a watchlist; :class:`WatchlistError` when absent."""
    owner, name = check_name(owner, name)
    with store.transaction() as writer:
        if not repo.delete_watchlist(writer, owner, name):
            raise WatchlistError(f"no watchlist {name!r} of {owner!r}")
        if before_store is not None:
            before_store(writer, None)


def _locked(writer: Writer, owner: str, name: str) -> list[str]:
    current = repo.lock_watchlist(writer, owner, name)
    if current is None:
        raise WatchlistError(f"no watchlist {name!r} of {owner!r} (create it first)")
    return current


def _check_size(symbols: list[str]) -> None:
    if len(symbols) > MAX_WATCHLIST:
        raise WatchlistError(f"a watchlist holds at most {MAX_WATCHLIST} symbols")


def _store(writer: Writer, owner: str, name: str, symbols: list[str]) -> None:
    frame = pd.DataFrame([{"owner": owner, "name": name, "symbols": symbols,
                           "updated_at": pd.Timestamp.now(tz="UTC")}])  # fmt: skip
    writer.write("alert_watchlists", frame)
