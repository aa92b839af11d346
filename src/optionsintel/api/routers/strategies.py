"""Strategies: analyse a multi-leg position priced from a stored chain at an instant."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, model_validator

from optionsintel.api.deps import current_identity, guard, store_of
from optionsintel.api.routers._params import BodyInstant
from optionsintel.api.schemas import ERRORS, PROVIDER_PATTERN, SYMBOL_PATTERN, Strict
from optionsintel.auth import Permission
from optionsintel.services import strategy_analysis as service
from optionsintel.services.identity import Identity
from optionsintel.strategies import LegSpec

router = APIRouter(tags=["strategies"], responses=ERRORS)
Me = Annotated[Identity, Depends(current_identity)]


class LegIn(Strict):
    """One leg: a call, put or future of one expiry; strike for options."""

    instrument: Literal["CE", "PE", "FUT"]
    side: Literal["buy", "sell"]
    expiry: dt.date = Field(ge=dt.date(1990, 1, 1), le=dt.date(2100, 12, 31))
    strike: float | None = Field(default=None, gt=0, lt=1e7)
    ratio: int = Field(default=1, ge=1, le=100, description="Lots of this leg per strategy lot.")
    premium: float | None = Field(
        default=None, ge=0, lt=1e7, description="Entry price paid; default the chain's price."
    )

    @model_validator(mode="after")
    def _strike(self) -> LegIn:
        if (self.instrument == "FUT") != (self.strike is None):
            raise ValueError("options need a strike and futures have none")
        return self


class StrategyIn(Strict):
    """A strategy to price from one provider's chain as of an instant (default: newest)."""

    underlying: str = Field(pattern=SYMBOL_PATTERN)
    legs: list[LegIn] = Field(min_length=1, max_length=12)
    as_of: BodyInstant = None
    provider: str | None = Field(default=None, pattern=PROVIDER_PATTERN)
    lots: int = Field(default=1, ge=1, le=10_000)
    lot_size: int | None = Field(default=None, ge=1, le=1_000_000)
    volatility: float | None = Field(
        default=None, gt=0, le=5, description="Decimal vol for POP/EV; default the front ATM IV."
    )


class StrategyOut(BaseModel):
    """Breakevens, P&L range (null bound = unbounded, see flags), POP, EV, greeks, margin."""

    underlying: str
    provider: str
    as_of: str | None
    spot: float | None
    legs: list[dict[str, Any]]
    breakevens: dict[str, Any]
    profit_range: dict[str, Any]
    pop: dict[str, Any]
    expected_value: float | None
    sigma_levels: dict[str, float | None]
    greeks: list[dict[str, Any]]
    margin: dict[str, Any]


@router.post("/strategies/analyse", response_model=StrategyOut, **guard(Permission.OWN_STRATEGIES))
def analyse(request: Request, me: Me, body: StrategyIn) -> dict[str, Any]:
    """Price the legs from the chain and return the strategy builder's analytics."""
    legs = [
        service.LegRequest(
            LegSpec(leg.instrument, leg.side, leg.expiry, leg.strike, leg.ratio), leg.premium
        )
        for leg in body.legs
    ]
    found = service.analyse(store_of(request), me, body.underlying, legs, as_of=body.as_of,
                            provider=body.provider, lots=body.lots, lot_size=body.lot_size,
                            volatility=body.volatility)  # fmt: skip
    return service.as_document(found)
