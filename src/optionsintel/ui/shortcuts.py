"""Keyboard shortcuts of an app: a visible help list, and keys anywhere on the page.

:class:`Shortcuts` is a small anywidget (``shortcuts.js``, like the plotly grid's module):
it draws the list of keys and what they do, listens to key presses on the whole page
(ignored while the person types in a text box or holds Ctrl/Alt/Meta) and sends the
key to the kernel, which runs the bound action. Headless, :meth:`Shortcuts.press` goes
through the same dispatch as a key from the browser.

>>> keys = Shortcuts([("r", "refresh", "refresh")])  # doctest: +SKIP
>>> keys.on("refresh", app.refresh)                   # doctest: +SKIP
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import anywidget
import traitlets as t

__all__ = ["MONITOR_KEYS", "STRATEGY_KEYS", "Shortcuts", "help_html", "step_option"]

log = logging.getLogger(__name__)

#: ``(key, action, label)`` of the market monitor.
MONITOR_KEYS = (
    ("r", "refresh", "refresh"),
    ("n", "next_expiry", "next expiry"),
    ("p", "previous_expiry", "previous expiry"),
    (",", "time_back", "time step back"),
    (".", "time_forward", "time step forward"),
    ("l", "live", "back to live"),
)
#: ``(key, action, label)`` of the strategy builder.
STRATEGY_KEYS = (
    ("r", "refresh", "reload the chain"),
    ("n", "next_expiry", "next expiry"),
    ("p", "previous_expiry", "previous expiry"),
    (",", "time_back", "T+ days -1"),
    (".", "time_forward", "T+ days +1"),
)


def help_html(bindings: Sequence[tuple[str, str, str]]) -> str:
    """The help list as HTML (what the widget draws in the page), escaped."""
    items = "".join(
        f"<li><kbd>{html.escape(key)}</kbd> {html.escape(label)}</li>" for key, _, label in bindings
    )
    return f'<ul class="oi-shortcuts">{items}</ul>'


def step_option(widget: Any, step: int) -> None:
    """Move a selection widget (dropdown, selection slider) ``step`` options, within bounds.

    Setting ``value`` fires the app's own observers, exactly as a click would.
    """
    values = [o[1] if isinstance(o, tuple) else o for o in widget.options]
    if not values or widget.value not in values:
        return
    i = min(max(values.index(widget.value) + step, 0), len(values) - 1)
    if values[i] != widget.value:
        widget.value = values[i]


class Shortcuts(anywidget.AnyWidget):
    """Keys of one app (see the module docstring); ``bindings`` is synced to the page."""

    _esm = Path(__file__).with_name("shortcuts.js")
    bindings = t.List(t.Dict()).tag(sync=True)

    def __init__(self, bindings: Sequence[tuple[str, str, str]], **kwargs: Any) -> None:
        keys = [key for key, _, _ in bindings]
        if len(set(keys)) != len(keys):
            raise ValueError(f"a key is bound twice: {keys}")
        super().__init__(bindings=[{"key": k, "label": lbl} for k, _, lbl in bindings], **kwargs)
        self._action = {key: action for key, action, _ in bindings}
        self._handlers: dict[str, Callable[[], None]] = {}
        self.pressed: list[str] = []  # keys handled, newest last (what the tests read)
        self.on_msg(self._on_message)

    def on(self, action: str, handler: Callable[[], None]) -> None:
        """Run ``handler`` when the key of ``action`` is pressed."""
        if action not in self._action.values():
            raise ValueError(f"no key is bound to {action!r}")
        self._handlers[action] = handler

    def press(self, key: str) -> bool:
        """Run the action of ``key`` (as the browser's key press does); False if unbound."""
        handler = self._handlers.get(self._action.get(key, ""))
        if handler is None:
            return False
        self.pressed.append(key)
        try:
            handler()
        except Exception:  # a shortcut must never break the page; the app shows errors
            log.exception("shortcut %r failed", key)
        return True

    def _on_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if isinstance(content, dict) and content.get("event") == "key":
            self.press(str(content.get("key", ""))[:8])
