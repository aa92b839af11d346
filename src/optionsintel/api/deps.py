"""Per-request plumbing: the store, the credential, and the one guard every route uses.

:func:`require` authenticates (API key or login token), applies the key's token bucket,
authorises the permission the route declares and counts the call against the tier's
daily quota, in that order. While the app runs under a server (its lifespan started,
:meth:`ApiContext.start`), verified keys are cached (:mod:`optionsintel.services.key_cache`,
dropped on any account change) and calls are counted in memory and written in batches
(:mod:`optionsintel.services.usage`), so a request with a cached key makes no database
round trip for authentication or metering; the guard then runs on the event loop and
only goes to a worker thread for database work. Routes declare their permission with
:func:`guard`, which also writes it into the OpenAPI document (``x-permission``) where
the permission-matrix test reads it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Depends, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from optionsintel.auth import Permission
from optionsintel.errors import CredentialsError
from optionsintel.services.access import authenticate, prepare_login
from optionsintel.services.chain_cache import ChainViewCache
from optionsintel.services.identity import Identity, authorise
from optionsintel.services.key_cache import KeyCache
from optionsintel.services.notified_cache import NotifiedCache
from optionsintel.services.quotas import RateLimiter, count_call
from optionsintel.services.signing import api_secret
from optionsintel.services.usage import FLUSH_INTERVAL, UsageMeter
from optionsintel.store import Store, get_serving_store
from optionsintel.store.notify import PATTERNS_CHANNEL

_API_KEY = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key (oi_...).")
_BEARER = HTTPBearer(auto_error=False, description="An API key or a login token.")
AUTHENTICATED = "authenticated"  # the x-permission of routes any valid identity may call
_log = logging.getLogger(__name__)


@dataclass
class ApiContext:
    """What the app shares across requests; the store and secret are opened lazily."""

    store_factory: Callable[[], Store] = get_serving_store
    secret_factory: Callable[[], str] = api_secret
    limiter: RateLimiter = field(default_factory=RateLimiter)
    chains: ChainViewCache = field(default_factory=ChainViewCache)
    keys: KeyCache = field(default_factory=KeyCache)
    #: Encoded pattern lists by (owner, archived, limit, offset), while serving.
    patterns: NotifiedCache = field(default_factory=lambda: NotifiedCache(PATTERNS_CHANNEL))
    meter: UsageMeter | None = None  # set while serving (batched counts)
    _store: Store | None = None
    _secret: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def store(self) -> Store:
        """The store, opened on first use."""
        if self._store is None:
            with self._lock:
                if self._store is None:
                    self._store = self.store_factory()
        return self._store

    @property
    def secret(self) -> str:
        """The token-signing secret, read on first use."""
        if self._secret is None:
            self._secret = self.secret_factory()
        return self._secret

    def start(self) -> None:
        """Serving: cache verified keys and reads, batch the call counts (module doc).

        When the store cannot be opened at startup the app serves without them (each
        request then reads the key and counts its call in the database, as before).
        """
        prepare_login()
        try:
            store = self.store
        except Exception as exc:
            _log.warning("API serving without key cache and batched counts: %s", exc)
            return
        self.keys.start(store)
        self.chains.start(store)
        self.patterns.start(store)
        self.meter = UsageMeter()

    def flush(self) -> None:
        """Write the batched call counts now."""
        if self.meter is not None:
            self.meter.flush(self.store)

    def stop(self) -> None:
        """Write the last counts, stop caching keys."""
        try:
            self.flush()
        finally:
            self.meter = None
            self.keys.stop()
            self.chains.stop()
            self.patterns.stop()

    async def flush_forever(self, interval: float = FLUSH_INTERVAL) -> None:
        """Flush the counts every ``interval`` seconds (the app's background task)."""
        while True:
            await asyncio.sleep(interval)
            try:
                await run_in_threadpool(self.flush)
            except Exception:  # keep serving; the counts stay pending and are retried
                _log.exception("writing the API call counts failed; retrying")


@contextlib.asynccontextmanager
async def serving(ctx: ApiContext):  # type: ignore[no-untyped-def]
    """The app's lifespan: start caching and batching, flush and stop at shutdown."""
    await run_in_threadpool(ctx.start)
    task = asyncio.create_task(ctx.flush_forever())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await run_in_threadpool(ctx.stop)


def context(request: Request) -> ApiContext:
    """The app's :class:`ApiContext`."""
    ctx: ApiContext = request.app.state.ctx
    return ctx


def store_of(request: Request) -> Store:
    """The store behind the app."""
    return context(request).store


async def the_store(request: Request) -> Store:
    """:func:`store_of` as a dependency; opened at startup while serving.

    A coroutine: FastAPI runs a plain function dependency in a worker thread.
    """
    return context(request).store


def source_of(request: Request) -> str | None:
    """Where the request came from (client address), for the audit log."""
    return request.client.host if request.client else None


def require(permission: Permission | None) -> Callable[..., Awaitable[Identity]]:
    """A dependency admitting identities that hold ``permission`` (None: any identity)."""

    async def dependency(
        request: Request,
        api_key: str | None = Security(_API_KEY),
        bearer: HTTPAuthorizationCredentials | None = Security(_BEARER),
    ) -> Identity:
        credential = api_key or (bearer.credentials if bearer else None)
        if not credential:
            raise CredentialsError(
                "an API key is required: send it as the X-API-Key header or as "
                "'Authorization: Bearer <key>' (create one with `optionsintel keys create`)"
            )
        ctx = context(request)
        source = source_of(request)
        identity = ctx.keys.get(credential, source)
        if identity is None:
            identity = await run_in_threadpool(_authenticate, ctx, credential, source)
        ctx.limiter.limit(identity)
        if permission is not None:
            authorise(identity, permission)
        meter = ctx.meter
        if meter is None:
            await run_in_threadpool(count_call, ctx.store, identity)
        else:
            if not meter.knows(identity.username):
                await run_in_threadpool(meter.load, ctx.store, identity.username)
            meter.count(identity)
        request.state.identity = identity
        return identity

    return dependency


def _authenticate(ctx: ApiContext, credential: str, source: str | None) -> Identity:
    cache = ctx.keys if ctx.keys.active else None
    return authenticate(ctx.store, credential, secret=ctx.secret, source=source, cache=cache)


def guard(permission: Permission | None) -> dict[str, Any]:
    """Route keywords declaring ``permission``: the dependency and the OpenAPI mark."""
    mark = permission.value if permission is not None else AUTHENTICATED
    return {"dependencies": [Depends(require(permission))], "openapi_extra": {"x-permission": mark}}


async def current_identity(request: Request) -> Identity:
    """The identity :func:`require` admitted for this request (declare :func:`guard` too)."""
    identity: Identity = request.state.identity
    return identity
