"""Condition editors of the pattern builder: operand pickers, condition rows, AND/OR groups.

Each editor turns its widgets into the JSON of one rule node (:meth:`node`) and back
(:func:`editor_for`). Editors never validate: the builder validates the assembled rule
with :func:`optionsintel.rules.validate_rule` and hands each
:class:`~optionsintel.errors.RuleValidationError` message to the editor whose path is the
longest prefix of the error's path (:meth:`show_error`). A condition the rows cannot show
(``NOT``, ``IN``, ``TIME BETWEEN``, ``PCT_CHANGE`` ...) is kept in a text row that holds
its text form, parsed like any rule text (never executed).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as w

from optionsintel.errors import RuleValidationError
from optionsintel.rules import SIGNAL_TYPES, catalogue_rows, parse_rule
from optionsintel.rules.text import print_condition

CATALOGUE_ROWS: dict[str, dict[str, Any]] = {str(r["name"]): r for r in catalogue_rows()}
OPERAND_OPTIONS = [(f"{r['token']} ({r['unit']})", name) for name, r in CATALOGUE_ROWS.items()]
SPECIAL = [("SIGNAL", "__signal"), ("ANOMALY", "__anomaly")]
OPERATORS = [
    "<",
    "<=",
    ">",
    ">=",
    "==",
    "!=",
    "crosses above",
    "crosses below",
    "between",
    "rising for",
    "falling for",
]
_SMALL = w.Layout(width="64px")
Changed = Callable[[], None]


class OperandEditor(w.HBox):
    """A catalogue operand: token dropdown, its parameters, and bars ago (``[n]``)."""

    def __init__(self, on_change: Changed, name: str = "close", with_special: bool = False):
        self._on_change = on_change
        options = OPERAND_OPTIONS + (SPECIAL if with_special else [])
        self.name = w.Dropdown(options=options, value=name, layout=w.Layout(width="170px"))
        self.offset = w.IntText(
            0,
            description="bars ago",
            layout=w.Layout(width="146px"),
            style={"description_width": "66px"},
        )
        self.params: dict[str, w.ValueWidget] = {}
        self.name.observe(self._on_name, "value")
        self.offset.observe(lambda _c: on_change(), "value")
        super().__init__(layout=w.Layout(flex_flow="row wrap", align_items="center"))
        self._rebuild()

    def _on_name(self, _change: Any) -> None:
        self._rebuild()

    def _rebuild(self, values: dict[str, Any] | None = None) -> None:
        spec = CATALOGUE_ROWS.get(self.name.value)
        self.params = {}
        for p in spec["params"] if spec else []:
            value = (values or {}).get(p["name"], p["default"])
            box = w.IntText if p["kind"] == "int" else w.FloatText
            widget = box(
                value,
                description=p["name"],
                layout=w.Layout(width="150px"),
                style={"description_width": "70px"},
                tooltip=p["doc"],
            )
            widget.observe(lambda _c: self._on_change(), "value")
            self.params[p["name"]] = widget
        extra = [self.offset] if spec else []
        self.children = [self.name, *self.params.values(), *extra]
        self._on_change()

    def node(self) -> dict[str, Any]:
        """The operand's JSON (``series``)."""
        params = {k: v.value for k, v in self.params.items()}
        return {
            "kind": "series",
            "name": self.name.value,
            "params": params,
            "offset": self.offset.value,
        }

    def load(self, node: dict[str, Any]) -> None:
        """Show a ``series`` node."""
        with self.hold_trait_notifications():
            # only our handler: unobserve_all also dropped the Dropdown's own value -> index
            # sync, so the page kept showing 'close' for a loaded SMA(20)
            self.name.unobserve(self._on_name, "value")
            self.name.value = node["name"]
            self.name.observe(self._on_name, "value")
            self.offset.value = node.get("offset", 0)
            self._rebuild(node.get("params", {}))


class ConditionRow(w.VBox):
    """One condition: operand, operator, then a value or a second operand (or bars)."""

    kind = "row"

    def __init__(self, on_change: Changed, node: dict[str, Any] | None = None) -> None:
        self._on_change = on_change
        self._quiet = True
        self.left = OperandEditor(self._changed, with_special=True)
        self.op = w.Dropdown(options=OPERATORS, value=">", layout=w.Layout(width="130px"))
        self.mode = w.ToggleButtons(
            options=["value", "operand"], value="value", style={"button_width": "72px"}
        )
        self.value = w.FloatText(0.0, layout=w.Layout(width="110px"))
        self.high = w.FloatText(
            0.0,
            description="and",
            layout=w.Layout(width="150px"),
            style={"description_width": "30px"},
        )
        self.bars = w.IntText(
            1,
            description="bars",
            layout=w.Layout(width="120px"),
            style={"description_width": "40px"},
        )
        self.right = OperandEditor(self._changed)
        self.signal = w.Dropdown(options=["ANY", *SIGNAL_TYPES], layout=w.Layout(width="170px"))
        self.confidence = w.FloatText(
            0.0,
            description="min conf.",
            layout=w.Layout(width="150px"),
            style={"description_width": "64px"},
        )
        self.controls = w.HBox(layout=w.Layout(flex_flow="row wrap", align_items="center"))
        self.message = w.HTML()
        for widget in (
            self.op,
            self.mode,
            self.value,
            self.high,
            self.bars,
            self.signal,
            self.confidence,
        ):
            widget.observe(lambda _c: self._changed(), "value")
        super().__init__(
            [self.controls, self.message],
            layout=w.Layout(border="1px solid #ddd", padding="4px", margin="2px 0"),
        )
        if node:
            self.load(node)
        self._quiet = False
        self._layout()

    def _changed(self) -> None:
        if not getattr(self, "_quiet", True):
            self._layout()
            self._on_change()

    def _layout(self) -> None:
        name, op = self.left.name.value, self.op.value
        if name == "__signal":
            rest: list[w.Widget] = [self.signal, self.confidence]
        elif name == "__anomaly":
            rest = []
        elif op == "between":
            rest = [self.op, self.value, self.high]
        elif op in ("rising for", "falling for"):
            rest = [self.op, self.bars]
        else:
            target = self.value if self.mode.value == "value" else self.right
            rest = [self.op, self.mode, target] + ([self.bars] if "crosses" in op else [])
        self.bars.description = "within" if "crosses" in op else "bars"
        left = [self.left.name] if name.startswith("__") else [self.left]
        self.controls.children = [*left, *rest]

    def node(self) -> dict[str, Any]:
        """The condition's JSON."""
        name, op = self.left.name.value, self.op.value
        if name == "__signal":
            return {
                "kind": "signal",
                "type": self.signal.value,
                "min_confidence": self.confidence.value,
            }
        if name == "__anomaly":
            return {"kind": "anomaly"}
        left = self.left.node()
        if op == "between":
            return {
                "kind": "between",
                "operand": left,
                "low": _number(self.value.value),
                "high": _number(self.high.value),
            }
        if op in ("rising for", "falling for"):
            return {
                "kind": "trend",
                "operand": left,
                "direction": op.split()[0],
                "bars": self.bars.value,
            }
        right = _number(self.value.value) if self.mode.value == "value" else self.right.node()
        if "crosses" in op:
            return {
                "kind": "cross",
                "left": left,
                "direction": op.split()[1],
                "right": right,
                "within": self.bars.value,
            }
        return {"kind": "compare", "left": left, "op": op, "right": right}

    def load(self, node: dict[str, Any]) -> None:
        """Show a condition node (one the rows can show, see :func:`row_can_show`)."""
        kind = node["kind"]
        if kind in ("signal", "anomaly"):
            self.left.name.value = f"__{kind}"
            if kind == "signal":
                self.signal.value, self.confidence.value = node["type"], node["min_confidence"]
            return
        self.left.load(node.get("left") or node["operand"])
        if kind == "between":
            self.op.value = "between"
            self.value.value, self.high.value = node["low"]["value"], node["high"]["value"]
        elif kind == "trend":
            self.op.value, self.bars.value = f"{node['direction']} for", node["bars"]
        else:
            right = node["right"]
            self.op.value = f"crosses {node['direction']}" if kind == "cross" else node["op"]
            if kind == "cross":
                self.bars.value = node["within"]
            if right["kind"] == "number":
                self.mode.value, self.value.value = "value", right["value"]
            else:
                self.mode.value = "operand"
                self.right.load(right)

    def show_error(self, text: str) -> None:
        """Show a validation message under the row ('' clears it)."""
        self.message.value = (
            f'<span class="oi-row-error">{html.escape(text)}</span>' if text else ""
        )


class TextRow(w.VBox):
    """A condition kept as text (for what the rows cannot show), parsed on each change."""

    kind = "text"

    def __init__(self, on_change: Changed, text: str = "close > 0") -> None:
        self.text = w.Text(text, layout=w.Layout(width="100%"), continuous_update=False)
        self.text.observe(lambda _c: on_change(), "value")
        self.message = w.HTML()
        self._error = ""
        super().__init__(
            [self.text, self.message],
            layout=w.Layout(border="1px dashed #bbb", padding="4px", margin="2px 0"),
        )

    def node(self) -> dict[str, Any]:
        """The parsed condition's JSON; a syntax error raises :class:`RuleValidationError`."""
        return parse_rule(self.text.value).condition.model_dump(mode="json")

    def show_error(self, text: str) -> None:
        """Show a validation message under the row ('' clears it)."""
        self.message.value = (
            f'<span class="oi-row-error">{html.escape(text)}</span>' if text else ""
        )


class ConditionGroup(w.VBox):
    """An AND/OR group of rows and groups, with add / remove / reorder buttons."""

    kind = "group"

    def __init__(self, on_change: Changed, join: str = "and", root: bool = False) -> None:
        self._on_change = on_change
        self.join = w.ToggleButtons(
            options=[("ALL of (AND)", "and"), ("ANY of (OR)", "or")],
            value=join,
            style={"button_width": "100px"},
        )
        self.join.observe(lambda _c: on_change(), "value")
        self.add_row = w.Button(description="Condition", icon="plus", tooltip="Add a condition")
        self.add_group = w.Button(description="Group", icon="plus", tooltip="Add a nested group")
        self.add_row.on_click(lambda _b: self.append(ConditionRow(self._on_change)))
        self.add_group.on_click(lambda _b: self.append(ConditionGroup(self._on_change)))
        self.members: list[w.Widget] = []
        self.body = w.VBox(layout=w.Layout(margin="0 0 0 12px"))
        self.message = w.HTML()
        header = w.HBox(
            [self.join, self.add_row, self.add_group], layout=w.Layout(flex_flow="row wrap")
        )
        border = "none" if root else "1px solid #9ec5ea"
        super().__init__(
            [header, self.message, self.body],
            layout=w.Layout(border=border, padding="4px", margin="2px 0"),
        )

    def append(self, editor: w.Widget, notify: bool = True) -> None:
        """Add a member editor at the end."""
        self.members.append(editor)
        self._redraw()
        if notify:
            self._on_change()

    def remove(self, editor: w.Widget) -> None:
        """Remove a member editor."""
        self.members.remove(editor)
        self._redraw()
        self._on_change()

    def move(self, editor: w.Widget, step: int) -> None:
        """Move a member up (-1) or down (+1)."""
        i = self.members.index(editor)
        j = min(max(i + step, 0), len(self.members) - 1)
        self.members.insert(j, self.members.pop(i))
        self._redraw()
        self._on_change()

    def _redraw(self) -> None:
        rows = []
        for m in self.members:
            buttons = [
                w.Button(icon=i, tooltip=t, layout=w.Layout(width="34px"))
                for i, t in (
                    ("arrow-up", "Move up"),
                    ("arrow-down", "Move down"),
                    ("trash", "Remove"),
                )
            ]
            buttons[0].on_click(lambda _b, m=m: self.move(m, -1))
            buttons[1].on_click(lambda _b, m=m: self.move(m, 1))
            buttons[2].on_click(lambda _b, m=m: self.remove(m))
            m.layout.flex = "1 1 240px"  # narrow screens: the buttons wrap below the row
            m.layout.min_width = "0"
            rows.append(
                w.HBox(
                    [m, w.HBox(buttons)],
                    layout=w.Layout(flex_flow="row wrap", align_items="flex-start", width="100%"),
                )
            )
        self.body.children = rows

    def node(self) -> dict[str, Any]:
        """The group's JSON; a group of one is that member, an empty group is an error."""
        if not self.members:
            raise RuleValidationError([("", "this group is empty: add a condition or remove it")])
        nodes = [m.node() for m in self.members]
        return nodes[0] if len(nodes) == 1 else {"kind": self.join.value, "conditions": nodes}

    def show_error(self, text: str) -> None:
        """Show a validation message at the top of the group ('' clears it)."""
        self.message.value = (
            f'<span class="oi-row-error">{html.escape(text)}</span>' if text else ""
        )


def _number(value: float) -> dict[str, Any]:
    return {"kind": "number", "value": float(value)}


def row_can_show(node: Any) -> bool:
    """True when a :class:`ConditionRow` can show this condition node (a pydantic model)."""
    kind = node.kind
    if kind in ("signal", "anomaly"):
        return True
    if kind not in ("compare", "cross", "between", "trend"):
        return False
    sides = [getattr(node, f) for f in ("left", "operand") if hasattr(node, f)]
    if kind == "between":
        return sides[0].kind == "series" and node.low.kind == node.high.kind == "number"
    if kind == "trend":
        return sides[0].kind == "series"
    return node.left.kind == "series" and node.right.kind in ("series", "number")


def editor_for(node: Any, on_change: Changed, root: bool = False) -> w.Widget:
    """The editor showing a condition node (groups recurse; others become rows or text)."""
    if node.kind in ("and", "or"):
        group = ConditionGroup(on_change, node.kind, root=root)
        for child in node.conditions:
            group.append(editor_for(child, on_change), notify=False)
        return group
    if row_can_show(node):
        return ConditionRow(on_change, node.model_dump(mode="json"))
    return TextRow(on_change, print_condition(node))
