"""The in-app channel: one feed row per user and notification (read/unread).

The channel renders the row; writing it is injected (``services.dispatch`` passes an
insert-only append that skips a key already stored), so a notification delivered twice
after a lease expiry still shows once in the feed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from optionsintel.delivery import render
from optionsintel.delivery.base import Notification, Receipt


@dataclass(frozen=True)
class FeedItem:
    """One row of a user's feed."""

    username: str
    dedupe_key: str
    owner: str
    rule_name: str
    title: str
    body: str
    payload: dict[str, Any] = field(default_factory=dict)


class InAppChannel:
    """Write the notification into the feed of the target user (default: the owner)."""

    kind = "in_app"

    def __init__(self, write: Callable[[FeedItem], None]) -> None:
        self._write = write

    def send(self, notification: Notification) -> Receipt:
        """Append the feed row (idempotent on the notification's key)."""
        user = notification.target.get("user") or notification.owner
        self._write(
            FeedItem(
                username=str(user),
                dedupe_key=notification.dedupe_key,
                owner=notification.owner,
                rule_name=notification.rule_name,
                title=render.subject(notification.event),
                body=render.text(notification.event),
                payload=notification.event,
            )
        )
        return Receipt(None)
