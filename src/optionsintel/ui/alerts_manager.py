"""The alerts manager: rules (create, edit, mute, delete), test-sends, history, the feed.

>>> app = build_alerts_manager(get_store(), owner="asha")     # doctest: +SKIP

Public interface (traitlets): ``owner`` (whose rules and feed), ``selected`` (the rule
shown), ``message`` (the last outcome, one line). Data comes from an injected
:class:`~optionsintel.ui.alerts_data.AlertsSource`; the bell
(:class:`~optionsintel.ui.alerts_bell.NotificationBell`) is the same widget other apps
include.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import ipywidgets as w
import pandas as pd
import traitlets as t

from optionsintel.alerts import parse_rule
from optionsintel.errors import OptionsIntelError
from optionsintel.ui import panels, theme
from optionsintel.ui.alerts_bell import NotificationBell
from optionsintel.ui.alerts_data import AlertsSource, alerts_source
from optionsintel.ui.alerts_editor import PatternPicker, RuleEditor

if TYPE_CHECKING:
    from optionsintel.store import Store

STYLE = """
<style>
.oi-table-wrap { overflow-x: auto; max-width: 100%; }
table.oi-list td.SENT, table.oi-list td.ACTIVE { color: #1b7f3b; font-weight: 600; }
table.oi-list td.FAILED, table.oi-list td.ABANDONED { color: #b3261e; font-weight: 600; }
table.oi-list td.PENDING, table.oi-list td.SENDING, table.oi-list td.RETRY,
table.oi-list td.MUTED { color: #8a6d00; font-weight: 600; }
</style>
"""


def table_html(frame: pd.DataFrame, columns: dict[str, str], cls: str, status: str = "") -> str:
    """An escaped HTML table of ``columns`` (name -> header); ``status`` cells get a class."""
    if frame.empty:
        return panels.message("empty", "Nothing yet.")
    head = "".join(f"<th>{html.escape(h)}</th>" for h in columns.values())
    body = []
    for row in frame[list(columns)].itertuples(index=False):
        cells = []
        for name, value in zip(columns, row, strict=True):
            text = _cell(value)
            css = f' class="{html.escape(text)}"' if name == status else ""
            cells.append(f"<td{css}>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<div class="oi-table-wrap"><table class="oi-list {cls}"><thead><tr>{head}'
        f"</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _cell(value: Any) -> str:
    if isinstance(value, pd.Timestamp):
        return panels.ist(value, "%d %b %H:%M:%S")
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return "–"
    if isinstance(value, float):
        return panels.fmt_number(value)
    return str(value)


class AlertsManager(w.VBox):
    """Voila alerts-manager composite (see the module docstring)."""

    owner = t.Unicode("")
    selected = t.Unicode("")
    message = t.Unicode("")

    def __init__(self, source: AlertsSource, owner: str, **kwargs: Any) -> None:
        self.source = source
        self.bell = NotificationBell(source.feed, source.mark_read, owner)
        self.owner_input = w.Text(description="Owner", value=owner, continuous_update=False)
        self.rules_view = w.HTML()
        self.rule_select = w.Dropdown(description="Rule", layout=w.Layout(width="auto"))
        self.rule_select.observe(lambda c: setattr(self, "selected", c["new"] or ""), "value")
        self.buttons = {
            label: w.Button(description=label, icon=icon, layout=w.Layout(width="auto"))
            for label, icon in (
                ("New rule", "plus"),
                ("Edit", "pencil"),
                ("Mute", "bell-slash"),
                ("Unmute", "bell"),
                ("Delete", "trash"),
                ("Save rule", "save"),
                ("Send test", "paper-plane"),
                ("Refresh", "refresh"),
            )
        }
        self.buttons["Save rule"].button_style = "primary"
        actions = {
            "New rule": self.new_rule,
            "Edit": self.edit,
            "Mute": lambda: self.mute(True),
            "Unmute": lambda: self.mute(False),
            "Delete": self.delete,
            "Save rule": self.save,
            "Send test": self.send_test,
            "Refresh": self.refresh,
        }
        for label, fn in actions.items():
            self.buttons[label].on_click(lambda _b, fn=fn: fn())
        self.editor = RuleEditor(PatternPicker(source.patterns, source.versions))
        self.test_kind = w.Dropdown(description="Channel", layout=w.Layout(width="auto"))
        self.status = w.HTML()
        self.history_view, self.attempts_view = w.HTML(), w.HTML()
        self.notification_select = w.Dropdown(
            description="Attempts of", layout=w.Layout(width="auto", max_width="100%")
        )
        self.notification_select.observe(lambda _c: self._show_attempts(), "value")
        super().__init__(self._sections(), **kwargs)
        self.add_class("oi-app")
        self.observe(lambda _c: self._show_history(), "selected")
        self.observe(lambda c: self._on_owner(c["new"]), "owner")
        self.owner_input.observe(lambda c: setattr(self, "owner", c["new"].strip()), "value")
        for box in self.editor.channels.on.values():
            box.observe(lambda _c: self._test_kinds(), "value")
        self.owner = owner
        self.reset()

    def _sections(self) -> list[w.Widget]:
        wrap = w.Layout(flex_flow="row wrap", align_items="center")
        b = self.buttons
        h = lambda text: w.HTML(f"<h4>{html.escape(text)}</h4>")  # noqa: E731
        return [
            w.HTML(panels.STYLE + STYLE),
            w.HBox([w.HTML("<h3>Alerts</h3>"), self.bell], layout=wrap),
            w.HBox([self.owner_input, b["Refresh"]], layout=wrap),
            self.status,
            h("Rules"),
            self.rules_view,
            w.HBox(
                [self.rule_select, b["Edit"], b["Mute"], b["Unmute"], b["Delete"], b["New rule"]],
                layout=wrap,
            ),
            h("Rule"),
            self.editor,
            w.HBox([b["Save rule"]], layout=wrap),
            h("Test-send"),
            w.HBox([self.test_kind, b["Send test"]], layout=wrap),
            h("Trigger history"),
            self.history_view,
            w.HBox([self.notification_select], layout=wrap),
            self.attempts_view,
        ]

    # -- actions ---------------------------------------------------------------------------
    def reset(self) -> None:
        """Empty form, rules and feed re-read."""
        self.editor.clear()
        self.message = ""
        self.refresh()

    def refresh(self) -> None:
        """Re-read the owner's rules, the selected rule's history and the feed."""
        try:
            rules = self.source.rules(self.owner)
        except OptionsIntelError as exc:
            return self._say("error", str(exc))
        self.rules_view.value = table_html(
            rules,
            {
                "name": "Rule",
                "type": "Type",
                "status": "Status",
                "instruments": "Instruments",
                "channels": "Channels",
                "cooldown_seconds": "Cooldown s",
            },
            "oi-rules",
            "status",
        )
        names = list(rules["name"])
        keep = self.selected if self.selected in names else (names[0] if names else None)
        self.rule_select.options = names
        self.rule_select.value = keep
        self._show_history()
        self.bell.refresh()
        self._test_kinds()

    def new_rule(self) -> None:
        """Clear the form for a new rule."""
        self.editor.clear()
        self._say("info", "New rule: fill in the form and save.")

    def edit(self) -> None:
        """Load the selected rule into the form."""
        if not self.selected:
            return self._say("error", "Choose a rule first.")
        try:
            self.editor.load(self.source.get(self.owner, self.selected))
        except OptionsIntelError as exc:
            return self._say("error", str(exc))
        self._say("info", f"Editing {self.selected}: saving replaces it (its state is kept).")

    def save(self) -> None:
        """Validate the form and create (or update) the rule."""
        doc = self.editor.document(self.owner)
        try:
            parse_rule(doc)
            existing = doc["name"] in list(self.rule_select.options)
            rule = self.source.update(doc) if existing else self.source.create(doc)
        except OptionsIntelError as exc:
            return self._say("error", str(exc))
        self.selected = rule.name
        self.refresh()
        self.editor.load(rule)
        self._say("info", f"Saved {rule.name} ({'updated' if existing else 'created'}).")

    def mute(self, muted: bool) -> None:
        """Mute or unmute the selected rule."""
        if not self.selected:
            return self._say("error", "Choose a rule first.")
        try:
            changed = self.source.mute(self.owner, self.selected, muted)
        except OptionsIntelError as exc:
            return self._say("error", str(exc))
        word = "Muted" if muted else "Unmuted"
        self.refresh()
        self._say("info", f"{word} {self.selected}." if changed else f"{self.selected}: no change.")

    def delete(self) -> None:
        """Delete the selected rule with its state and history."""
        name = self.selected
        if not name:
            return self._say("error", "Choose a rule first.")
        try:
            self.source.delete(self.owner, name)
        except OptionsIntelError as exc:
            return self._say("error", str(exc))
        self.selected = ""
        self.refresh()
        self._say("info", f"Deleted {name}.")

    def send_test(self) -> None:
        """Send a sample notification to the chosen channel of the form (no outbox)."""
        kind = self.test_kind.value
        if not kind:
            return self._say("error", "Tick a channel in the form first.")
        target = next(c for c in self.editor.channels.document() if c["kind"] == kind)
        target = {k: v for k, v in target.items() if k != "kind"}
        try:
            receipt = self.source.test_send(kind, target, self.owner)
        except OptionsIntelError as exc:
            return self._say("error", f"test-send to {kind} failed: {exc}")
        code = getattr(receipt, "status_code", None)
        self.bell.refresh()
        self._say("info", f"Test sent to {kind}" + (f" (status {code})." if code else "."))

    # -- views -----------------------------------------------------------------------------
    def _on_owner(self, owner: str) -> None:
        if self.owner_input.value != owner:
            self.owner_input.value = owner
        self.bell.user = owner
        self.selected = ""
        self.refresh()

    def _show_history(self) -> None:
        if not self.selected:
            self.history_view.value, self.attempts_view.value = "", ""
            self.notification_select.options = []
            return
        try:
            rows = self.source.history(self.owner, self.selected)
        except OptionsIntelError as exc:
            return self._say("error", str(exc))
        self.history_view.value = table_html(
            rows,
            {
                "triggered_at": "Triggered (IST)",
                "instrument": "Instrument",
                "value": "Value",
                "threshold": "Threshold",
                "channel": "Channel",
                "status": "Status",
                "attempts": "Attempts",
                "last_error": "Last error",
            },
            "oi-history",
            "status",
        )
        self.notification_select.options = [
            (f"{_cell(r.triggered_at)} {r.instrument} → {r.channel}", r.dedupe_key)
            for r in rows.itertuples(index=False)
        ]
        keys = list(rows["dedupe_key"])
        self.notification_select.value = keys[0] if keys else None
        self._show_attempts()

    def _show_attempts(self) -> None:
        key = self.notification_select.value
        if not key:
            self.attempts_view.value = ""
            return
        rows = self.source.attempts(key)
        self.attempts_view.value = table_html(
            rows,
            {
                "attempt": "#",
                "started_at": "Started (IST)",
                "outcome": "Outcome",
                "status_code": "Code",
                "latency_ms": "ms",
                "dispatcher": "Dispatcher",
                "error": "Error",
            },
            "oi-attempts",
            "outcome",
        )

    def _test_kinds(self) -> None:
        kinds = [k for k, box in self.editor.channels.on.items() if box.value]
        current = self.test_kind.value
        self.test_kind.options = kinds
        # ipywidgets keeps a dropdown blank after its options change: choose one explicitly.
        self.test_kind.value = current if current in kinds else (kinds[0] if kinds else None)

    def _say(self, kind: str, text: str) -> None:
        self.message = text
        self.status.value = panels.message(kind, text)


def build_alerts_manager(store: Store | None = None, owner: str = "analyst") -> AlertsManager:
    """Build the alerts manager on ``store`` (the configured store when None)."""
    if store is None:
        from optionsintel.store import get_store

        store = get_store()
    prefs = theme.session(store)[1]  # the viewer's underlying, numbers, colours
    return theme.apply_app(AlertsManager(alerts_source(store), owner), prefs)
