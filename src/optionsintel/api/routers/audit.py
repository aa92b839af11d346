"""The audit log (read-only: records are written by the services, never through here)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from optionsintel.api.deps import current_identity, guard, store_of
from optionsintel.api.routers._params import Instant, paged
from optionsintel.api.schemas import ERRORS, AuditPage, Limit, Offset
from optionsintel.auth import Permission
from optionsintel.services import audit
from optionsintel.services.identity import Identity

router = APIRouter(tags=["audit"], responses=ERRORS)


@router.get("/audit", response_model=AuditPage, **guard(Permission.AUDIT_READ))
def list_audit(
    request: Request,
    me: Annotated[Identity, Depends(current_identity)],
    actor: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    target: Annotated[str | None, Query(max_length=200, description="the object acted on")] = None,
    start: Instant = None,
    end: Instant = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Who did what to which object, when and from where; newest first."""
    rows = audit.list_audit(
        store_of(request),
        me,
        limit=limit + 1,
        offset=offset,
        actor=actor,
        action=action,
        target=target,
        start=start,
        end=end,
    )
    return paged(rows, limit, offset)
