"""Saved strategies: the caller's builder strategies as insert-only versions.

Everything goes through :mod:`optionsintel.services.strategy_access` (the same store
function the strategy builder saves with), scoped to the caller and audited.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request, Response, status
from pydantic import BaseModel, Field, model_validator

from optionsintel.api.deps import current_identity, guard, store_of
from optionsintel.api.schemas import ERRORS, SYMBOL_PATTERN, Limit, Offset, Page, Strict
from optionsintel.auth import Permission
from optionsintel.services import strategy_access as access
from optionsintel.services.identity import Identity
from optionsintel.services.serialise import iso, records

router = APIRouter(tags=["strategies"], responses=ERRORS)
_G = guard(Permission.OWN_STRATEGIES)
Me = Annotated[Identity, Depends(current_identity)]
NAME = r"^[A-Za-z0-9][A-Za-z0-9 _.\-]{0,79}$"
RULES_MAX_CHARS = 16_384
Name = Annotated[str, Path(pattern=NAME, description="e.g. 'short straddle'")]


class SavedLeg(Strict):
    """One leg as the strategy builder saves it."""

    instrument: Literal["CE", "PE", "FUT"]
    side: Literal["buy", "sell"]
    expiry: dt.date = Field(ge=dt.date(1990, 1, 1), le=dt.date(2100, 12, 31))
    strike: float | None = Field(default=None, gt=0, lt=1e7)
    lots: int = Field(default=1, ge=1, le=10_000)
    lot_size: int | None = Field(default=None, ge=1, le=1_000_000)
    premium: float | None = Field(default=None, ge=0, lt=1e7)
    iv: float | None = Field(default=None, gt=0, le=5, description="Decimal volatility.")

    @model_validator(mode="after")
    def _strike(self) -> SavedLeg:
        if (self.instrument == "FUT") != (self.strike is None):
            raise ValueError("options need a strike and futures have none")
        return self


class StrategySave(Strict):
    """A strategy to save: a new version unless identical to the newest."""

    name: str = Field(pattern=NAME)
    underlying: str = Field(pattern=SYMBOL_PATTERN)
    legs: list[SavedLeg] = Field(min_length=1, max_length=12)
    rules: dict[str, Any] | None = Field(
        default=None, description="Backtest settings (entry, exit), as the builder saves them."
    )
    note: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _storable(self) -> StrategySave:
        """PostgreSQL text and JSONB hold no NUL characters and no NaN or infinities."""
        try:
            text = json.dumps([self.rules, self.note], allow_nan=False)
        except ValueError:
            raise ValueError("rules must be plain JSON (no NaN or Infinity)") from None
        if "\\u0000" in text:
            raise ValueError("rules and note may not contain NUL characters")
        if len(text) > RULES_MAX_CHARS:
            raise ValueError(f"rules and note are limited to {RULES_MAX_CHARS} characters of JSON")
        return self


class SavedStrategyOut(BaseModel):
    """One immutable version of a saved strategy (``pin`` names it in backtests)."""

    pin: str
    name: str
    version: int
    underlying: str
    legs: list[dict[str, Any]]
    rules: dict[str, Any] | None
    content_hash: str
    note: str | None
    created_at: str | None
    stored: bool | None = None


def _out(s: access.SavedStrategy, stored: bool | None = None) -> dict[str, Any]:
    return {"pin": s.pin, "name": s.name, "version": s.version, "underlying": s.underlying,
            "legs": s.legs, "rules": s.rules, "content_hash": s.content_hash, "note": s.note,
            "created_at": iso(s.created_at), "stored": stored}  # fmt: skip


@router.get("/strategies/saved", response_model=Page, **_G)
def list_saved(request: Request, me: Me, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    """Your saved strategies (newest version of each), by name."""
    rows = records(access.list_own(store_of(request), me))
    nxt = offset + limit if offset + limit < len(rows) else None
    return {"items": rows[offset : offset + limit], "limit": limit, "offset": offset,
            "next_offset": nxt, "total": len(rows)}  # fmt: skip


@router.post("/strategies/saved", response_model=SavedStrategyOut,
             status_code=status.HTTP_201_CREATED, **_G)  # fmt: skip
def save(request: Request, response: Response, me: Me, body: StrategySave) -> dict[str, Any]:
    """Save a strategy: 201 with the new version, or 200 with the newest if unchanged."""
    legs = [leg.model_dump(mode="json") for leg in body.legs]
    saved, stored = access.save(store_of(request), me, body.name, underlying=body.underlying,
                                legs=legs, rules=body.rules, note=body.note)  # fmt: skip
    if not stored:
        response.status_code = status.HTTP_200_OK
    return _out(saved, stored)


@router.get("/strategies/saved/{name}", response_model=SavedStrategyOut, **_G)
def get_saved(request: Request, me: Me, name: Name) -> dict[str, Any]:
    """The newest version of your strategy ``name``."""
    return _out(access.version(store_of(request), me, name))


@router.get("/strategies/saved/{name}/versions", response_model=list[SavedStrategyOut], **_G)
def saved_versions(request: Request, me: Me, name: Name) -> list[dict[str, Any]]:
    """Every version of your strategy ``name``, oldest first."""
    return [_out(v) for v in access.versions(store_of(request), me, name)]


@router.get("/strategies/saved/{name}/versions/{version}", response_model=SavedStrategyOut, **_G)
def saved_version(
    request: Request, me: Me, name: Name, version: Annotated[int, Path(ge=1, le=10**9)]
) -> dict[str, Any]:
    """One version of your strategy ``name``."""
    return _out(access.version(store_of(request), me, name, version))
