"""Server-Sent Events: chain updates pushed as the store receives new snapshots.

The stream polls the store (the single source of truth, whatever process collects) every
``interval`` seconds and sends an ``event: chain`` with the per-expiry summary when a
newer snapshot is stored, and a comment line otherwise (keeps proxies from closing the
connection). It ends after ``max_events`` events, ``max_seconds``, or when the client
goes away.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from optionsintel.api.deps import guard, store_of
from optionsintel.api.schemas import ERRORS, SYMBOL_PATTERN, ProviderQ
from optionsintel.auth import Permission
from optionsintel.services import market
from optionsintel.services.serialise import iso
from optionsintel.store import Store

router = APIRouter(tags=["stream"], responses=ERRORS)


async def _events(
    request: Request,
    store: Store,
    underlying: str,
    provider: str,
    interval: float,
    max_events: int,
    max_seconds: float,
) -> AsyncIterator[str]:
    last: Any = None
    sent = 0
    deadline = time.monotonic() + max_seconds
    while sent < max_events and time.monotonic() < deadline:
        if await request.is_disconnected():
            return
        latest = await run_in_threadpool(market.latest_chain_instant, store, underlying, provider)
        if latest is not None and latest != last:
            view = await run_in_threadpool(
                market.summary_view, store, underlying, at=latest, provider=provider, expiry=None
            )
            yield f"id: {iso(latest)}\nevent: chain\ndata: {json.dumps(view)}\n\n"
            last, sent = latest, sent + 1
            continue
        yield ": no new snapshot\n\n"
        await asyncio.sleep(interval)


@router.get(
    "/stream/chains/{underlying}",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
    **guard(Permission.MARKET_READ),
)
async def stream_chain(
    request: Request,
    underlying: Annotated[str, Path(pattern=SYMBOL_PATTERN)],
    provider: ProviderQ = None,
    interval: Annotated[float, Query(ge=0.2, le=60)] = 5.0,
    max_events: Annotated[int, Query(ge=1, le=100_000)] = 1_000,
    max_seconds: Annotated[float, Query(ge=1, le=86_400)] = 3_600,
) -> StreamingResponse:
    """A ``text/event-stream`` of chain summaries, one event per new stored snapshot."""
    store = store_of(request)
    used = await run_in_threadpool(
        market.provider_for, store, "option_chain_snapshots", underlying, provider
    )
    gen = _events(request, store, underlying, used, interval, max_events, max_seconds)
    return StreamingResponse(
        gen, media_type="text/event-stream", headers={"X-Accel-Buffering": "no"}
    )
