"""The custom-pattern builder: rows of conditions, the text form, preview, save and versions.

>>> app = build_pattern_builder(get_store())   # doctest: +SKIP

Public interface (traitlets): ``rule_text`` (the text form, kept in sync with the rows
both ways), ``valid``, ``errors`` (``(path, message)`` pairs of the last validation),
``provider`` (the one provider the preview reads), ``matches`` (symbols matching at the
newest bar), ``state`` (``idle | running | ok | error``), ``message``, ``progress``
(0-1), ``pattern_id`` and ``pin`` (the last saved or loaded version). Data comes from an
injected :class:`~optionsintel.ui.pattern_data.PatternSource`.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import ipywidgets as w
import traitlets as t

from optionsintel.errors import OptionsIntelError, RuleValidationError
from optionsintel.rules import TEMPLATES, Rule, parse_rule, print_rule, validate_rule
from optionsintel.ui import panels, theme
from optionsintel.ui.chart_canvas import ChartCanvas
from optionsintel.ui.pattern_data import PatternSource, pattern_source
from optionsintel.ui.pattern_rows import ConditionGroup, ConditionRow, TextRow, editor_for
from optionsintel.ui.pattern_views import (
    STYLE,
    diff_html,
    history_html,
    matches_html,
    why_not_html,
)

if TYPE_CHECKING:
    from optionsintel.store import Store

DEFAULT_TEXT = "close > SMA(20)"


class PatternBuilder(w.VBox):
    """Voila pattern-builder composite (see the module docstring)."""

    rule_text = t.Unicode(DEFAULT_TEXT)
    valid = t.Bool(True)
    errors: t.List[Any] = t.List()
    provider = t.Unicode("")
    matches: t.List[Any] = t.List()
    state = t.Unicode("idle")
    message = t.Unicode("")
    progress = t.Float(0.0)
    pattern_id = t.Unicode("")
    pin = t.Unicode("")

    def __init__(self, source: PatternSource, user: str = "analyst", **kwargs: Any) -> None:
        self.source, self.user = source, user
        self.result: Any = None
        self._syncing = False
        self.template = w.Dropdown(
            description="Template",
            options=[("(choose)", "")] + [(tp.title, tp.name) for tp in TEMPLATES.values()],
        )
        self.template_note = w.HTML()
        self.template.observe(lambda c: self.use_template(c["new"]) if c["new"] else None, "value")
        self.root = ConditionGroup(self._tree_changed, root=True)
        self.text = w.Textarea(
            layout=w.Layout(width="100%", height="64px"), continuous_update=False
        )
        self.text_message = w.HTML()
        t.link((self.text, "value"), (self, "rule_text"))
        self._build_preview()
        self._build_store_panel()
        self.canvas = ChartCanvas(source.history, lambda: self.provider, self.current_rule,
                                  self.set_rule)  # fmt: skip
        super().__init__(self._sections(), **kwargs)
        self.add_class("oi-app")
        self.observe(self._text_changed, "rule_text")
        self.reset()

    # -- layout ----------------------------------------------------------------------------
    def _build_preview(self) -> None:
        self.provider_select = w.Dropdown(description="Data", layout=w.Layout(width="240px"))
        self.provider_select.observe(self._on_provider_select, "value")
        self.universe = w.SelectMultiple(
            description="Universe", rows=5, layout=w.Layout(width="auto", min_width="220px")
        )
        self.preview_button = w.Button(
            description="Preview matches", button_style="primary", icon="search"
        )
        self.preview_button.on_click(lambda _b: self.preview())
        self.progress_bar = w.FloatProgress(0.0, min=0.0, max=1.0, description="")
        t.dlink((self, "progress"), (self.progress_bar, "value"))
        self.status = w.HTML()
        self.results = w.HTML()
        self.why_symbol = w.Dropdown(description="Why not", layout=w.Layout(width="240px"))
        self.why_symbol.observe(lambda _c: self._show_why_not(), "value")
        self.why_not = w.HTML()

    def _build_store_panel(self) -> None:
        self.id_input = w.Text(description="Pattern id", placeholder="rsi_dip")
        self.name_input = w.Text(description="Name", placeholder="RSI dip")
        self.note_input = w.Text(description="Note", placeholder="what changed")
        self.save_button = w.Button(description="Save version", icon="save")
        self.save_button.on_click(lambda _b: self.save())
        self.pattern_select = w.Dropdown(description="Pattern")
        self.version_select = w.Dropdown(description="Version")
        self.pattern_select.observe(lambda _c: self._show_history(), "value")
        self.load_button = w.Button(description="Load", icon="folder-open")
        self.load_button.on_click(lambda _b: self.load(self.version_select.value or ""))
        self.diff_a, self.diff_b = w.Dropdown(description="Diff"), w.Dropdown(description="with")
        self.diff_button = w.Button(description="Diff", icon="exchange")
        self.diff_button.on_click(lambda _b: self.show_diff())
        self.store_message, self.history, self.diff_view = w.HTML(), w.HTML(), w.HTML()

    def _sections(self) -> list[w.Widget]:
        wrap = w.Layout(flex_flow="row wrap", align_items="center")
        h = lambda text: w.HTML(f"<h4>{html.escape(text)}</h4>")  # noqa: E731
        return [
            w.HTML(panels.STYLE + STYLE),
            w.HBox([self.template], layout=wrap),
            self.template_note,
            h("Conditions"),
            self.root,
            h("Text form"),
            self.text,
            self.text_message,
            h("Draw on a chart (trendline, level, channel)"),
            self.canvas,
            h("Preview (newest bar)"),
            w.HBox([self.provider_select, self.universe, self.preview_button], layout=wrap),
            self.progress_bar,
            self.status,
            self.results,
            self.why_symbol,
            self.why_not,
            h("Save, load, versions"),
            w.HBox(
                [self.id_input, self.name_input, self.note_input, self.save_button], layout=wrap
            ),
            self.store_message,
            w.HBox([self.pattern_select, self.version_select, self.load_button], layout=wrap),
            self.history,
            w.HBox([self.diff_a, self.diff_b, self.diff_button], layout=wrap),
            self.diff_view,
        ]

    # -- state -----------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to a single default condition, no preview, menus re-read from the source."""
        self.result = None
        self.template.value = ""
        self.set_rule(parse_rule(DEFAULT_TEXT))
        self.results.value = self.why_not.value = self.status.value = ""
        self.store_message.value = self.diff_view.value = ""
        self.matches, self.state, self.message, self.progress = [], "idle", "", 0.0
        self.pattern_id = self.pin = ""
        try:
            providers = self.source.providers()
        except OptionsIntelError as exc:
            providers, self.message = [], str(exc)
        self.provider_select.options = providers
        self.provider_select.value = providers[0] if providers else None
        self._refresh_patterns()

    def _on_provider_select(self, change: dict[str, Any]) -> None:
        self.provider = change["new"] or ""
        self.universe.options = self.source.symbols(self.provider) if self.provider else []
        self.canvas.set_symbols(self.universe.options)

    def set_rule(self, rule: Rule) -> None:
        """Show ``rule`` in the rows and the text form."""
        self._syncing = True
        try:
            root = editor_for(rule.condition, self._tree_changed, root=True)
            if not isinstance(root, ConditionGroup):
                group = ConditionGroup(self._tree_changed, root=True)
                group.append(root, notify=False)
                root = group
            old, self.root = self.root, root
            # swap the rows in place: what the app was given around them (the viewer's page
            # CSS and the navigation, ``theme.apply_app``) stays
            kids = self.children  # type: ignore[has-type]  # a traitlet mypy cannot see
            self.children = [root if c is old else c for c in kids]
            self.rule_text = print_rule(rule)
        finally:
            self._syncing = False
        self._tree_changed()

    def add_condition(self, group: ConditionGroup | None = None) -> ConditionRow:
        """Add a default condition row to ``group`` (the root when None) and return it."""
        row = ConditionRow(self._tree_changed)
        (group or self.root).append(row)
        return row

    def use_template(self, name: str) -> None:
        """Start from template ``name``."""
        tpl = TEMPLATES[name]
        self.set_rule(tpl.rule())
        self.template_note.value = f"<p><i>{html.escape(tpl.explanation)}</i></p>"

    # -- validation and the two-way sync --------------------------------------------------
    def current_rule(self) -> Rule | None:
        """The rule the rows describe, or None when it is not valid (see ``errors``)."""
        editors: list[tuple[str, Any]] = []
        try:
            node = _assemble(self.root, "condition", editors)
            rule = validate_rule({"schema_version": 1, "condition": node})
        except _EditorError as exc:
            self._show_errors(editors, exc.errors, exc.editor)
            return None
        except RuleValidationError as exc:
            self._show_errors(editors, exc.errors, None)
            return None
        self._show_errors(editors, [], None)
        return rule

    def _show_errors(
        self, editors: list[tuple[str, Any]], errors: list[tuple[str, str]], at: Any
    ) -> None:
        for _, editor in editors:
            editor.show_error("")
        for path, msg in errors:
            target = at or _owner(editors, path)
            where = f"{path}: " if path.startswith("line ") else ""  # a text row's syntax error
            (target or self.root).show_error(where + msg)
        self.errors, self.valid = [list(e) for e in errors], not errors

    def _tree_changed(self) -> None:
        if self._syncing:
            return
        rule = self.current_rule()
        if rule is not None:
            self._syncing = True
            try:
                self.rule_text = print_rule(rule)
                self.text_message.value = ""
            finally:
                self._syncing = False

    def _text_changed(self, change: dict[str, Any]) -> None:
        if self._syncing:
            return
        try:
            rule = parse_rule(change["new"])
        except RuleValidationError as exc:
            self.valid, self.errors = False, [list(e) for e in exc.errors]
            self.text_message.value = panels.message("error", str(exc))
            return
        self.text_message.value = ""
        self.set_rule(rule)

    # -- preview ---------------------------------------------------------------------------
    def preview(self) -> None:
        """Evaluate the rule over the chosen universe at the newest bar, with progress."""
        rule = self.current_rule()
        if rule is None or not self.provider:
            self._status(
                "error",
                "Fix the rule first."
                if rule is None
                else "No daily bars in the store: run `optionsintel up` first.",
            )
            return
        self._status("running", f"Evaluating on {self.provider} data ...")
        symbols = list(self.universe.value) or None
        try:
            ev = self.source.evaluate(
                rule, provider=self.provider, symbols=symbols, progress=self._progress
            )
        except OptionsIntelError as exc:
            self._status("error", str(exc))
            return
        self.result = ev.result
        self.matches = [str(s) for s in ev.result.matching_symbols()]
        note = f" No stored data for: {', '.join(ev.data.empty)}." if ev.data.empty else ""
        self._status("ok", f"{len(self.matches)} matches (data: {ev.provider}).{note}")
        self.results.value = matches_html(ev.result, ev.provider)
        self.why_symbol.options = [str(s) for s in ev.result.columns]
        self._show_why_not()

    def _progress(self, fraction: float, what: str) -> None:
        self.progress = float(fraction)
        self.status.value = panels.message("info", what)

    def _status(self, state: str, text: str) -> None:
        self.state, self.message = state, text
        kind = {"error": "error", "ok": "info", "running": "info"}.get(state, "info")
        self.status.value = panels.message(kind, text)
        if state == "ok":
            self.progress = 1.0

    def _show_why_not(self) -> None:
        symbol = self.why_symbol.value
        if self.result is None or not symbol:
            self.why_not.value = ""
            return
        self.why_not.value = why_not_html(symbol, self.result.why_not(symbol))

    # -- save / load / versions ------------------------------------------------------------
    def save(self) -> None:
        """Save the rule as a new version of the pattern id typed in."""
        rule = self.current_rule()
        if rule is None:
            self.store_message.value = panels.message("error", "Fix the rule before saving.")
            return
        try:
            saved = self.source.save(
                self.id_input.value.strip(),
                rule,
                user=self.user,
                name=self.name_input.value.strip() or None,
                note=self.note_input.value.strip() or None,
            )
        except OptionsIntelError as exc:
            self.store_message.value = panels.message("error", str(exc))
            return
        v = saved.version
        self.pattern_id, self.pin = v.pattern_id, v.pin
        text = f"Saved {v.pin}." if saved.created else f"Unchanged: same rule as {v.pin}."
        self.store_message.value = panels.message("info", text)
        self._refresh_patterns(v.pattern_id)

    def load(self, pin: str) -> None:
        """Load the version ``pattern_id@version`` into the builder."""
        try:
            version, rule = self.source.load(pin)
        except OptionsIntelError as exc:
            self.store_message.value = panels.message("error", str(exc))
            return
        self.set_rule(rule)
        self.pattern_id, self.pin = version.pattern_id, version.pin
        self.id_input.value = version.pattern_id
        self.store_message.value = panels.message("info", f"Loaded {version.pin}.")

    def show_diff(self) -> None:
        """Show the diff of the two versions chosen."""
        pid, a, b = self.pattern_select.value, self.diff_a.value, self.diff_b.value
        if not pid or a is None or b is None:
            return
        self.diff_view.value = diff_html(self.source.diff(pid, a, b))

    def _refresh_patterns(self, select: str | None = None) -> None:
        heads = self.source.patterns()
        self.pattern_select.options = [(f"{h.name} ({h.pattern_id})", h.pattern_id) for h in heads]
        if select:
            self.pattern_select.value = select
        self._show_history()

    def _show_history(self) -> None:
        pid = self.pattern_select.value
        versions = self.source.versions(pid) if pid else []
        pins = [(f"v{v.version} by {v.created_by}", v.pin) for v in reversed(versions)]
        self.version_select.options = pins
        numbers = [v.version for v in reversed(versions)]
        self.diff_a.options, self.diff_b.options = numbers[1:] + numbers[:1], numbers
        self.history.value = history_html(versions) if versions else ""


class _EditorError(Exception):
    def __init__(self, editor: Any, errors: list[tuple[str, str]]) -> None:
        self.editor, self.errors = editor, errors


def _assemble(editor: Any, path: str, out: list[tuple[str, Any]]) -> dict[str, Any]:
    """The JSON of ``editor`` at ``path``, recording each editor's path in ``out``."""
    out.append((path, editor))
    if isinstance(editor, ConditionGroup):
        if not editor.members:
            raise _EditorError(editor, [(path, "this group is empty: add a condition")])
        if len(editor.members) == 1:
            return _assemble(editor.members[0], path, out)
        nodes = [_assemble(m, f"{path}.conditions[{i}]", out) for i, m in enumerate(editor.members)]
        return {"kind": editor.join.value, "conditions": nodes}
    if isinstance(editor, TextRow):
        try:
            return editor.node()
        except RuleValidationError as exc:
            raise _EditorError(editor, exc.errors) from None
    return editor.node()


def _owner(editors: list[tuple[str, Any]], path: str) -> Any:
    """The editor whose path is the longest prefix of ``path`` (rows before groups)."""
    best, size = None, -1
    for p, editor in editors:
        covers = path == p or path.startswith((p + ".", p + "["))
        if covers and (
            len(p) > size or (len(p) == size and not isinstance(editor, ConditionGroup))
        ):
            best, size = editor, len(p)
    return best


def build_pattern_builder(store: Store | None = None, user: str = "analyst") -> PatternBuilder:
    """Build the pattern builder on ``store`` (the configured store when None)."""
    if store is None:
        from optionsintel.store import get_store

        store = get_store()
    prefs = theme.session(store)[1]  # the viewer's underlying, numbers, colours
    return theme.apply_app(PatternBuilder(pattern_source(store), user=user), prefs)
