"""Market data: instruments, chains (now and as of an instant), analytics, bars, research.

The shared query parameters are dependency objects (``_params.ChainAt``, ``Paging``), so
each handler names only what is its own.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from optionsintel.api.deps import context, guard, the_store
from optionsintel.api.routers._params import ChainAt, Day, Instant, LongPaging, Paging, chain_at
from optionsintel.api.schemas import (
    ERRORS,
    SYMBOL_PATTERN,
    BarsPage,
    ChainView,
    CoverageView,
    MetricsView,
    Page,
    ProviderPage,
    ProviderQ,
)
from optionsintel.auth import Permission
from optionsintel.services import market
from optionsintel.store import Store

router = APIRouter(tags=["market"], responses=ERRORS)
_G = guard(Permission.MARKET_READ)

Symbol = Annotated[str, Path(pattern=SYMBOL_PATTERN, description="e.g. NIFTY")]
Segment = Annotated[str | None, Query(pattern=r"^(index|equity|commodity|currency)$")]
StoreD = Annotated[Store, Depends(the_store)]
At = Annotated[ChainAt, Depends(chain_at)]
Pages = Annotated[Paging, Depends()]
LongPages = Annotated[LongPaging, Depends()]


@router.get("/instruments", response_model=Page, **_G)
def instruments(store: StoreD, page: Pages, segment: Segment = None) -> dict[str, Any]:
    """The instrument master, by symbol."""
    return market.instruments(store, segment=segment, **page.kwargs())


async def _chain_json(request: Request, kind: str, underlying: str, q: ChainAt) -> Response:
    """The encoded view: from memory while serving and unchanged, else read in a thread."""
    ctx = context(request)
    args = q.kwargs()
    body = await ctx.chains.reads.fetch(
        (kind, underlying, *args.values()),
        partial(ctx.chains.encoded, ctx.store, kind, underlying, **args),
        run_in_threadpool,
    )
    return Response(body, media_type="application/json")


@router.get("/chains/{underlying}", response_model=ChainView, **_G)
async def chain(request: Request, underlying: Symbol, q: At) -> Response:
    """The option chain as it stood at ``at`` (default now), from one provider."""
    return await _chain_json(request, "chain_view", underlying, q)


@router.get("/chains/{underlying}/summary", response_model=ChainView, **_G)
async def chain_summary(request: Request, underlying: Symbol, q: At) -> Response:
    """Headline analytics per expiry (PCR, max pain, ATM IV, expected move, walls, GEX)."""
    return await _chain_json(request, "summary_view", underlying, q)


@router.get("/signals/{underlying}", response_model=ProviderPage, **_G)
def signals(
    store: StoreD,
    underlying: Symbol,
    page: Pages,
    provider: ProviderQ = None,
    start: Instant = None,
    end: Instant = None,
) -> dict[str, Any]:
    """Detected signals, newest first."""
    return market.signals(
        store, underlying, provider=provider, start=start, end=end, **page.kwargs()
    )


@router.get("/levels/{underlying}", response_model=ChainView, **_G)
def levels(
    store: StoreD, underlying: Symbol, provider: ProviderQ = None, day: Day = None
) -> dict[str, Any]:
    """Support/resistance levels in force on ``day`` (default: the newest)."""
    return market.levels(store, underlying, provider=provider, day=day)


@router.get("/bars/daily/{symbol}", response_model=BarsPage, **_G)
def daily_bars(
    store: StoreD,
    symbol: Symbol,
    page: LongPages,
    provider: ProviderQ = None,
    start: Day = None,
    end: Day = None,
) -> dict[str, Any]:
    """Daily OHLC bars, oldest first."""
    return market.daily_bars(store, symbol, provider=provider, start=start, end=end,
                             **page.kwargs())  # fmt: skip


@router.get("/research/metrics", response_model=MetricsView, **_G)
def research_metrics(
    store: StoreD,
    symbols: Annotated[
        list[Annotated[str, Query(pattern=SYMBOL_PATTERN)]],
        Query(min_length=1, max_length=50, description="Symbols (repeat the parameter)."),
    ],
    start: Day = None,
    end: Day = None,
) -> dict[str, Any]:
    """Return and risk metrics of each symbol's daily closes."""
    return market.research_metrics(store, list(dict.fromkeys(symbols)), start=start, end=end)


@router.get("/coverage", response_model=CoverageView, **_G)
def coverage(
    store: StoreD, subject: Annotated[str | None, Query(pattern=SYMBOL_PATTERN)] = None
) -> dict[str, Any]:
    """Newest stored instant per data set and provider (optionally for one symbol)."""
    return market.coverage(store, subject)
