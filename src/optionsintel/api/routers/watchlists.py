"""Watchlists: the caller's named symbol lists (what alert rules and scans can name).

Everything goes through :mod:`optionsintel.services.watchlist_access` (ownership, the
tier's ``watchlist_size``, audit in the transaction of the change).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response, status
from pydantic import BaseModel, Field

from optionsintel.api.deps import current_identity, guard, store_of
from optionsintel.api.schemas import ERRORS, SYMBOL_PATTERN, Limit, Offset, Page, Strict
from optionsintel.auth import Permission
from optionsintel.services import watchlist_access as access
from optionsintel.services.identity import Identity
from optionsintel.services.watchlists import MAX_WATCHLIST, Watchlist

router = APIRouter(tags=["watchlists"], responses=ERRORS)
_G = guard(Permission.OWN_ALERTS)
Me = Annotated[Identity, Depends(current_identity)]
WATCHLIST_NAME = r"^[A-Za-z0-9_][A-Za-z0-9_\-. &]{0,79}$"
Name = Annotated[str, Path(pattern=WATCHLIST_NAME, description="e.g. banks")]


class WatchlistIn(Strict):
    """The symbols of the list, in order (unknown ones are reported, not stored)."""

    symbols: list[Annotated[str, Field(pattern=SYMBOL_PATTERN)]] = Field(max_length=MAX_WATCHLIST)


class WatchlistOut(BaseModel):
    """A stored watchlist."""

    name: str
    symbols: list[str]
    size: int


class WatchlistSaved(WatchlistOut):
    """A stored watchlist and what the save refused."""

    unknown: list[str] = Field(description="Not known instruments: not stored.")


def _out(w: Watchlist) -> dict[str, Any]:
    return {"name": w.name, "symbols": w.symbols, "size": len(w.symbols)}


@router.get("/watchlists", response_model=Page, **_G)
def list_watchlists(
    request: Request, me: Me, limit: Limit = 100, offset: Offset = 0
) -> dict[str, Any]:
    """Your watchlists, by name."""
    lists = access.list_own(store_of(request), me)
    nxt = offset + limit if offset + limit < len(lists) else None
    return {"items": [_out(w) for w in lists[offset : offset + limit]], "limit": limit,
            "offset": offset, "next_offset": nxt, "total": len(lists)}  # fmt: skip


@router.get("/watchlists/{name}", response_model=WatchlistOut, **_G)
def get_watchlist(request: Request, me: Me, name: Name) -> dict[str, Any]:
    """One of your watchlists."""
    return _out(access.get(store_of(request), me, name))


@router.put("/watchlists/{name}", response_model=WatchlistSaved, **_G)
def save_watchlist(request: Request, me: Me, name: Name, body: WatchlistIn) -> dict[str, Any]:
    """Create or replace a watchlist (at most the tier's ``watchlist_size`` symbols)."""
    change = access.save(store_of(request), me, name, body.symbols)
    return {**_out(change.watchlist), "unknown": change.unknown + change.invalid}


@router.delete("/watchlists/{name}", status_code=status.HTTP_204_NO_CONTENT, **_G)
def delete_watchlist(request: Request, me: Me, name: Name) -> Response:
    """Delete a watchlist (rules that name it stop matching it)."""
    access.delete(store_of(request), me, name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
