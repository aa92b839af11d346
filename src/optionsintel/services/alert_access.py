"""A user's own alert rules and notification feed, for the API.

Each function takes the acting :class:`Identity`, checks ``alerts:own``, scopes every
read and write to the caller's rules and feed, and calls the alert use cases the CLI
and dispatcher use (:mod:`optionsintel.services.alerts`, :mod:`.dispatch`) inside one
transaction with the audit record. An in-app target may only name the caller (nobody
writes into another user's feed).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from optionsintel.auth import Permission
from optionsintel.errors import (
    AlertRuleError,
    DeliveryError,
    DuplicateRecordError,
    PermissionDeniedError,
    RecordNotFoundError,
)
from optionsintel.services import alerts, dispatch
from optionsintel.services.audit import record
from optionsintel.services.identity import Identity, authorise
from optionsintel.services.quotas import check_allowance
from optionsintel.settings import get_settings
from optionsintel.store.alerts import read_alert_rules
from optionsintel.tz import to_utc

if TYPE_CHECKING:
    from optionsintel.alerts import AlertRule
    from optionsintel.store import Store


def _document(identity: Identity, data: Mapping[str, Any]) -> AlertRule:
    """Validate ``data`` as a rule of the caller (owner set, in-app targets checked)."""
    rule = alerts.parse_rule({**data, "owner": identity.username})
    for target in rule.channels:
        user = getattr(target, "user", None)
        if target.kind == "in_app" and user not in (None, identity.username):
            raise PermissionDeniedError(
                "an in-app target may only name yourself", permission=Permission.OWN_ALERTS.value
            )
    return rule


def _rows(store: Any, owner: str, name: str | None = None) -> pd.DataFrame:
    rows = read_alert_rules(store, owner=owner)
    return rows if name is None else rows[rows["name"] == name]


def list_own(store: Store, identity: Identity) -> pd.DataFrame:
    """The caller's rules: name, status, definition, created/updated instants."""
    authorise(identity, Permission.OWN_ALERTS)
    cols = ["name", "status", "definition", "created_at", "updated_at"]
    return _rows(store, identity.username)[cols].reset_index(drop=True)


def get(store: Store, identity: Identity, name: str) -> dict[str, Any]:
    """One of the caller's rules (404 when the caller has none of that name)."""
    authorise(identity, Permission.OWN_ALERTS)
    found = _rows(store, identity.username, name)
    if found.empty:
        raise RecordNotFoundError(f"you have no alert rule named {name!r}")
    row: dict[str, Any] = found.iloc[0].to_dict()
    return row


def create(store: Store, identity: Identity, data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate and store a new rule (checks the tier's alert allowance); audited."""
    authorise(identity, Permission.OWN_ALERTS)
    rule = _document(identity, data)
    held = _rows(store, identity.username)
    if (held["name"] == rule.name).any():
        raise DuplicateRecordError(
            f"you already have an alert rule named {rule.name!r}: update it or delete it first",
            table="alert_rules", keys=[{"name": rule.name}])  # fmt: skip
    check_allowance(identity.tier, "alerts", len(held))
    with store.transaction() as writer:
        alerts.create_rule(cast("Store", writer), rule)
        record(writer, identity.actor, "alert.create", rule.name, source=identity.source,
               details={"type": rule.condition.type})  # fmt: skip
    return get(store, identity, rule.name)


def update(store: Store, identity: Identity, name: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """Replace the definition of the caller's rule ``name`` (its arm state is kept)."""
    get(store, identity, name)
    rule = _document(identity, {**data, "name": name})
    with store.transaction() as writer:
        alerts.update_rule(cast("Store", writer), rule)
        record(writer, identity.actor, "alert.update", name, source=identity.source)
    return get(store, identity, name)


def delete(store: Store, identity: Identity, name: str) -> None:
    """Delete the caller's rule with its state and pending notifications; audited."""
    authorise(identity, Permission.OWN_ALERTS)
    with store.transaction() as writer:
        if not alerts.delete_rule(cast("Store", writer), identity.username, name):
            raise RecordNotFoundError(f"you have no alert rule named {name!r}")
        record(writer, identity.actor, "alert.delete", name, source=identity.source)


def mute(store: Store, identity: Identity, name: str, muted: bool) -> dict[str, Any]:
    """Mute or unmute the caller's rule (a no-op when it already is); audited."""
    get(store, identity, name)
    with store.transaction() as writer:
        if alerts.mute_rule(cast("Store", writer), identity.username, name, muted=muted):
            action = "alert.mute" if muted else "alert.unmute"
            record(writer, identity.actor, action, name, source=identity.source)
    return get(store, identity, name)


def feed(
    store: Store,
    identity: Identity,
    *,
    unread_only: bool = False,
    since: Any = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """The caller's in-app notifications, newest first (with ``since``: after it, oldest first)."""
    authorise(identity, Permission.OWN_ALERTS)
    return alerts.read_feed(
        store, identity.username, unread_only=unread_only, since=since, limit=limit
    )


#: A feed item's ``created_at`` is the start of the transaction that wrote it, so an item
#: can commit after one stamped later; a follower re-reads this far back each time and
#: skips what it has handed out.
FEED_SLACK = pd.Timedelta(seconds=60)
FEED_BATCH = 1000


class FeedFollower:
    """Hands out each of the caller's in-app notifications created from ``start`` on, once.

    Items stamped before ``start`` count as already seen (the client has them), those
    stamped at ``start`` or later as new, in creation order. Used by the live stream.
    """

    def __init__(self, store: Store, identity: Identity, start: Any) -> None:
        authorise(identity, Permission.OWN_ALERTS)
        self.store, self.identity = store, identity
        self.start = self.cursor = to_utc(start)
        self._seen: dict[str, pd.Timestamp] | None = None

    def _read(self) -> pd.DataFrame:
        # The page holds every item already handed out in the window plus a batch, so a
        # burst of more than a batch inside the slack cannot fill it with old items and
        # stall the stream; the first read takes the whole window (all of it is known).
        since = self.cursor - FEED_SLACK - pd.Timedelta(microseconds=1)
        limit = FEED_BATCH + len(self._seen or ())
        while True:
            rows = feed(self.store, self.identity, since=since, limit=limit)
            if self._seen is not None or len(rows) < limit:
                return rows
            limit *= 2

    def next_batch(self) -> pd.DataFrame:
        """The items stored since the last call (oldest first; empty when none)."""
        rows = self._read()
        stamps = pd.to_datetime(rows["created_at"], utc=True)
        if self._seen is None:  # the first read: what lies before the start is the client's
            before = stamps < self.start
            self._seen = dict(zip(rows["dedupe_key"][before], stamps[before], strict=True))
        fresh = ~rows["dedupe_key"].isin(list(self._seen))
        new, new_stamps = rows[fresh], stamps[fresh]
        self._seen.update(zip(new["dedupe_key"], new_stamps, strict=True))
        if len(new):
            self.cursor = max(self.cursor, new_stamps.max())
        floor = self.cursor - FEED_SLACK
        self._seen = {k: t for k, t in self._seen.items() if t >= floor}
        return new.reset_index(drop=True)


def mark_read(store: Store, identity: Identity, dedupe_key: str) -> bool:
    """Mark one of the caller's notifications read; False when it already was."""
    authorise(identity, Permission.OWN_ALERTS)
    try:
        with store.transaction() as writer:
            changed = alerts.mark_read(cast("Store", writer), identity.username, dedupe_key)
            if changed:
                record(writer, identity.actor, "alert.read", dedupe_key, source=identity.source)
    except AlertRuleError as exc:
        raise RecordNotFoundError(str(exc)) from None
    return changed


def test_send(store: Store, identity: Identity, name: str) -> list[dict[str, Any]]:
    """Send a sample notification to every channel of the caller's rule now.

    Returns one outcome per channel (``delivered`` and the far end's status, or the
    error). Nothing is queued or retried; the attempt is audited.
    """
    rule = alerts.parse_rule(get(store, identity, name)["definition"])
    channels = dispatch.channels_from_environment(store, get_settings(), os.environ)
    outcomes = []
    for target in rule.channels:
        doc = target.model_dump(mode="json")
        try:
            receipt = dispatch.send_test(channels, target.kind, doc, identity.username)
            outcomes.append({"kind": target.kind, "delivered": True,
                             "status_code": receipt.status_code, "error": None})  # fmt: skip
        except DeliveryError as exc:
            outcomes.append({"kind": target.kind, "delivered": False, "status_code": None,
                             "error": str(exc)[:300]})  # fmt: skip
    with store.transaction() as writer:
        record(writer, identity.actor, "alert.test_send", name, source=identity.source,
               details={"delivered": sum(o["delivered"] for o in outcomes)})  # fmt: skip
    return outcomes
