"""Server-Sent Events: chain updates and the caller's notifications, as the store gets them.

Each stream polls the store (the single source of truth, whatever process collects or
dispatches) every ``interval`` seconds. The chain stream sends an ``event: chain`` with
the per-expiry summary when a newer snapshot is stored; the notification stream an
``event: notification`` per new item of the caller's in-app feed. Between events a
comment line keeps proxies from closing the connection. A stream ends after
``max_events`` events, ``max_seconds``, or when the client goes away. Both take the
same credentials as every other route. A user holds at most :data:`MAX_OPEN_STREAMS`
open at once on a worker (each polls the store); one more is a 429 naming the limit.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from optionsintel.api.deps import current_identity, guard, store_of
from optionsintel.api.routers._params import Instant
from optionsintel.api.schemas import ERRORS, SYMBOL_PATTERN, ProviderQ
from optionsintel.auth import Permission
from optionsintel.errors import InputError, QuotaExceededError
from optionsintel.services import alert_access, market
from optionsintel.services.identity import Identity
from optionsintel.services.serialise import iso, records
from optionsintel.store import Store
from optionsintel.tz import to_utc

router = APIRouter(tags=["stream"], responses=ERRORS)
_EVENT_STREAM: dict[int | str, dict[str, Any]] = {200: {"content": {"text/event-stream": {}}}}
Interval = Annotated[float, Query(ge=0.2, le=60, description="Seconds between store polls.")]
MaxEvents = Annotated[int, Query(ge=1, le=100_000)]
MaxSeconds = Annotated[float, Query(ge=1, le=86_400)]

#: Streams one user may hold open at once on this worker.
MAX_OPEN_STREAMS = 8
_open_streams: Counter[str] = Counter()  # by username; the event loop's thread only


def _admit(me: Identity) -> None:
    """Refuse (429) a stream of ``me`` past the limit, before the response starts."""
    held = _open_streams[me.username]
    if held >= MAX_OPEN_STREAMS:
        raise QuotaExceededError(
            f"at most {MAX_OPEN_STREAMS} streams may be open at once; close one first",
            limit="open_streams", tier=me.tier.value, allowed=MAX_OPEN_STREAMS, used=held,
            retryable=True,
        )  # fmt: skip


async def _counted(me: Identity, gen: AsyncIterator[str]) -> AsyncIterator[str]:
    """``gen``'s events, counted open from the first to the end, however it ends.

    Counted once the body runs (a response that never starts, its client gone, never
    counts, so nothing can leak a count).
    """
    _open_streams[me.username] += 1
    try:
        async for event in gen:
            yield event
    finally:
        _open_streams[me.username] -= 1
        if _open_streams[me.username] <= 0:
            del _open_streams[me.username]


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
    responses=_EVENT_STREAM,
    **guard(Permission.MARKET_READ),
)
async def stream_chain(
    request: Request,
    me: Annotated[Identity, Depends(current_identity)],
    underlying: Annotated[str, Path(pattern=SYMBOL_PATTERN)],
    provider: ProviderQ = None,
    interval: Interval = 5.0,
    max_events: MaxEvents = 1_000,
    max_seconds: MaxSeconds = 3_600,
) -> StreamingResponse:
    """A ``text/event-stream`` of chain summaries, one event per new stored snapshot."""
    store = store_of(request)
    used = await run_in_threadpool(
        market.provider_for, store, "option_chain_snapshots", underlying, provider
    )
    gen = _events(request, store, underlying, used, interval, max_events, max_seconds)
    return _event_stream(me, gen)


def _event_stream(me: Identity, gen: AsyncIterator[str]) -> StreamingResponse:
    """The response of every stream: admitted under the open-streams cap, then counted."""
    _admit(me)
    return StreamingResponse(
        _counted(me, gen), media_type="text/event-stream", headers={"X-Accel-Buffering": "no"}
    )


async def _notification_events(
    request: Request,
    follower: alert_access.FeedFollower,
    interval: float,
    max_events: int,
    max_seconds: float,
) -> AsyncIterator[str]:
    sent = 0
    deadline = time.monotonic() + max_seconds
    while sent < max_events and time.monotonic() < deadline:
        if await request.is_disconnected():
            return
        batch = records(await run_in_threadpool(follower.next_batch))
        for item in batch[: max_events - sent]:
            yield f"id: {item['created_at']}\nevent: notification\ndata: {json.dumps(item)}\n\n"
            sent += 1
        if batch:
            continue
        yield ": no new notification\n\n"
        await asyncio.sleep(interval)


def _resume_point(since: Any, last_event_id: str | None) -> Any:
    """Where a notification stream starts: the last event seen, ``since``, or now."""
    if last_event_id is not None:
        try:  # strictly ISO: pandas would also read words such as "yesterday"
            return to_utc(dt.datetime.fromisoformat(last_event_id))
        except ValueError:
            raise InputError("Last-Event-ID must be the id of an event (an ISO instant)") from None
    return since if since is not None else pd.Timestamp.now(tz="UTC")


@router.get(
    "/stream/notifications",
    response_class=StreamingResponse,
    responses=_EVENT_STREAM,
    **guard(Permission.OWN_ALERTS),
)
async def stream_notifications(
    request: Request,
    me: Annotated[Identity, Depends(current_identity)],
    since: Instant = None,
    last_event_id: Annotated[str | None, Header(max_length=64)] = None,
    interval: Interval = 2.0,
    max_events: MaxEvents = 1_000,
    max_seconds: MaxSeconds = 3_600,
) -> StreamingResponse:
    """A ``text/event-stream`` of your in-app notifications, one event per new feed item.

    Starts at ``since`` (default: now). The event id is the item's instant: a reconnecting
    ``EventSource`` sends it back as ``Last-Event-ID`` and the stream resumes there (the
    items of that instant are sent again; ``dedupe_key`` identifies an item).
    """
    start = _resume_point(since, last_event_id)
    follower = alert_access.FeedFollower(store_of(request), me, start)
    gen = _notification_events(request, follower, interval, max_events, max_seconds)
    return _event_stream(me, gen)
