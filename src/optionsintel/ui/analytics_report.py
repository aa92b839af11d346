"""The analytics report: metrics, risk and charts of chosen symbols over a timeframe.

>>> app = build_analytics_report(get_store())   # doctest: +SKIP

Public interface (traitlets): ``symbols`` (tuple), ``timeframe`` (``1D 1W 1M 3M 1Y ALL``),
``benchmark`` (a symbol or ''), and the outcome ``state`` (``idle | running | ok |
empty | error``), ``message``, ``progress`` (0-1). :meth:`generate` (the button) runs
:func:`optionsintel.research.build_report` on prices from the injected
:class:`~optionsintel.ui.data.ReportSource` and shows cards and figures.
"""

from __future__ import annotations

import html
import logging
from typing import TYPE_CHECKING, Any

import ipywidgets as w
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import traitlets as t

from optionsintel.research import InsufficientCoverageError, Report, build_report
from optionsintel.ui import panels, theme
from optionsintel.ui.data import EMPTY_PRICES_HINT, ReportSource
from optionsintel.ui.exchange_panels import exchange_tab
from optionsintel.ui.figures import REPORT_FIGURES, report_figures
from optionsintel.ui.plotly_grid import PlotlyGrid
from optionsintel.ui.report_backtest import risk_gauges
from optionsintel.ui.report_data import full_report_source
from optionsintel.ui.report_tabs import FundamentalTab, TechnicalTab

if TYPE_CHECKING:
    from optionsintel.store import Store

log = logging.getLogger(__name__)
TIMEFRAMES = ("1D", "1W", "1M", "3M", "1Y", "ALL")
TABS = ("Statistical", "Technical", "Fundamental", "Export / import")
FIGURES = REPORT_FIGURES


class AnalyticsReport(w.VBox):
    """Voila analytics-report composite (see the module docstring)."""

    symbols = t.Tuple()
    timeframe = t.Enum(TIMEFRAMES, default_value="1Y")
    benchmark = t.Unicode("")
    state = t.Unicode("idle")
    message = t.Unicode("")
    progress = t.Float(0.0)

    def __init__(self, source: ReportSource, *, store: Store | None = None, **kwargs: Any) -> None:
        self.source = source
        self.store = store  # the export/import tab's store (None: the tab says so)
        self.exchange: w.Widget | None = None
        self.report: Report | None = None
        #: The provider each symbol's prices came from (one per symbol, never mixed).
        self.price_providers: dict[str, str] = {}
        self.symbol_select = w.SelectMultiple(
            description="Symbols", rows=6, layout=w.Layout(width="auto", min_width="220px")
        )
        self.timeframe_select = w.ToggleButtons(options=TIMEFRAMES, value="1Y",
                                                style={"button_width": "48px"})  # fmt: skip
        self.benchmark_select = w.Dropdown(description="Benchmark", options=[("none", "")])
        self.generate_button = w.Button(description="Generate report", button_style="primary",
                                        icon="play")  # fmt: skip
        self.progress_bar = w.FloatProgress(
            min=0.0, max=1.0, layout=w.Layout(width="98%", visibility="hidden")
        )
        self.progress_label = w.HTML()
        self.status, self.cards, self.gauges = w.HTML(), w.HTML(), w.HTML()
        self.charts = PlotlyGrid(column_min_width="340px", layout=w.Layout(width="100%"))
        self.technical: TechnicalTab | None = None  # built when its tab is first opened
        self.fundamental: FundamentalTab | None = None
        self.tabs = w.Tab(
            [w.VBox([self.gauges, self.cards, self.charts]), w.VBox(), w.VBox(), w.VBox()]
        )
        self.tabs.titles = TABS
        self.tabs.observe(lambda _c: self._open_tab(), "selected_index")
        controls = w.HBox([self.symbol_select,
                           w.VBox([self.timeframe_select, self.benchmark_select,
                                   self.generate_button])],
                          layout=w.Layout(flex_flow="row wrap"))  # fmt: skip
        super().__init__(children=[w.HTML(panels.STYLE + "<h2>Analytics report</h2>"), controls,
                                   self.progress_bar, self.progress_label, self.status,
                                   self.tabs], **kwargs)  # fmt: skip
        self.add_class("oi-app")
        t.link((self, "timeframe"), (self.timeframe_select, "value"))
        t.link((self, "benchmark"), (self.benchmark_select, "value"))
        self.symbol_select.observe(lambda c: setattr(self, "symbols", tuple(c["new"])), "value")
        self.observe(lambda c: setattr(self.symbol_select, "value", c["new"]), "symbols")
        self.observe(self._on_state, ["state", "message"])
        self.observe(self._on_progress, "progress")
        self.generate_button.on_click(lambda _b: self.generate())

    # -- public API --------------------------------------------------------------------
    def load(self) -> None:
        """(Re)read the list of symbols; pre-select up to three."""
        try:
            names = self.source.symbols()
        except Exception as exc:
            self._fail(exc)
            return
        if not names:
            self.state, self.message = "empty", EMPTY_PRICES_HINT
            self.generate_button.disabled = True
            return
        self.generate_button.disabled = False
        self.symbol_select.options = names
        self.benchmark_select.options = [("none", ""), *[(n, n) for n in names]]
        # keep the user's choice; otherwise start from the market (NIFTY), not from
        # whichever equities sort first
        first = theme.pick_default(names)  # the viewer's default underlying, else NIFTY
        default = (first,) if first else tuple(names[:3])
        self.symbols = tuple(s for s in self.symbols if s in names) or default
        if "NIFTY" in names and not self.benchmark:
            self.benchmark = "NIFTY"
        self.state, self.message = "idle", ""

    def reset(self) -> None:
        """Clear the report and selections, re-read the symbols."""
        self.report, self.symbols, self.benchmark, self.timeframe = None, (), "", "1Y"
        self.price_providers = {}
        self.cards.value, self.charts.figures, self.progress = "", [], 0.0
        self.gauges.value = ""
        self.load()

    def generate(self) -> Report | None:
        """Build and show the report for the selected symbols and timeframe."""
        if not self.symbols:
            self.state, self.message = "empty", "Select at least one symbol."
            return None
        self.state, self.message, self.progress = "running", "", 0.0
        self.generate_button.disabled = True
        try:
            self.report = self._build()
            self._show(self.report)
            self.state = "ok"
            self.message = " ".join(self.report.notes)
        except InsufficientCoverageError as exc:  # a refusal, with its reason
            self.report, self.cards.value, self.charts.figures = None, "", []
            self.gauges.value = ""
            self.state, self.message = "empty", str(exc)
        except Exception as exc:
            self._fail(exc)
        finally:
            self.generate_button.disabled = False
        return self.report

    # -- internals ---------------------------------------------------------------------
    def _build(self) -> Report:
        wanted = list(dict.fromkeys([*self.symbols, *([self.benchmark] if self.benchmark else [])]))
        self._step(0.02, "reading prices")
        prices = self.source.prices(wanted, timeframe=self.timeframe)
        self.price_providers = dict(prices.attrs.get("providers", {}))
        bench = prices[self.benchmark] if self.benchmark else None
        intraday = self.source.intraday(list(self.symbols)) if self.timeframe == "1D" else None
        if intraday is not None and "provider" in intraday.attrs:
            self.price_providers.update(dict.fromkeys(self.symbols, intraday.attrs["provider"]))
        return build_report(prices, list(self.symbols), self.timeframe, bench,  # type: ignore[arg-type]
                            progress=self._step, intraday_prices=intraday)  # fmt: skip

    def _step(self, fraction: float, text: str) -> None:
        self.progress = float(fraction)
        self.progress_label.value = f"<small>{html.escape(text)} ({fraction:.0%})</small>"

    def _show(self, report: Report) -> None:
        m = report.metrics
        cards = [_symbol_cards(sym, m.loc[sym], str(report.risk_level.get(sym, "")),
                               self.price_providers.get(sym, "unknown"))
                 for sym in report.symbols]  # fmt: skip
        self.cards.value = _period_html(report, self.price_providers) + "".join(cards)
        self.gauges.value = risk_gauges(report)
        built = report_figures(report)
        figs = [go.Figure(built[k]) for k in FIGURES if k in built]
        for fig in figs:
            fig.update_layout(height=320, margin={"l": 48, "r": 16, "t": 40, "b": 36},
                              template="plotly_white")  # fmt: skip
        self.charts.show(figs)
        self._open_tab()

    def _open_tab(self) -> None:
        """Build the chosen tab on first opening; show the report's symbols in it."""
        i = self.tabs.selected_index or 0
        if i == 1 and self.technical is None:
            self.technical = TechnicalTab(self.source.bars)
            self.tabs.children = [self.tabs.children[0], self.technical, *self.tabs.children[2:]]
        elif i == 2 and self.fundamental is None:
            self.fundamental = FundamentalTab(self.source.fundamentals)
            self.tabs.children = [*self.tabs.children[:2], self.fundamental, self.tabs.children[3]]
        elif i == 3 and self.exchange is None:
            self.exchange = exchange_tab(self.store)
            self.tabs.children = [*self.tabs.children[:3], self.exchange]
        tab = {1: self.technical, 2: self.fundamental}.get(i)
        if tab is not None:
            tab.set_symbols(tuple(self.report.symbols) if self.report else self.symbols)

    def _fail(self, exc: Exception) -> None:
        log.exception("analytics report failed")
        self.state, self.message = "error", f"{type(exc).__name__}: {exc}"

    def _on_state(self, _change: dict[str, Any]) -> None:
        kind = {"empty": "empty", "error": "error", "ok": "info"}.get(self.state, "")
        self.status.value = panels.message(kind, self.message) if kind else ""
        self.progress_bar.layout.visibility = "visible" if self.state == "running" else "hidden"
        if self.state != "running":
            self.progress_label.value = ""

    def _on_progress(self, change: dict[str, Any]) -> None:
        self.progress_bar.value = change["new"]


def _day(value: Any) -> str:
    return "–" if value is None else pd.Timestamp(value).strftime("%d %b %Y")


def _period_html(report: Report, providers: dict[str, str]) -> str:
    """The report's period, timeframe and price providers (every value escaped)."""
    period = f"{_day(report.start)} – {_day(report.end)} ({report.timeframe})"
    used = ", ".join(f"{s}: {p}" for s, p in providers.items())
    source = f" · <b>Prices</b> provider {html.escape(used)}" if used else ""
    return f"<p><b>Period</b> {html.escape(period)}{source}</p>"


def _symbol_cards(symbol: str, m: pd.Series, risk: str, provider: str) -> str:
    f = panels.fmt_number

    def pct(v: float) -> str:
        return f(100 * v, 2, "%")

    items = [
        ("Total return", pct(m["total_return"]), f"annual {pct(m['annual_return'])}"),
        ("Sharpe", f(m["sharpe_ratio"]), ""),
        ("Sortino", f(m["sortino_ratio"]), ""),
        ("Volatility", pct(m["annual_volatility"]), "annualised"),
        ("Max drawdown", pct(m["max_drawdown"]), ""),
        ("VaR / ES 95%", f"{pct(m['var_historical'])} / {pct(m['es_historical'])}", "historical"),
    ]
    if "beta" in m and np.isfinite(m.get("beta", np.nan)):
        items.append(("Beta / alpha", f"{f(m['beta'])} / {pct(m['alpha'])}", "vs benchmark"))
    head = (f"<h4>{html.escape(symbol)} <span class='badge PIVOT'>risk {html.escape(risk)}</span> "
            f"<small>provider: {html.escape(provider)}</small></h4>")  # fmt: skip
    return head + panels.cards(items)


def build_analytics_report(
    store: Store | None = None, *, source: ReportSource | None = None, **kwargs: Any
) -> AnalyticsReport:
    """Build the analytics report on ``store`` (default :func:`optionsintel.store.get_store`)."""
    if source is None:
        try:
            if store is None:
                from optionsintel.store import get_store

                store = get_store()
            source = full_report_source(store)
        except Exception as exc:  # e.g. no database: say so in the page
            source = _unavailable(exc)
    prefs = theme.session(store)[1]  # the viewer's underlying, numbers, colours
    app = theme.apply_app(AnalyticsReport(source, store=store, **kwargs), prefs)
    app.load()
    return app


def _unavailable(exc: Exception) -> ReportSource:
    """Return a source whose every call re-raises ``exc`` (the page shows it as an error)."""

    def fail(*_args: Any) -> Any:
        raise exc

    return ReportSource(fail, fail, fail)
