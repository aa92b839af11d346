"""A notification bell with the unread count and the in-app feed: include it in any app.

>>> bell = build_bell(get_store(), "asha")          # doctest: +SKIP

Public interface (traitlets): ``user``, ``unread`` (the number on the bell), ``expanded``
(the feed shown). :meth:`NotificationBell.refresh` re-reads the feed; marking an item
read is a compare-and-set in the store (a second click changes nothing).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as w
import pandas as pd
import traitlets as t

from optionsintel.errors import OptionsIntelError
from optionsintel.ui import panels

if TYPE_CHECKING:
    from optionsintel.store import Store

BELL_STYLE = """
<style>
.oi-bell button { font-weight: 600; }
.oi-bell.unread button { background: #fff3cd; border-color: #f0c36d; }
.oi-feed-item { border-bottom: 1px solid #eee; padding: 4px 0; }
.oi-feed-item.UNREAD .oi-feed-title { font-weight: 700; }
.oi-feed-title { font-size: 13px; } .oi-feed-body { font-size: 12px; color: #444;
  white-space: pre-wrap; overflow-wrap: anywhere; }
.oi-feed-when { font-size: 11px; color: #777; }
</style>
"""


class NotificationBell(w.VBox):
    """The bell button (``🔔 n``) and, when open, the user's feed with "Mark read" buttons."""

    user = t.Unicode("")
    unread = t.Int(0)
    expanded = t.Bool(False)

    def __init__(
        self,
        feed: Callable[[str], pd.DataFrame],
        mark_read: Callable[[str, str], bool],
        user: str,
        **kwargs: Any,
    ) -> None:
        self._feed, self._mark_read = feed, mark_read
        self.button = w.Button(
            description="🔔 0", tooltip="Notifications", layout=w.Layout(width="auto")
        )
        self.button.add_class("oi-bell")
        self.button.on_click(lambda _b: setattr(self, "expanded", not self.expanded))
        self.items = w.VBox(layout=w.Layout(max_height="320px", overflow="auto"))
        self.message = w.HTML()
        self.style_html = w.HTML(BELL_STYLE)
        super().__init__([self.style_html, self.button, self.message], **kwargs)
        self.observe(lambda _c: self._layout(), "expanded")
        self.observe(lambda _c: self._label(), "unread")
        self.user = user
        self.refresh()

    def refresh(self) -> None:
        """Re-read the user's feed: the count on the bell and the items."""
        try:
            rows = self._feed(self.user)
        except OptionsIntelError as exc:
            self.message.value = panels.message("error", str(exc))
            return
        self.message.value = ""
        self.rows = rows
        self.unread = int((rows["status"] == "UNREAD").sum()) if len(rows) else 0
        self.items.children = [self._item(r) for r in rows.head(50).itertuples(index=False)]
        if not len(rows):
            self.items.children = [w.HTML(panels.message("empty", "No notifications yet."))]

    def mark_read(self, dedupe_key: str) -> None:
        """Mark one item read and refresh."""
        try:
            self._mark_read(self.user, dedupe_key)
        except OptionsIntelError as exc:
            self.message.value = panels.message("error", str(exc))
            return
        self.refresh()

    def reset(self) -> None:
        """Close the feed and re-read it."""
        self.expanded = False
        self.refresh()

    def _item(self, row: Any) -> w.Widget:
        when = panels.ist(pd.Timestamp(row.created_at)) if pd.notna(row.created_at) else ""
        text = w.HTML(
            f"<div class='oi-feed-item {html.escape(str(row.status))}'>"
            f"<div class='oi-feed-title'>{html.escape(str(row.title))}</div>"
            f"<div class='oi-feed-body'>{html.escape(str(row.body))}</div>"
            f"<div class='oi-feed-when'>{html.escape(when)} · {html.escape(str(row.status))}"
            "</div></div>"
        )
        if row.status != "UNREAD":
            return text
        done = w.Button(description="Mark read", layout=w.Layout(width="auto"))
        done.on_click(lambda _b, key=row.dedupe_key: self.mark_read(key))
        return w.VBox([text, done])

    def _label(self) -> None:
        self.button.description = f"🔔 {self.unread}"
        if self.unread:
            self.button.add_class("unread")
        else:
            self.button.remove_class("unread")

    def _layout(self) -> None:
        base = [self.style_html, self.button, self.message]
        self.children = [*base, self.items] if self.expanded else base


def build_bell(store: Store, user: str) -> NotificationBell:
    """A bell over ``store``'s in-app feed of ``user``."""
    from optionsintel.services import alerts as svc

    return NotificationBell(
        lambda u: svc.read_feed(store, u),
        lambda u, key: svc.mark_read(store, u, key),
        user,
    )
