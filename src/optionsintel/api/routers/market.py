"""Market data: instruments, chains (now and as of an instant), analytics, bars, research."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from optionsintel.api.deps import guard, store_of
from optionsintel.api.routers._params import Day, Instant
from optionsintel.api.schemas import (
    ERRORS,
    SYMBOL_PATTERN,
    BarsPage,
    ChainView,
    CoverageView,
    Limit,
    MetricsView,
    Offset,
    Page,
    ProviderPage,
    ProviderQ,
)
from optionsintel.auth import Permission
from optionsintel.services import market

router = APIRouter(tags=["market"], responses=ERRORS)
_G = guard(Permission.MARKET_READ)

Symbol = Annotated[str, Path(pattern=SYMBOL_PATTERN, description="e.g. NIFTY")]
Segment = Annotated[str | None, Query(pattern=r"^(index|equity|commodity|currency)$")]


@router.get("/instruments", response_model=Page, **_G)
def instruments(
    request: Request, segment: Segment = None, limit: Limit = 100, offset: Offset = 0
) -> dict[str, Any]:
    """The instrument master, by symbol."""
    return market.instruments(store_of(request), segment=segment, limit=limit, offset=offset)


@router.get("/chains/{underlying}", response_model=ChainView, **_G)
def chain(
    request: Request,
    underlying: Symbol,
    at: Instant = None,
    provider: ProviderQ = None,
    expiry: Day = None,
) -> dict[str, Any]:
    """The option chain as it stood at ``at`` (default now), from one provider."""
    return market.chain_view(store_of(request), underlying, at=at, provider=provider, expiry=expiry)


@router.get("/chains/{underlying}/summary", response_model=ChainView, **_G)
def chain_summary(
    request: Request,
    underlying: Symbol,
    at: Instant = None,
    provider: ProviderQ = None,
    expiry: Day = None,
) -> dict[str, Any]:
    """Headline analytics per expiry (PCR, max pain, ATM IV, expected move, walls, GEX)."""
    return market.summary_view(
        store_of(request), underlying, at=at, provider=provider, expiry=expiry
    )


@router.get("/signals/{underlying}", response_model=ProviderPage, **_G)
def signals(
    request: Request,
    underlying: Symbol,
    provider: ProviderQ = None,
    start: Instant = None,
    end: Instant = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Detected signals, newest first."""
    return market.signals(
        store_of(request),
        underlying,
        provider=provider,
        start=start,
        end=end,
        limit=limit,
        offset=offset,
    )


@router.get("/levels/{underlying}", response_model=ChainView, **_G)
def levels(
    request: Request, underlying: Symbol, provider: ProviderQ = None, day: Day = None
) -> dict[str, Any]:
    """Support/resistance levels in force on ``day`` (default: the newest)."""
    return market.levels(store_of(request), underlying, provider=provider, day=day)


@router.get("/bars/daily/{symbol}", response_model=BarsPage, **_G)
def daily_bars(
    request: Request,
    symbol: Symbol,
    provider: ProviderQ = None,
    start: Day = None,
    end: Day = None,
    limit: Limit = 1000,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Daily OHLC bars, oldest first."""
    return market.daily_bars(
        store_of(request),
        symbol,
        provider=provider,
        start=start,
        end=end,
        limit=limit,
        offset=offset,
    )


@router.get("/research/metrics", response_model=MetricsView, **_G)
def research_metrics(
    request: Request,
    symbols: Annotated[
        list[Annotated[str, Query(pattern=SYMBOL_PATTERN)]],
        Query(min_length=1, max_length=50, description="Symbols (repeat the parameter)."),
    ],
    start: Day = None,
    end: Day = None,
) -> dict[str, Any]:
    """Return and risk metrics of each symbol's daily closes."""
    return market.research_metrics(
        store_of(request), list(dict.fromkeys(symbols)), start=start, end=end
    )


@router.get("/coverage", response_model=CoverageView, **_G)
def coverage(
    request: Request,
    subject: Annotated[str | None, Query(pattern=SYMBOL_PATTERN)] = None,
) -> dict[str, Any]:
    """Newest stored instant per data set and provider (optionally for one symbol)."""
    return market.coverage(store_of(request), subject)
