"""The analytics report's Technical and Fundamental tabs (built when first opened).

Technical: one symbol's candlesticks (its provider named) with the chosen indicators and
the detected chart patterns and trendlines overlaid, the detections explained in a list,
and the :class:`~optionsintel.ui.report_backtest.BacktestPanel`. Fundamental: the symbol's
latest reported fundamentals against its sector peers
(:func:`~optionsintel.ui.report_data.fundamental_view`) with the anomaly label and its
explanation. Data comes from injected callables, so tests give their own.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as w
import pandas as pd
import traitlets as t

from optionsintel import geometry as geo
from optionsintel.errors import OptionsIntelError
from optionsintel.ui import panels
from optionsintel.ui.chart_figures import INDICATORS, candle_figure, detect_for_chart
from optionsintel.ui.plotly_grid import PlotlyGrid
from optionsintel.ui.report_backtest import BacktestPanel
from optionsintel.ui.report_data import FundamentalView

BarsFor = Callable[[str], tuple[pd.DataFrame, str]]
TECH_BARS = 504
"""Bars charted and scanned (two years of daily bars)."""


def _link_symbol(owner: Any, select: w.Dropdown) -> None:
    """Keep ``owner.symbol`` ('' for none) and the dropdown's value (None for none) equal."""
    select.observe(lambda c: setattr(owner, "symbol", c["new"] or ""), "value")

    def follow(change: dict[str, Any]) -> None:
        if not change["new"] or change["new"] in (select.options or ()):
            select.value = change["new"] or None

    owner.observe(follow, "symbol")


class TechnicalTab(w.VBox):
    """Candlesticks, indicators, detected patterns, and the backtest panel.

    Traits: ``symbol``, ``indicators`` (names of :data:`~optionsintel.ui.chart_figures.INDICATORS`),
    ``show_patterns``, ``message``, ``detections`` (one explanation per detection shown).
    """

    symbol = t.Unicode("")
    indicators = t.Tuple(("SMA(20)", "SMA(50)", "Volume"))
    show_patterns = t.Bool(True)
    message = t.Unicode("")
    detections: t.List[Any] = t.List()

    def __init__(self, bars_for: BarsFor | None, **kwargs: Any) -> None:
        self._bars_for = bars_for
        self._cache: dict[str, tuple[pd.DataFrame, str, pd.DataFrame]] = {}
        self.symbol_select = w.Dropdown(description="Symbol", layout=w.Layout(width="220px"))
        self.indicator_select = w.SelectMultiple(options=list(INDICATORS), rows=3,
                                                 description="Indicators")  # fmt: skip
        self.pattern_box = w.Checkbox(True, description="Detected patterns")
        self.status, self.detail = w.HTML(), w.HTML()
        self.chart = PlotlyGrid(column_min_width="300px", layout=w.Layout(width="100%"))
        self.backtest = BacktestPanel(self._current)
        _link_symbol(self, self.symbol_select)
        t.link((self.pattern_box, "value"), (self, "show_patterns"))
        self.indicator_select.value = self.indicators
        self.indicator_select.observe(lambda c: setattr(self, "indicators", c["new"]), "value")
        self.observe(lambda _c: self.render(), ["symbol", "indicators", "show_patterns"])
        self.observe(lambda c: setattr(self.status, "value", panels.message("info", c["new"])
                                       if c["new"] else ""), "message")  # fmt: skip
        wrap = w.Layout(flex_flow="row wrap", align_items="center")
        super().__init__([w.HBox([self.symbol_select, self.indicator_select, self.pattern_box],
                                 layout=wrap), self.status, self.chart, self.detail,
                          self.backtest], **kwargs)  # fmt: skip

    def set_symbols(self, symbols: tuple[str, ...]) -> None:
        """Offer ``symbols`` (the report's); keep the current one when still offered."""
        keep = self.symbol if self.symbol in symbols else (symbols[0] if symbols else "")
        self.symbol_select.options = list(symbols)
        self.symbol_select.value = keep or None

    def _load(self, symbol: str) -> tuple[pd.DataFrame, str, pd.DataFrame]:
        if symbol not in self._cache:
            assert self._bars_for is not None
            bars, provider = self._bars_for(symbol)
            bars = bars.tail(TECH_BARS)
            self._cache[symbol] = (bars, provider, detect_for_chart(bars, symbol))
        return self._cache[symbol]

    def _current(self) -> tuple[pd.DataFrame, str, str] | None:
        if not self.symbol or self.symbol not in self._cache:
            return None
        bars, provider, _ = self._cache[self.symbol]
        return bars, self.symbol, provider

    def render(self) -> None:
        """Draw the chosen symbol's chart (bars and detections are read once per symbol)."""
        if not self.symbol or self._bars_for is None:
            self.chart.figures, self.detections = [], []
            self.message = "Generate a report with a symbol first."
            return
        try:
            bars, provider, det = self._load(self.symbol)
        except OptionsIntelError as exc:
            self.chart.figures, self.detections, self.message = [], [], str(exc)
            return
        shown = det if self.show_patterns else None
        fig = candle_figure(bars, self.symbol, indicators=list(self.indicators),
                            detected=shown, provider=provider)  # fmt: skip
        self.chart.show([fig], uirevision=f"{provider}:{self.symbol}")
        recent = det.sort_values("known_bar").tail(8) if self.show_patterns else det.iloc[0:0]
        self.detections = [d.explain() for d in geo.detections(recent)]
        items = "".join(f"<li>{html.escape(x)}</li>" for x in reversed(self.detections))
        self.detail.value = f"<ul class='oi-detections'>{items}</ul>" if items else ""
        self.message = (f"{self.symbol}: {len(bars)} daily bars from {provider}; {len(det)} "
                        f"pattern detection(s), newest {len(recent)} drawn.")  # fmt: skip


def fundamental_html(view: FundamentalView) -> str:
    """The comparison table and the anomaly card (every value escaped)."""
    f = panels.fmt_number
    rows = "".join(
        f"<tr><td>{html.escape(str(label))}</td><td>{f(r['value'], 2)}</td>"
        f"<td>{f(r['sector_median'], 2)}</td><td>{f(r['sector_rank_pct'], 0, '%')}</td>"
        f"<td>{f(r['universe_median'], 2)}</td></tr>"
        for label, r in view.table.iterrows()
    )
    peers = ", ".join(view.peers) or "none reported"
    head = (f"<p><b>{html.escape(view.symbol)}</b> · sector {html.escape(view.sector or '–')} "
            f"· peers {html.escape(peers)} · report of {pd.Timestamp(view.as_of):%Y-%m-%d} · "
            f"provider {html.escape(view.provider)}</p>")  # fmt: skip
    table = ("<table class='oi-table'><thead><tr><th>Field</th><th>Value</th><th>Sector "
             "median</th><th>Above % of peers</th><th>Universe median</th></tr></thead>"
             f"<tbody>{rows}</tbody></table>")  # fmt: skip
    return head + table + anomaly_html(view.anomaly)


def anomaly_html(a: dict[str, Any]) -> str:
    """The anomaly label and its explanation (nearest cluster, features that drive it)."""
    src = html.escape(str(a.get("source", "")))
    if "is_anomaly" not in a:
        return f"<p><b>Anomaly label</b>: none ({src}: {html.escape(str(a.get('reason')))})</p>"
    label = "ANOMALY" if a["is_anomaly"] else f"normal (cluster {a['label']})"
    ex = a.get("explanation") or {}
    feats = ", ".join(f"{html.escape(str(x['feature']))} (z {x['z']:+.2f}, "
                      f"{100 * x['share']:.0f} % of the distance)"
                      for x in ex.get("top_features", []))  # fmt: skip
    why = (f" Nearest cluster {ex.get('nearest_cluster')} at distance "
           f"{ex.get('distance_to_cluster', float('nan')):.2f}; driven by {feats}."
           if ex else " It lies inside a cluster of similar symbols.")  # fmt: skip
    return (f"<p><b>Anomaly label</b>: <span class='badge PIVOT'>{label}</span> score "
            f"{a['score']:.2f} ({src}, {html.escape(str(a['model']))}).{why}</p>")  # fmt: skip


class FundamentalTab(w.VBox):
    """The symbol's fundamentals against its sector peers (traits ``symbol``, ``message``)."""

    symbol = t.Unicode("")
    message = t.Unicode("")

    def __init__(self, view_for: Callable[[str], FundamentalView] | None, **kwargs: Any) -> None:
        self._view_for = view_for
        self.view: FundamentalView | None = None
        self.symbol_select = w.Dropdown(description="Symbol", layout=w.Layout(width="220px"))
        self.body = w.HTML()
        _link_symbol(self, self.symbol_select)
        self.observe(lambda _c: self.render(), "symbol")
        super().__init__([self.symbol_select, self.body], **kwargs)

    def set_symbols(self, symbols: tuple[str, ...]) -> None:
        """Offer ``symbols``; keep the current one when still offered."""
        keep = self.symbol if self.symbol in symbols else (symbols[0] if symbols else "")
        self.symbol_select.options = list(symbols)
        self.symbol_select.value = keep or None

    def render(self) -> None:
        """Read and show the comparison for the chosen symbol."""
        self.view = None
        if not self.symbol or self._view_for is None:
            self.message = "Generate a report with a symbol first."
        else:
            try:
                self.view = self._view_for(self.symbol)
                self.message = ""
            except OptionsIntelError as exc:
                self.message = str(exc)
        self.body.value = (fundamental_html(self.view) if self.view is not None
                           else panels.message("empty", self.message))  # fmt: skip
