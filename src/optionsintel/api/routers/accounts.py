"""Login, users and API keys. Every change is audited by the service that makes it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from optionsintel.api.deps import context, current_identity, guard, source_of, store_of
from optionsintel.api.routers._params import paged
from optionsintel.api.schemas import (
    ERRORS,
    KEY_PREFIX_PATTERN,
    USERNAME_PATTERN,
    KeyCreate,
    KeyOut,
    KeyPage,
    Limit,
    LoginRequest,
    NewKeyOut,
    Offset,
    RoleChange,
    TierChange,
    TokenOut,
    UserCreate,
    UserOut,
    UserPage,
)
from optionsintel.auth import Permission
from optionsintel.services import access, keys, users
from optionsintel.services.identity import Identity
from optionsintel.services.serialise import iso, row

router = APIRouter(responses=ERRORS)
Username = Annotated[str, Path(pattern=USERNAME_PATTERN)]
Me = Annotated[Identity, Depends(current_identity)]


@router.post(
    "/auth/login", response_model=TokenOut, tags=["auth"], openapi_extra={"x-permission": "public"}
)
def login(request: Request, body: LoginRequest) -> dict[str, Any]:
    """Exchange a person's username and password for a short-lived token.

    Repeated failures lock the account for a growing time, and each client address has a
    budget of attempts (both answer 429 with ``Retry-After``).
    """
    ctx = context(request)
    source = source_of(request)
    ctx.limiter.take(f"login:{source}", rate=access.LOGIN_RATE, burst=access.LOGIN_BURST)
    token = access.login(ctx.store, body.username, body.password, secret=ctx.secret, source=source)
    return {"token": token, "token_type": "bearer", "expires_at": iso(access.token_expiry())}


@router.get("/users", response_model=UserPage, tags=["users"], **guard(Permission.USERS_READ))
def list_users(request: Request, me: Me, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    """Accounts, by username."""
    rows = users.list_users(store_of(request), me, limit=limit + 1, offset=offset)
    return paged(rows, limit, offset)


@router.get(
    "/users/{username}", response_model=UserOut, tags=["users"], **guard(Permission.USERS_READ)
)
def get_user(request: Request, username: Username) -> dict[str, Any]:
    """One account."""
    return row(users.get_user(store_of(request), username))


@router.post(
    "/users",
    response_model=UserOut,
    status_code=status.HTTP_201_CREATED,
    tags=["users"],
    **guard(Permission.USERS_MANAGE),
)
def create_user(request: Request, me: Me, body: UserCreate) -> dict[str, Any]:
    """Create an account."""
    made = users.create_user(
        store_of(request),
        me,
        body.username,
        role=body.role,
        tier=body.tier,
        password=body.password,
        email=body.email,
        display_name=body.display_name,
    )
    return row(made)


@router.put(
    "/users/{username}/role",
    response_model=UserOut,
    tags=["users"],
    **guard(Permission.USERS_MANAGE),
)
def set_role(request: Request, me: Me, username: Username, body: RoleChange) -> dict[str, Any]:
    """Change an account's role."""
    return row(users.set_role(store_of(request), me, username, body.role))


@router.put(
    "/users/{username}/tier",
    response_model=UserOut,
    tags=["users"],
    **guard(Permission.USERS_MANAGE),
)
def set_tier(request: Request, me: Me, username: Username, body: TierChange) -> dict[str, Any]:
    """Change an account's subscription tier."""
    return row(users.set_tier(store_of(request), me, username, body.tier))


@router.post(
    "/users/{username}/disable",
    response_model=UserOut,
    tags=["users"],
    **guard(Permission.USERS_MANAGE),
)
def disable_user(request: Request, me: Me, username: Username) -> dict[str, Any]:
    """Disable an account: its logins and keys stop working at once."""
    return row(users.disable_user(store_of(request), me, username))


@router.get("/keys", response_model=KeyPage, tags=["keys"], **guard(Permission.OWN_KEYS))
def list_keys(
    request: Request,
    me: Me,
    username: Annotated[str | None, Query(pattern=USERNAME_PATTERN)] = None,
    everyone: bool = False,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Your keys; another user's or everyone's with ``keys:manage``. Never the secrets."""
    rows = keys.list_keys(
        store_of(request), me, username=username, everyone=everyone, limit=limit + 1, offset=offset
    )
    return paged(rows, limit, offset)


@router.post(
    "/keys",
    response_model=NewKeyOut,
    status_code=status.HTTP_201_CREATED,
    tags=["keys"],
    **guard(Permission.OWN_KEYS),
)
def create_key(request: Request, response: Response, me: Me, body: KeyCreate) -> dict[str, Any]:
    """Create a key. The response holds the key this once: store it now."""
    lifetime = None if body.expires_in_days is None else dt.timedelta(days=body.expires_in_days)
    made = keys.create_key(
        store_of(request),
        me,
        name=body.name,
        username=body.username,
        scopes=[s.value for s in body.scopes],
        expires_in=lifetime,
    )
    return row(made)


@router.delete(
    "/keys/{key_prefix}", response_model=KeyOut, tags=["keys"], **guard(Permission.OWN_KEYS)
)
def revoke_key(
    request: Request, me: Me, key_prefix: Annotated[str, Path(pattern=KEY_PREFIX_PATTERN)]
) -> dict[str, Any]:
    """Revoke a key; the next request with it is refused."""
    return row(keys.revoke_key(store_of(request), me, key_prefix))
