"""Per-request plumbing: the store, the credential, and the one guard every route uses.

:func:`require` authenticates (API key or login token), applies the key's token bucket,
authorises the permission the route declares and counts the call against the tier's
daily quota, in that order. Routes declare their permission with :func:`guard`, which
also writes it into the OpenAPI document (``x-permission``) where the permission-matrix
test reads it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from optionsintel.auth import Permission
from optionsintel.errors import CredentialsError
from optionsintel.services.access import authenticate
from optionsintel.services.chain_cache import ChainViewCache
from optionsintel.services.identity import Identity, authorise
from optionsintel.services.quotas import RateLimiter, count_call
from optionsintel.services.signing import api_secret
from optionsintel.store import Store, get_store

_API_KEY = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key (oi_...).")
_BEARER = HTTPBearer(auto_error=False, description="An API key or a login token.")
AUTHENTICATED = "authenticated"  # the x-permission of routes any valid identity may call


@dataclass
class ApiContext:
    """What the app shares across requests; the store and secret are opened lazily."""

    store_factory: Callable[[], Store] = get_store
    secret_factory: Callable[[], str] = api_secret
    limiter: RateLimiter = field(default_factory=RateLimiter)
    chains: ChainViewCache = field(default_factory=ChainViewCache)
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


def context(request: Request) -> ApiContext:
    """The app's :class:`ApiContext`."""
    ctx: ApiContext = request.app.state.ctx
    return ctx


def store_of(request: Request) -> Store:
    """The store behind the app."""
    return context(request).store


def source_of(request: Request) -> str | None:
    """Where the request came from (client address), for the audit log."""
    return request.client.host if request.client else None


def require(permission: Permission | None) -> Callable[..., Identity]:
    """A dependency admitting identities that hold ``permission`` (None: any identity)."""

    def dependency(
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
        identity = authenticate(ctx.store, credential, secret=ctx.secret, source=source_of(request))
        ctx.limiter.limit(identity)
        if permission is not None:
            authorise(identity, permission)
        count_call(ctx.store, identity)
        request.state.identity = identity
        return identity

    return dependency


def guard(permission: Permission | None) -> dict[str, Any]:
    """Route keywords declaring ``permission``: the dependency and the OpenAPI mark."""
    mark = permission.value if permission is not None else AUTHENTICATED
    return {"dependencies": [Depends(require(permission))], "openapi_extra": {"x-permission": mark}}


def current_identity(request: Request) -> Identity:
    """The identity :func:`require` admitted for this request (declare :func:`guard` too)."""
    identity: Identity = request.state.identity
    return identity
