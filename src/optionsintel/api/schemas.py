"""Request and response models of the API (the OpenAPI document is built from these)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field, model_validator

from optionsintel.auth import Permission, Role, Tier

#: A market symbol as NSE writes it (``NIFTY``, ``M&M``, ``BAJAJ-AUTO``).
SYMBOL_PATTERN = r"^[A-Za-z0-9&._-]{1,40}$"
PROVIDER_PATTERN = r"^[a-z0-9_-]{1,32}$"
USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}$"
KEY_PREFIX_PATTERN = r"^oi_[a-z0-9]{8}$"

Limit = Annotated[int, Query(ge=1, le=1000, description="Page size.")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Rows to skip.")]
ProviderQ = Annotated[
    str | None,
    Query(pattern=PROVIDER_PATTERN, description="Provider to read; default: the newest one."),
]


#: Deepest nesting of arrays and objects accepted in a body (a rule tree needs at most 56).
MAX_BODY_DEPTH = 64


def check_document(data: Any) -> Any:
    """``data`` unchanged; a ``ValueError`` (422) for a NUL character or too deep a nesting.

    PostgreSQL text and JSONB cannot store a NUL (the middleware refuses them in paths and
    query strings); a document nested hundreds deep overflows the recursion of
    validation, storage and serialisation (each answered 500 before this check). The
    walk is iterative, so no depth breaks it.
    """
    stack: list[tuple[Any, str, int]] = [(data, "body", 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                raise ValueError(f"NUL characters are not allowed (at {path})")
            continue
        if isinstance(value, dict):
            items: Any = value.items()
        elif isinstance(value, list | tuple):
            items = enumerate(value)
        else:
            continue
        if depth > MAX_BODY_DEPTH:
            raise ValueError(f"documents are nested at most {MAX_BODY_DEPTH} deep")
        for key, item in items:
            if isinstance(key, str) and "\x00" in key:
                raise ValueError(f"NUL characters are not allowed (in a key at {path})")
            stack.append((item, f"{path}.{key}", depth + 1))
    return data


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=4096)

    @model_validator(mode="before")
    @classmethod
    def _check_document(cls, data: Any) -> Any:
        return check_document(data)


#: The base of request bodies: unknown fields, long strings, NULs and deep nesting refused.
Strict = _Strict


class ErrorBody(BaseModel):
    """Every error: a stable code, a readable message, structured details."""

    code: str
    message: str
    details: Any = None


class Page(BaseModel):
    """A page of items; ask again with ``offset=next_offset`` while it is not null."""

    items: list[dict[str, Any]]
    limit: int
    offset: int
    next_offset: int | None = None
    total: int | None = None


class ProviderPage(Page):
    """A page of market rows with the provider they came from."""

    provider: str


class ChainView(BaseModel):
    """Rows of one underlying read from one provider at one snapshot instant."""

    underlying: str
    provider: str
    snapshot_ts: str | None = None
    rows: list[dict[str, Any]]


class BarsPage(ProviderPage):
    """Daily bars of one symbol."""

    symbol: str


class MetricsView(BaseModel):
    """Research metrics, one row per symbol (``missing``: symbols without bars)."""

    rows: list[dict[str, Any]]
    missing: list[str]


class CoverageView(BaseModel):
    """Newest stored instant per data set and provider."""

    subject: str | None
    rows: list[dict[str, Any]]


class Health(BaseModel):
    """Liveness and the database's reachability."""

    status: str
    database: str
    time: str


class VersionInfo(BaseModel):
    """Versions of the platform and the API."""

    version: str
    api: str


class Me(BaseModel):
    """The caller: account, role, permissions, tier limits and today's usage."""

    username: str
    role: Role
    tier: Tier
    via: str
    key_prefix: str | None
    permissions: list[str]
    quota: dict[str, Any]
    api_calls_today: int


class LoginRequest(_Strict):
    """Credentials of a person."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TokenOut(BaseModel):
    """A short-lived login token, sent back as ``Authorization: Bearer <token>``."""

    token: str
    token_type: str = "bearer"
    expires_at: str


class UserCreate(_Strict):
    """A new account (a password lets the person log in; without one, keys only)."""

    username: str = Field(pattern=USERNAME_PATTERN)
    role: Role = Role.USER
    tier: Tier = Tier.FREE
    password: str | None = Field(default=None, min_length=12, max_length=256)
    email: str | None = Field(default=None, max_length=254)
    display_name: str | None = Field(default=None, max_length=200)


class RoleChange(_Strict):
    """A new role."""

    role: Role


class TierChange(_Strict):
    """A new tier."""

    tier: Tier


class UserOut(BaseModel):
    """An account (never its password hash)."""

    username: str
    email: str | None = None
    display_name: str | None = None
    role: Role
    tier: Tier
    status: str
    created_at: str | None = None
    last_login_at: str | None = None
    failed_logins: int = 0
    locked_until: str | None = None


class UserPage(BaseModel):
    """A page of accounts."""

    items: list[UserOut]
    limit: int
    offset: int
    next_offset: int | None = None


class KeyCreate(_Strict):
    """A new API key (for another user needs ``keys:manage``)."""

    name: str = Field(min_length=1, max_length=80)
    username: str | None = Field(default=None, pattern=USERNAME_PATTERN)
    scopes: list[Permission] = Field(default_factory=list, max_length=len(Permission))
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class KeyOut(BaseModel):
    """An API key's listing: prefix and metadata, never the secret or its hash."""

    key_prefix: str
    username: str
    name: str
    scopes: list[str]
    status: str
    created_at: str | None = None
    expires_at: str | None = None
    revoked_at: str | None = None
    last_used_at: str | None = None


class NewKeyOut(KeyOut):
    """A created key: ``key`` is shown this once and cannot be retrieved again."""

    key: str


class KeyPage(BaseModel):
    """A page of API keys."""

    items: list[KeyOut]
    limit: int
    offset: int
    next_offset: int | None = None


class AuditPage(BaseModel):
    """A page of audit records, newest first."""

    items: list[dict[str, Any]]
    limit: int
    offset: int
    next_offset: int | None = None


#: Error responses every guarded route may give, for the OpenAPI document.
ERRORS: dict[int | str, dict[str, Any]] = {
    s: {"model": ErrorBody} for s in (401, 403, 404, 422, 429)
}
