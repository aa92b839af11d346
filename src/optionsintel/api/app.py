"""The FastAPI application: ``/api/v2``, docs at ``/api/v2/docs``.

CORS is closed by default (no ``Access-Control-Allow-Origin`` is ever sent, so browsers
refuse cross-origin reads); pass ``cors_origins`` to open it to named origins only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from optionsintel import __version__
from optionsintel.api import errors
from optionsintel.api.deps import ApiContext, serving
from optionsintel.api.middleware import MAX_BODY_BYTES, GuardMiddleware
from optionsintel.api.routers import (
    accounts,
    alerts,
    audit,
    exports,
    market,
    operations,
    patterns,
    saved_strategies,
    strategies,
    stream,
    system,
    watchlists,
)
from optionsintel.services.signing import api_secret
from optionsintel.store import Store, get_store

API_PREFIX = "/api/v2"
ROUTERS = (
    system.router,
    market.router,
    stream.router,
    patterns.router,
    strategies.router,
    saved_strategies.router,
    alerts.router,
    watchlists.router,
    exports.router,
    operations.router,
    accounts.router,
    audit.router,
)


def create_app(
    store: Store | Callable[[], Store] | None = None,
    *,
    secret: str | None = None,
    cors_origins: Sequence[str] = (),
    max_body_bytes: int = MAX_BODY_BYTES,
) -> FastAPI:
    """Build the API.

    Parameters
    ----------
    store
        A store, or a factory called on the first request (default :func:`get_store`).
    secret
        Token-signing secret (default :func:`optionsintel.services.signing.api_secret`).
    cors_origins
        Origins allowed to call from a browser; empty (default) allows none.
    max_body_bytes
        Largest request body accepted (413 beyond).
    """
    factory = store if callable(store) else (lambda: store) if store is not None else get_store
    ctx = ApiContext(
        store_factory=factory,  # type: ignore[arg-type]
        secret_factory=(lambda: secret) if secret else api_secret,
    )
    app = FastAPI(
        title="optionsintel API",
        version=__version__,
        description="Options intelligence for NSE derivatives. Every call needs an API key.",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        openapi_url=f"{API_PREFIX}/openapi.json",
        lifespan=lambda _app: serving(ctx),
    )
    app.state.ctx = ctx
    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    errors.install(app)
    if cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cors_origins),
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type"],
        )
    app.add_middleware(GuardMiddleware, max_body=max_body_bytes)
    return app
