"""Alert use cases: rule CRUD with validation, and evaluate-and-enqueue on a tick.

:func:`evaluate_and_enqueue` is the transactional outbox: it runs inside the caller's
transaction (the collection tick's, or the EOD run's), so the arm state and the outbox
rows commit together with exactly the data that triggered them, or not at all. An
outbox row's key is ``<trigger key>:<channel index>`` with the trigger key hashing
(owner, rule, instrument, tick instant) and is appended with ``on_duplicate="skip"``:
a retried tick or a re-run partition never notifies twice.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from optionsintel.alerts import AlertRule, TickFrames, compile_rules, evaluate, parse_rule
from optionsintel.alerts.book import RuleBook
from optionsintel.alerts.rules import rule_document
from optionsintel.errors import (
    AlertRuleError,
    DuplicateAlertRuleError,
    DuplicateRecordError,
    RecordNotFoundError,
)
from optionsintel.store import Store
from optionsintel.store.alerts import (
    delete_alert_rule,
    read_alert_feed,
    read_alert_notifications,
    read_alert_rule_state,
    read_alert_rules,
    read_alert_rules_version,
    read_alert_watchlists,
    read_delivery_attempts,
)
from optionsintel.store.api import Writer
from optionsintel.store.bulk import MergeResult
from optionsintel.tz import to_utc

log = logging.getLogger(__name__)

_book_cache: dict[Any, RuleBook] = {}


@dataclass(frozen=True)
class EnqueueResult:
    """What one evaluation enqueued: triggers, outbox rows inserted and skipped as repeats."""

    triggers: pd.DataFrame
    enqueued: int
    duplicates: int


# -- CRUD -----------------------------------------------------------------------------------


def _rule_row(rule: AlertRule) -> pd.DataFrame:
    doc = rule_document(rule)
    return pd.DataFrame(
        [
            {
                "owner": rule.owner,
                "name": rule.name,
                "condition": doc["condition"],
                "channels": doc["channels"],
                "cooldown_seconds": rule.cooldown_seconds,
                "is_active": True,
                "definition": doc,
                "updated_at": pd.Timestamp.now(tz="UTC"),
            }
        ]
    )


def create_rule(store: Store, data: Mapping[str, Any] | AlertRule) -> AlertRule:
    """Validate and store a new rule.

    Raises
    ------
    AlertRuleError
        When the rule is invalid or the owner already has a rule of that name.
    """
    rule = parse_rule(data)
    try:
        store.append("alert_rules", _rule_row(rule))
    except DuplicateRecordError as exc:  # a conflict: 409 in the API, also when two race
        raise DuplicateAlertRuleError(
            f"owner {rule.owner!r} already has a rule named {rule.name!r}: "
            "update it, or delete it first",
            table=exc.table,
            keys=exc.keys,
        ) from None
    return rule


def update_rule(store: Store, data: Mapping[str, Any] | AlertRule) -> AlertRule:
    """Replace an existing rule's definition (its arm state is kept).

    Raises
    ------
    AlertRuleError
        When the rule is invalid or does not exist.
    """
    rule = parse_rule(data)
    stored = read_alert_rules(store, owner=rule.owner)
    if not (stored["name"] == rule.name).any():
        raise AlertRuleError(f"owner {rule.owner!r} has no rule named {rule.name!r}")
    store.write("alert_rules", _rule_row(rule))
    return rule


def list_rules(store: Store, owner: str | None = None) -> pd.DataFrame:
    """Rules as a table: owner, name, type, status, instruments, channels, cooldown."""
    rows = read_alert_rules(store, owner=owner)
    out = pd.DataFrame(
        {
            "owner": rows["owner"],
            "name": rows["name"],
            "type": [d.get("condition", {}).get("type") for d in rows["definition"]],
            "status": rows["status"],
            "instruments": [
                ",".join(d.get("symbols") or []) or f"watchlist:{d.get('watchlist')}"
                for d in rows["definition"]
            ],
            "channels": [
                ",".join(c["kind"] for c in d.get("channels", [])) for d in rows["definition"]
            ],
            "cooldown_seconds": rows["cooldown_seconds"],
        }
    )
    return out.reset_index(drop=True)


def get_rule(store: Store, owner: str, name: str) -> AlertRule:
    """The stored rule ``owner``/``name``.

    Raises
    ------
    AlertRuleError
        When there is no such rule.
    """
    rows = read_alert_rules(store, owner=owner)
    found = rows[rows["name"] == name]
    if found.empty:
        raise AlertRuleError(f"owner {owner!r} has no rule named {name!r}")
    return parse_rule(found["definition"].iloc[0])


def delete_rule(store: Store, owner: str, name: str) -> bool:
    """Delete a rule with its state and outbox rows; False when it did not exist."""
    return delete_alert_rule(store, owner, name)


def mute_rule(store: Store, owner: str, name: str, *, muted: bool = True) -> bool:
    """Mute (or unmute) a rule; True when this call changed it.

    Raises
    ------
    AlertRuleError
        When there is no such rule.
    """
    old, new = ("ACTIVE", "MUTED") if muted else ("MUTED", "ACTIVE")
    try:
        return store.transition("alert_rules", {"owner": owner, "name": name}, old, new)
    except RecordNotFoundError:
        raise AlertRuleError(f"owner {owner!r} has no rule named {name!r}") from None


def save_watchlist(store: Store, owner: str, name: str, symbols: Sequence[str]) -> None:
    """Create or replace a watchlist a rule can name instead of symbols."""
    clean = [str(s).strip().upper() for s in symbols if str(s).strip()]
    if not clean:
        raise AlertRuleError(f"watchlist {name!r} needs at least one symbol")
    frame = pd.DataFrame([{"owner": owner, "name": name, "symbols": clean}])
    store.write("alert_watchlists", frame)


# -- evaluation -----------------------------------------------------------------------------


def active_book(writer: Writer) -> RuleBook | None:
    """The compiled active rules (None when there are none).

    Recompiled only when rules or watchlists changed (a cache keyed on their version).
    """
    lists = read_alert_watchlists(writer)
    watch = {
        (o, n): tuple(s)
        for o, n, s in zip(lists["owner"], lists["name"], lists["symbols"], strict=True)
    }
    key = (read_alert_rules_version(writer), tuple(sorted(watch.items())))
    if key not in _book_cache:
        rules = []
        for doc in read_alert_rules(writer, active_only=True)["definition"]:
            try:
                rule = parse_rule(doc)
            except AlertRuleError as exc:
                log.warning("skipping a stored alert rule that no longer validates: %s", exc)
                continue
            if rule.watchlist is not None and (rule.owner, rule.watchlist) not in watch:
                log.warning(
                    "skipping alert rule %r: watchlist %r is missing", rule.name, rule.watchlist
                )
                continue
            rules.append(rule)
        _book_cache.clear()
        _book_cache[key] = compile_rules(rules, watch)
    book = _book_cache[key]
    return book if len(book) else None


def evaluate_and_enqueue(
    writer: Writer, tick_frames: TickFrames, now: Any, *, book: RuleBook | None = None
) -> EnqueueResult:
    """Evaluate the active rules on one tick; append outbox rows in the caller's transaction.

    Parameters
    ----------
    writer
        The caller's open transaction (the tick that wrote ``tick_frames``).
    tick_frames
        The tick's frames (:class:`~optionsintel.alerts.TickFrames`).
    now
        The tick instant (naive = IST): the trigger instant of the idempotency keys.
    book
        The active rules when the caller already holds them (:func:`active_book`).

    Returns
    -------
    EnqueueResult
        Triggers, outbox rows inserted and rows skipped because their key was stored.
    """
    book = book if book is not None else active_book(writer)
    if book is None:
        return EnqueueResult(pd.DataFrame(), 0, 0)
    result = evaluate(book, tick_frames, now, read_alert_rule_state(writer))
    if len(result.state):
        writer.write("alert_rule_state", result.state.assign(updated_at=to_utc(now)))
    outbox = _outbox_rows(book, result.triggers)
    if outbox.empty:
        return EnqueueResult(result.triggers, 0, 0)
    merged = enqueue(writer, outbox)
    return EnqueueResult(result.triggers, merged.inserted, merged.rows - merged.inserted)


def enqueue(writer: Writer, outbox: pd.DataFrame) -> MergeResult:
    """Append outbox rows in the caller's transaction; a stored ``dedupe_key`` is skipped.

    Every producer of notifications goes through here. Dispatchers are woken by the
    outbox's insert trigger (migration 0015: ``pg_notify`` on
    :data:`~optionsintel.store.notify.ALERTS_CHANNEL` when the insert stored a row),
    delivered when the transaction commits; nothing is announced for skipped rows.
    """
    return writer.append("alert_notifications", outbox, on_duplicate="skip")


def _outbox_rows(book: RuleBook, triggers: pd.DataFrame) -> pd.DataFrame:
    """One outbox row per (trigger, channel) carrying everything delivery needs."""
    by_key = {(r.owner, r.name): r for r in book.rules}
    rows = []
    for t in triggers.itertuples(index=False):  # triggers are few: not a hot path
        rule = by_key[(t.owner, t.rule_name)]
        doc = rule_document(rule)
        event = {
            "owner": t.owner,
            "rule": t.rule_name,
            "type": t.rule_type,
            "instrument": t.instrument,
            "triggered_at": pd.Timestamp(t.triggered_at).isoformat(),
            "value": _num(t.value),
            "threshold": _num(t.threshold),
            "condition": doc["condition"],
            "trigger_key": t.trigger_key,
        }
        for i, target in enumerate(doc["channels"]):
            rows.append(
                {
                    "dedupe_key": f"{t.trigger_key}:{i}",
                    "owner": t.owner,
                    "rule_name": t.rule_name,
                    "channel": target["kind"],
                    "payload": {"event": event, "target": target},
                    "trigger_key": t.trigger_key,
                    "instrument": t.instrument,
                    "triggered_at": t.triggered_at,
                }
            )
    return pd.DataFrame(rows)


def _num(x: Any) -> float | None:
    return None if pd.isna(x) else float(x)


# -- history ---------------------------------------------------------------------------------


def rule_history(store: Store, owner: str, name: str) -> pd.DataFrame:
    """A rule's triggers, one row per notification (channel), newest first.

    Columns: ``dedupe_key, triggered_at, instrument, channel, status, attempts,
    last_error, sent_at, value, threshold``.
    """
    rows = read_alert_notifications(store, owner=owner, rule_name=name)
    events = [p.get("event", {}) for p in rows["payload"]]
    out = rows[["dedupe_key", "triggered_at", "instrument", "channel", "status", "attempts",
                "last_error", "sent_at"]].copy()  # fmt: skip
    out["value"] = [e.get("value") for e in events]
    out["threshold"] = [e.get("threshold") for e in events]
    return out.iloc[::-1].reset_index(drop=True)


def delivery_attempts(store: Store, dedupe_key: str) -> pd.DataFrame:
    """Every recorded delivery attempt of one notification, in order."""
    return read_delivery_attempts(store, dedupe_key=dedupe_key)


# -- in-app feed ----------------------------------------------------------------------------


def read_feed(
    store: Store,
    username: str,
    *,
    unread_only: bool = False,
    since: Any = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """A user's in-app notifications (``status`` UNREAD / READ), newest first.

    With ``since`` (an instant; naive is IST): those created after it, oldest first, at
    most ``limit``.
    """
    after = None if since is None else to_utc(since)
    return read_alert_feed(store, username, unread_only=unread_only, since=after, limit=limit)


def unread_count(store: Store, username: str) -> int:
    """How many of the user's in-app notifications are unread (the bell's number)."""
    return len(read_alert_feed(store, username, unread_only=True))


def mark_read(store: Store, username: str, dedupe_key: str) -> bool:
    """Mark one feed item read; True when this call changed it.

    Raises
    ------
    AlertRuleError
        When the user has no such feed item.
    """
    key = {"username": username, "dedupe_key": dedupe_key}
    try:
        return store.transition("alert_feed", key, "UNREAD", "READ")
    except RecordNotFoundError:
        raise AlertRuleError(f"user {username!r} has no notification {dedupe_key!r}") from None
