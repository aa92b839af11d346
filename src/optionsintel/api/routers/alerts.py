"""Alert rules (CRUD, mute, test-send) and the in-app notification feed.

Bodies are the library's own rule model (:class:`optionsintel.alerts.AlertRule`) without
the owner, which is always the caller. Everything goes through
:mod:`optionsintel.services.alert_access` (ownership, tier allowance, audit).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response, status
from pydantic import BaseModel, Field, model_validator

from optionsintel.alerts import AlertRule
from optionsintel.api.deps import current_identity, guard, store_of
from optionsintel.api.schemas import ERRORS, Limit, Offset, Page, check_document
from optionsintel.auth import Permission
from optionsintel.services import alert_access as access
from optionsintel.services.identity import Identity
from optionsintel.services.serialise import records, row

router = APIRouter(tags=["alerts"], responses=ERRORS)
_G = guard(Permission.OWN_ALERTS)
Me = Annotated[Identity, Depends(current_identity)]
RULE_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.\- ]{0,79}$"
RuleName = Annotated[str, Path(pattern=RULE_NAME)]


class AlertRuleBody(AlertRule):
    """An alert rule as the library defines it; ``owner`` is ignored (always the caller)."""

    owner: str | None = Field(default=None, max_length=64)  # type: ignore[assignment]

    @model_validator(mode="before")
    @classmethod
    def _check_document(cls, data: Any) -> Any:
        return check_document(data)


class AlertRuleOut(BaseModel):
    """A stored rule: its status (ACTIVE / MUTED) and definition."""

    name: str
    status: str
    definition: dict[str, Any]
    created_at: str | None = None
    updated_at: str | None = None


class SendOutcome(BaseModel):
    """What one channel of a test-send did."""

    kind: str
    delivered: bool
    status_code: int | None = None
    error: str | None = None


class FeedPage(Page):
    """A page of in-app notifications with the unread count."""

    unread: int


def _body(body: AlertRuleBody) -> dict[str, Any]:
    return body.model_dump(mode="json", exclude={"owner"})


@router.get("/alerts/rules", response_model=Page, **_G)
def list_rules(request: Request, me: Me, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    """Your alert rules, by name."""
    items = records(access.list_own(store_of(request), me))
    nxt = offset + limit if offset + limit < len(items) else None
    return {"items": items[offset : offset + limit], "limit": limit, "offset": offset,
            "next_offset": nxt, "total": len(items)}  # fmt: skip


@router.post("/alerts/rules", response_model=AlertRuleOut, status_code=201, **_G)
def create_rule(request: Request, me: Me, body: AlertRuleBody) -> dict[str, Any]:
    """Create a rule (counts against the tier's alerts)."""
    return row(access.create(store_of(request), me, _body(body)))


@router.get("/alerts/rules/{name}", response_model=AlertRuleOut, **_G)
def get_rule(request: Request, me: Me, name: RuleName) -> dict[str, Any]:
    """One of your rules."""
    return row(access.get(store_of(request), me, name))


@router.put("/alerts/rules/{name}", response_model=AlertRuleOut, **_G)
def update_rule(request: Request, me: Me, name: RuleName, body: AlertRuleBody) -> dict[str, Any]:
    """Replace a rule's definition (the name in the path wins)."""
    return row(access.update(store_of(request), me, name, _body(body)))


@router.delete("/alerts/rules/{name}", status_code=status.HTTP_204_NO_CONTENT, **_G)
def delete_rule(request: Request, me: Me, name: RuleName) -> Response:
    """Delete a rule with its state and pending notifications."""
    access.delete(store_of(request), me, name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/alerts/rules/{name}/mute", response_model=AlertRuleOut, **_G)
def mute_rule(request: Request, me: Me, name: RuleName) -> dict[str, Any]:
    """Stop a rule firing until unmuted."""
    return row(access.mute(store_of(request), me, name, True))


@router.post("/alerts/rules/{name}/unmute", response_model=AlertRuleOut, **_G)
def unmute_rule(request: Request, me: Me, name: RuleName) -> dict[str, Any]:
    """Let a muted rule fire again."""
    return row(access.mute(store_of(request), me, name, False))


@router.post("/alerts/rules/{name}/test", response_model=list[SendOutcome], **_G)
def test_send(request: Request, me: Me, name: RuleName) -> list[dict[str, Any]]:
    """Send a sample notification to each of the rule's channels now (no queue, no retry)."""
    return access.test_send(store_of(request), me, name)


@router.get("/alerts/notifications", response_model=FeedPage, **_G)
def notifications(
    request: Request, me: Me, unread: bool = False, limit: Limit = 100, offset: Offset = 0
) -> dict[str, Any]:
    """Your in-app notifications, newest first (``unread=true``: unread only)."""
    store = store_of(request)
    frame = access.feed(store, me, unread_only=unread)
    count = int((frame["status"] == "UNREAD").sum()) if not unread else len(frame)
    items = records(frame.iloc[offset : offset + limit])
    nxt = offset + limit if offset + limit < len(frame) else None
    return {"items": items, "limit": limit, "offset": offset, "next_offset": nxt,
            "total": len(frame), "unread": count}  # fmt: skip


@router.post("/alerts/notifications/{dedupe_key}/read", **_G)
def mark_read(
    request: Request, me: Me, dedupe_key: Annotated[str, Path(max_length=200)]
) -> dict[str, Any]:
    """Mark a notification read (``changed`` is false when it already was)."""
    return {
        "dedupe_key": dedupe_key,
        "changed": access.mark_read(store_of(request), me, dedupe_key),
    }
