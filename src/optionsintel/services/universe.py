"""Resolve a scan universe to symbols, and tell known instruments from unknown ones.

Known instruments are the ``instruments`` table plus every symbol with stored daily
bars or quotes (of any provider: this is a menu, not a value). The universes:

* ``fno``: symbols with a contract specification (``contract_specs``), instruments whose
  ``attributes`` say ``"fno": true``, and underlyings with stored end-of-day chain
  summaries of the scan's provider;
* ``equity``: active instruments of segment ``equity`` (else, when none are listed,
  every symbol with daily bars of the provider);
* ``sector:<name>``: active instruments of that sector (case-insensitive);
* ``watchlist:<owner>/<name>``: the watchlist's symbols (:mod:`.watchlists`);
* ``symbols:A,B``: the list; symbols not known are reported, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from optionsintel.errors import ScanSpecError
from optionsintel.scans import Universe, parse_universe
from optionsintel.store import Store, reads
from optionsintel.store import scans as repo


@dataclass(frozen=True)
class ResolvedUniverse:
    """The symbols of a universe (sorted) and the listed ones that are unknown."""

    universe: Universe
    symbols: list[str]
    unknown: list[str]


def known_symbols(store: Store, candidates: Iterable[str] | None = None) -> set[str]:
    """Known instrument symbols (of ``candidates`` when given)."""
    known = set(repo.read_instrument_list(store)["symbol"].astype(str))
    known |= set(reads.list_symbols(store)) | set(reads.list_underlyings(store))
    return known if candidates is None else known & set(candidates)


def split_known(store: Store, symbols: Iterable[str]) -> tuple[list[str], list[str]]:
    """(known, unknown) of ``symbols``, each in the given order."""
    listed = list(dict.fromkeys(symbols))
    known = known_symbols(store, listed)
    return [s for s in listed if s in known], [s for s in listed if s not in known]


def resolve_universe(store: Store, universe: Universe | str, *, provider: str) -> ResolvedUniverse:
    """The symbols of ``universe`` (see the module docstring).

    Raises
    ------
    ScanSpecError
        When the universe resolves to no symbol, or names a missing watchlist.
    """
    u = parse_universe(universe)
    unknown: list[str] = []
    if u.kind == "symbols":
        symbols, unknown = split_known(store, u.symbols)
    elif u.kind == "watchlist":
        owner, _, name = (u.name or "").partition("/")
        lists = repo.read_watchlists(store, owner=owner, name=name)
        if lists.empty:
            raise ScanSpecError(f"no watchlist {name!r} of {owner!r}")
        symbols, unknown = split_known(store, [str(s) for s in lists["symbols"].iloc[0]])
    elif u.kind == "sector":
        symbols = list(repo.read_instrument_list(store, sector=u.name)["symbol"].astype(str))
    elif u.kind == "equity":
        symbols = list(repo.read_instrument_list(store, segment="equity")["symbol"].astype(str))
        symbols = symbols or reads.list_symbols(store, provider=provider)
    else:
        symbols = _fno(store, provider)
    if not symbols:
        raise ScanSpecError(f"universe {u.text[:60]} has no known symbol")
    return ResolvedUniverse(u, sorted(set(symbols)), unknown)


def _fno(store: Store, provider: str) -> list[str]:
    inst = repo.read_instrument_list(store)
    flagged = [str(s) for s, a in zip(inst["symbol"], inst["attributes"], strict=True)
               if isinstance(a, dict) and a.get("fno") is True]  # fmt: skip
    chains = store.distinct("daily_option_oi_summary", "underlying", {"provider": provider})
    return sorted({*repo.read_derivative_symbols(store), *flagged, *map(str, chains)})
