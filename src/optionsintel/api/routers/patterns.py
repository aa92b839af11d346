"""Custom patterns: CRUD over immutable versions, validate, evaluate on the stored data.

Everything goes through :mod:`optionsintel.services.pattern_access`, which calls the
same use cases the notebooks and the pattern builder call and audits every write.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from optionsintel.api.deps import context, current_identity, guard, store_of
from optionsintel.api.routers._params import BodyInstant, Instant
from optionsintel.api.schemas import (
    ERRORS,
    PROVIDER_PATTERN,
    SYMBOL_PATTERN,
    Limit,
    Offset,
    Page,
    Strict,
)
from optionsintel.auth import Permission
from optionsintel.errors import RuleValidationError
from optionsintel.rules import print_rule, rule_json
from optionsintel.services import pattern_access as access
from optionsintel.services.identity import Identity
from optionsintel.services.patterns import as_rule
from optionsintel.services.serialise import iso, records

router = APIRouter(tags=["patterns"], responses=ERRORS)
_G = guard(Permission.OWN_PATTERNS)
Me = Annotated[Identity, Depends(current_identity)]
PATTERN_ID = r"^[a-z0-9][a-z0-9_-]{0,63}$"
PatternId = Annotated[str, Path(pattern=PATTERN_ID, description="e.g. rsi_dip")]
#: A rule as text (``RSI(14) < 30 AND ...``), as JSON text, or as a JSON object.
RuleField = Annotated[str | dict[str, Any], Field(description="Rule text, JSON text or object.")]


class PatternCreate(Strict):
    """A new pattern and its first version."""

    pattern_id: str = Field(pattern=PATTERN_ID)
    name: str = Field(min_length=1, max_length=200)
    rule: RuleField
    description: str | None = Field(default=None, max_length=2000)
    note: str | None = Field(default=None, max_length=500)


class VersionCreate(Strict):
    """The next version of a pattern (name and description replace the head's if given)."""

    rule: RuleField
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    note: str | None = Field(default=None, max_length=500)


class RuleBody(Strict):
    """A rule to validate."""

    rule: RuleField


class EvaluateBody(Strict):
    """Where and when to evaluate: provider (default: newest), universe, instant."""

    rule: RuleField | None = Field(default=None, description="Ad-hoc rule (or use a pin).")
    pin: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9_-]{0,63}@[1-9][0-9]{0,8}$")
    provider: str | None = Field(default=None, pattern=PROVIDER_PATTERN)
    symbols: list[Annotated[str, Field(pattern=SYMBOL_PATTERN)]] | None = Field(
        default=None, min_length=1, max_length=500
    )
    as_of: BodyInstant = Field(default=None, description="Evaluate as of this instant.")


class VersionOut(BaseModel):
    """One immutable version: the canonical JSON, its text form and hash."""

    pin: str
    pattern_id: str
    version: int
    definition: dict[str, Any]
    text: str
    content_hash: str
    created_by: str
    created_at: str | None
    note: str | None = None


class PatternOut(BaseModel):
    """A pattern's head record (``latest`` is its newest version)."""

    pattern_id: str
    name: str
    owner: str
    description: str | None = None
    latest_version: int
    archived: bool
    created_at: str | None
    updated_at: str | None
    latest: VersionOut | None = None
    created: bool | None = None


class ValidationOut(BaseModel):
    """Whether a rule is valid; its canonical text and JSON, or every (path, message)."""

    valid: bool
    text: str | None = None
    definition: dict[str, Any] | None = None
    errors: list[dict[str, str]] = []


class EvaluationOut(BaseModel):
    """Matches at the last bar, with why each matched; the one provider read."""

    provider: str
    pin: str | None
    bar: str | None
    matches: list[str]
    explanations: list[dict[str, Any]]
    empty_datasets: list[str]


def _version(v: access.PatternVersion) -> dict[str, Any]:
    return {"pin": v.pin, "pattern_id": v.pattern_id, "version": v.version,
            "definition": v.definition, "text": v.text, "content_hash": v.content_hash,
            "created_by": v.created_by, "created_at": iso(v.created_at),
            "note": v.note}  # fmt: skip


def _head(h: access.PatternHead, latest: Any = None, created: bool | None = None) -> dict[str, Any]:
    return {"pattern_id": h.pattern_id, "name": h.name, "owner": h.owner,
            "description": h.description, "latest_version": h.latest_version,
            "archived": h.archived, "created_at": iso(h.created_at),
            "updated_at": iso(h.updated_at), "created": created,
            "latest": _version(latest) if latest is not None else None}  # fmt: skip


@router.get("/patterns", response_model=Page, **_G)
async def list_patterns(
    request: Request, me: Me, archived: bool = False, limit: Limit = 100, offset: Offset = 0
) -> Response:
    """Your patterns, by name (archived ones too with ``archived=true``)."""
    cache = context(request).patterns  # while serving, until a pattern head changes
    page = partial(_pattern_page, store_of(request), me, archived, limit, offset)
    body = await cache.fetch((me.username, archived, limit, offset), page, run_in_threadpool)
    return Response(body, media_type="application/json")


def _pattern_page(store: Any, me: Identity, archived: bool, limit: int, offset: int) -> bytes:
    """A page of the caller's patterns as JSON (the bytes the ``Page`` model produces)."""
    heads = access.list_own(store, me, include_archived=archived)
    items = [_head(h) for h in heads[offset : offset + limit]]
    nxt = offset + limit if offset + limit < len(heads) else None
    page = Page(items=items, limit=limit, offset=offset, next_offset=nxt, total=len(heads))
    return page.model_dump_json().encode()


@router.post("/patterns", response_model=PatternOut, status_code=status.HTTP_201_CREATED, **_G)
def create_pattern(request: Request, me: Me, body: PatternCreate) -> dict[str, Any]:
    """Create a pattern with its first version (counts against the tier's patterns)."""
    store = store_of(request)
    saved = access.create(store, me, body.pattern_id, body.rule, name=body.name,
                          description=body.description, note=body.note)  # fmt: skip
    head = access.owned_pattern(store, me, body.pattern_id)
    return _head(head, saved.version, saved.created)


@router.get("/patterns/{pattern_id}", response_model=PatternOut, **_G)
def get_pattern(request: Request, me: Me, pattern_id: PatternId) -> dict[str, Any]:
    """A pattern with its newest version."""
    store = store_of(request)
    head = access.owned_pattern(store, me, pattern_id)
    return _head(head, access.version(store, me, pattern_id))


@router.delete("/patterns/{pattern_id}", response_model=PatternOut, **_G)
def archive_pattern(request: Request, me: Me, pattern_id: PatternId) -> dict[str, Any]:
    """Archive a pattern: hidden from listings; its pinned versions stay readable."""
    return _head(access.archive(store_of(request), me, pattern_id))


@router.get("/patterns/{pattern_id}/versions", response_model=list[VersionOut], **_G)
def list_versions(request: Request, me: Me, pattern_id: PatternId) -> list[dict[str, Any]]:
    """Every version, oldest first."""
    return [_version(v) for v in access.versions(store_of(request), me, pattern_id)]


@router.post(
    "/patterns/{pattern_id}/versions",
    response_model=PatternOut,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "The rule equals the newest version: nothing stored."}},
    **_G,
)
def save_version(
    request: Request, response: Response, me: Me, pattern_id: PatternId, body: VersionCreate
) -> dict[str, Any]:
    """Store the next version (200 and ``created: false`` when the rule is unchanged)."""
    store = store_of(request)
    saved = access.save_version(store, me, pattern_id, body.rule, name=body.name,
                                description=body.description, note=body.note)  # fmt: skip
    if not saved.created:
        response.status_code = status.HTTP_200_OK
    return _head(access.owned_pattern(store, me, pattern_id), saved.version, saved.created)


@router.get("/patterns/{pattern_id}/versions/{version}", response_model=VersionOut, **_G)
def get_version(
    request: Request,
    me: Me,
    pattern_id: PatternId,
    version: Annotated[int, Path(ge=1, le=999_999_999)],
) -> dict[str, Any]:
    """One version, by number (its pin is ``pattern_id@version``)."""
    return _version(access.version(store_of(request), me, pattern_id, version))


@router.post("/patterns/validate", response_model=ValidationOut, **_G)
def validate(body: RuleBody) -> dict[str, Any]:
    """Check a rule without storing it: its canonical form, or every error with its path."""
    try:
        rule = as_rule(body.rule)
    except RuleValidationError as exc:
        return {"valid": False, "errors": [{"path": p, "message": m} for p, m in exc.errors]}
    return {"valid": True, "text": print_rule(rule), "definition": _json(rule)}


def _json(rule: Any) -> dict[str, Any]:
    import json

    loaded: dict[str, Any] = json.loads(rule_json(rule))
    return loaded


def _finite(values: Any) -> Any:
    if not isinstance(values, dict):
        return values
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in values.items()}  # fmt: skip


def _bar_label(bar: Any) -> str | None:
    """A daily bar (naive midnight) is a date, ``YYYY-MM-DD``; an intraday bar an instant."""
    if bar is None:
        return None
    stamp = pd.Timestamp(bar)
    if stamp.tzinfo is None and stamp == stamp.normalize():
        return stamp.date().isoformat()
    return iso(bar)


def _evaluation(found: Any) -> dict[str, Any]:
    result = found.result
    explained = records(result.explanations())
    for row in explained:
        row["values"] = _finite(row["values"])
    bar = result.index[-1] if len(result.index) else None
    return {"provider": found.provider, "pin": found.pin, "bar": _bar_label(bar),
            "matches": [str(s) for s in result.matching_symbols()] if bar is not None else [],
            "explanations": explained, "empty_datasets": list(found.data.empty)}  # fmt: skip


@router.post("/patterns/evaluate", response_model=EvaluationOut, **_G)
def evaluate(request: Request, me: Me, body: EvaluateBody) -> dict[str, Any]:
    """Evaluate an ad-hoc rule, or a pin of one of your patterns, on the stored data."""
    if (body.rule is None) == (body.pin is None):
        from optionsintel.errors import InputError

        raise InputError("send exactly one of 'rule' and 'pin'")
    target: Any = body.pin if body.pin is not None else body.rule
    found = access.evaluate(store_of(request), me, target, provider=body.provider,
                            symbols=body.symbols, as_of=body.as_of)  # fmt: skip
    return _evaluation(found)


@router.post("/patterns/{pattern_id}/evaluate", response_model=EvaluationOut, **_G)
def evaluate_pattern(
    request: Request,
    me: Me,
    pattern_id: PatternId,
    version: Annotated[int | None, Query(ge=1, le=999_999_999)] = None,
    provider: Annotated[str | None, Query(pattern=PROVIDER_PATTERN)] = None,
    symbols: Annotated[
        list[Annotated[str, Query(pattern=SYMBOL_PATTERN)]] | None, Query(max_length=500)
    ] = None,
    as_of: Instant = None,
) -> dict[str, Any]:
    """Evaluate one of your patterns (its newest version, or ``version``)."""
    store = store_of(request)
    pin = access.version(store, me, pattern_id, version).pin
    found = access.evaluate(store, me, pin, provider=provider, symbols=symbols, as_of=as_of)
    return _evaluation(found)
