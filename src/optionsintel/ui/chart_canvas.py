"""The pattern builder's drawing canvas: draw a trendline, a level or a channel, get a condition.

A candlestick chart of one symbol's daily bars (one provider, named on the chart) with the
detected chart patterns drawn on it, in :class:`DrawingChart` (an anywidget with plotly's
draw-line and erase tools). Each line the user draws or moves comes back as a shape
(``relayout``), becomes a :class:`~optionsintel.ui.drawing.Drawing`, and with a chosen
relation ("close crosses above this line", "close is inside the channel") a validated
condition that :meth:`ChartCanvas.add_to_rule` ANDs into the builder's rule, where the
text form shows it as ``LINE(t0, p0, t1, p1)``.

Public interface (traitlets): ``symbol``, ``drawings`` (menu labels), ``condition_text``
(the condition the chosen drawing and relation make), ``message``.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anywidget
import ipywidgets as w
import pandas as pd
import traitlets as t
from plotly.offline import get_plotlyjs_version

from optionsintel.errors import OptionsIntelError
from optionsintel.rules import Rule, print_rule, validate_rule
from optionsintel.rules.text import print_condition
from optionsintel.ui import panels, theme
from optionsintel.ui.chart_figures import candle_figure, detect_for_chart
from optionsintel.ui.drawing import (
    RELATIONS,
    Drawing,
    DrawingError,
    choices,
    condition_for,
    drawings_from_shapes,
)
from optionsintel.ui.plotly_grid import _plotly_js, figure_json

CHART_BARS = 504
"""Bars shown (two years of daily bars); detections run on the same bars."""


class DrawingChart(anywidget.AnyWidget):
    """One plotly chart the user draws lines on (see ``plotly_canvas.js``).

    Traits: ``figure`` (a :func:`~optionsintel.ui.plotly_grid.figure_json` dict),
    ``shapes`` (the user's shapes, synced both ways) and ``dragmode`` (``drawline``,
    ``pan`` or ``zoom``).
    """

    _esm = Path(__file__).with_name("plotly_canvas.js")
    _plotly_js = t.Unicode().tag(sync=True)
    _plotly_version = t.Unicode().tag(sync=True)
    figure = t.Dict().tag(sync=True)
    shapes = t.List(t.Dict()).tag(sync=True)
    dragmode = t.Unicode("drawline").tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(_plotly_js=_plotly_js(), _plotly_version=get_plotlyjs_version(),
                         **kwargs)  # fmt: skip


def and_with(rule: Rule | None, condition: dict[str, Any]) -> Rule:
    """``rule AND condition`` (the condition alone when there is no valid rule)."""
    if rule is None:
        return validate_rule({"schema_version": 1, "condition": condition})
    old = rule.condition.model_dump(mode="json")
    members = old["conditions"] if old["kind"] == "and" else [old]
    return validate_rule(
        {"schema_version": 1, "condition": {"kind": "and", "conditions": [*members, condition]}}
    )


class ChartCanvas(w.VBox):
    """Drawing canvas composite (see the module docstring)."""

    symbol = t.Unicode("")
    drawings: t.List[Any] = t.List()
    condition_text = t.Unicode("")
    message = t.Unicode("")

    def __init__(
        self,
        history: Callable[[str, str], pd.DataFrame] | None,
        provider: Callable[[], str],
        current_rule: Callable[[], Rule | None],
        set_rule: Callable[[Rule], None],
        **kwargs: Any,
    ) -> None:
        self._history, self._provider = history, provider
        self._current_rule, self._set_rule = current_rule, set_rule
        self._drawn: list[Drawing] = []
        self.bars: pd.DataFrame | None = None
        self.detected: pd.DataFrame | None = None
        self.chart: DrawingChart | None = None  # created on the first "Show chart"
        self.symbol_select = w.Dropdown(description="Symbol", layout=w.Layout(width="240px"))
        self.show_button = w.Button(description="Show chart", icon="line-chart")
        self.show_button.on_click(lambda _b: self.show())
        tools = [("Draw line", "drawline"), ("Pan", "pan"), ("Zoom", "zoom")]
        self.tool = w.ToggleButtons(options=tools, style={"button_width": "80px"})
        self.clear_button = w.Button(description="Clear drawings", icon="eraser")
        self.clear_button.on_click(lambda _b: self.set_shapes([]))
        self.drawing_select = w.Dropdown(description="Drawing", layout=w.Layout(width="auto"))
        self.relation = w.Dropdown(description="Close", layout=w.Layout(width="240px"))
        self.add_button = w.Button(description="Add to rule", icon="plus", button_style="success")
        self.add_button.on_click(lambda _b: self.add_to_rule())
        self.status, self.preview, self.chart_box = w.HTML(), w.HTML(), w.VBox()
        self.drawing_select.observe(lambda _c: self._relations(), "value")
        self.relation.observe(lambda _c: self._preview(), "value")
        self.observe(self._on_message, "message")
        wrap = w.Layout(flex_flow="row wrap", align_items="center")
        super().__init__([
            w.HBox([self.symbol_select, self.show_button, self.tool, self.clear_button],
                   layout=wrap),
            self.status, self.chart_box,
            w.HBox([self.drawing_select, self.relation, self.add_button], layout=wrap),
            self.preview,
        ], **kwargs)  # fmt: skip
        self.add_class("oi-canvas")
        self._relations()

    def set_symbols(self, symbols: list[str] | tuple[str, ...]) -> None:
        """The symbols the chart may show (the builder's universe for its provider)."""
        keep = self.symbol_select.value
        self.symbol_select.options = list(symbols)
        first = theme.pick_default(symbols) or (symbols[0] if symbols else None)
        self.symbol_select.value = keep if keep in symbols else first  # the viewer's default

    def show(self, symbol: str | None = None) -> None:
        """Draw ``symbol``'s candlesticks (the chosen one when None) with detected patterns."""
        symbol = symbol or self.symbol_select.value or ""
        provider = self._provider()
        if not symbol or not provider or self._history is None:
            self.message = "Choose a data provider and a symbol first."
            return
        try:
            bars = self._history(provider, symbol).tail(CHART_BARS)
        except OptionsIntelError as exc:
            self.message = str(exc)
            return
        if len(bars) < 2:
            self.message = f"{symbol} has fewer than two daily bars from {provider}."
            return
        self.bars, self.symbol = bars, symbol
        self.detected = detect_for_chart(bars, symbol)
        fig = candle_figure(bars, symbol, detected=self.detected, provider=provider)
        fig.update_layout(height=420, showlegend=False)
        if self.chart is None:
            self.chart = DrawingChart(layout=w.Layout(width="100%"))
            self.chart.observe(lambda c: self._shapes_changed(c["new"]), "shapes")
            t.dlink((self.tool, "value"), (self.chart, "dragmode"))
            self.chart_box.children = [self.chart]
        self.chart.shapes = []
        self.chart.figure = figure_json(fig, uirevision=f"{provider}:{symbol}")
        n = len(self.detected)
        self.message = (f"{symbol}: {len(bars)} bars from {provider}; {n} pattern detection(s) "
                        "drawn dashed. Draw a line with the mouse (the line tool).")  # fmt: skip

    def set_shapes(self, shapes: list[dict[str, Any]]) -> None:
        """Replace the user's shapes (as a relayout from the browser would)."""
        if self.chart is not None:
            self.chart.shapes = list(shapes)  # the observer updates the menus
        else:
            self._shapes_changed(list(shapes))

    def _shapes_changed(self, shapes: list[dict[str, Any]]) -> None:
        self._drawn, problems = drawings_from_shapes(shapes)
        options = choices(self._drawn)
        keep = self.drawing_select.value
        values = [",".join(map(str, ix)) for _, ix in options]
        self.drawing_select.options = list(
            zip([label for label, _ in options], values, strict=True)
        )
        newest = next((v for v in reversed(values) if "," not in v), None)  # the last line drawn
        self.drawing_select.value = keep if keep in values else newest
        self.drawings = [label for label, _ in options]
        self.message = " ".join(problems)
        self._relations()

    def _chosen(self) -> list[Drawing]:
        value = self.drawing_select.value
        return [self._drawn[int(i)] for i in value.split(",")] if value else []

    def _relations(self) -> None:
        chosen = self._chosen()
        kind = "channel" if len(chosen) == 2 else chosen[0].kind if chosen else "line"
        keep = self.relation.value
        self.relation.options = list(RELATIONS[kind])
        self.relation.value = keep if keep in RELATIONS[kind] else RELATIONS[kind][0]
        self.add_button.disabled = not chosen
        self._preview()

    def _preview(self) -> None:
        chosen, relation = self._chosen(), self.relation.value
        if not chosen or not relation:
            self.condition_text = ""
            self.preview.value = "<p><i>Draw a line on the chart to make a condition.</i></p>"
            return
        try:
            cond = condition_for(chosen, relation)
        except DrawingError as exc:
            self.condition_text, self.preview.value = "", panels.message("error", str(exc))
            return
        node = validate_rule({"schema_version": 1, "condition": cond}).condition
        self.condition_text = print_condition(node)
        self.preview.value = f"<p>Condition: <code>{html.escape(self.condition_text)}</code></p>"

    def add_to_rule(self) -> Rule | None:
        """AND the previewed condition into the builder's rule; return the new rule."""
        chosen, relation = self._chosen(), self.relation.value
        if not chosen or not relation:
            self.message = "Draw a line and choose it first."
            return None
        try:
            rule = and_with(self._current_rule(), condition_for(chosen, relation))
        except (DrawingError, OptionsIntelError) as exc:
            self.message = str(exc)
            return None
        self._set_rule(rule)
        self.message = f"Added: {self.condition_text}. The rule is now: {print_rule(rule)}"
        return rule

    def _on_message(self, change: dict[str, Any]) -> None:
        self.status.value = panels.message("info", change["new"]) if change["new"] else ""
