"""The strategy builder Voila app: chain as of an instant, legs, payoff, cards, save, backtest.

>>> app = build_strategy_builder(get_store())   # doctest: +SKIP

Public interface (traitlets): ``underlying``, ``provider`` (the one provider read; shown on
the page), ``instant`` (ISO, IST), ``n_legs``, ``state`` (``idle | loading | ok | error``),
``message``, ``pin`` (the last saved version), ``run_id`` (the last stored backtest). Data
comes from an injected :class:`~optionsintel.ui.strategy_data.StrategySource`.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import TYPE_CHECKING, Any

import ipywidgets as w
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import traitlets as t

from optionsintel.calendar import strike_step
from optionsintel.errors import OptionsIntelError
from optionsintel.strategies import LegSpec, Strategy, analyse_strategy, atm_strike
from optionsintel.ui import panels, theme
from optionsintel.ui.plotly_grid import PlotlyGrid
from optionsintel.ui.shortcuts import STRATEGY_KEYS, Shortcuts, step_option
from optionsintel.ui.strategy_data import StrategySource, strategy_source
from optionsintel.ui.strategy_views import (
    TEMPLATES,
    build_from_chain,
    cards_html,
    legs_frame,
    payoff_figure,
    relative_spec,
    spec_json,
    table_html,
)

if TYPE_CHECKING:
    from optionsintel.store import Store

STYLE = """<style>
.oi-legs, .oi-greeks, .oi-bt { border-collapse: collapse; font-size: 12px; }
.oi-legs td, .oi-legs th, .oi-greeks td, .oi-greeks th, .oi-bt td, .oi-bt th {
  padding: 2px 6px; border-bottom: 1px solid #eee; text-align: right; }
.oi-legs td, .oi-greeks td { white-space: nowrap; } /* a phone wrapped a leg over 5 lines */
.oi-scroll { overflow-x: auto; max-width: 100%; }
.oi-note { font-size: 11px; color: #666; }
.oi-app .widget-dropdown, .oi-app .widget-text { max-width: 100%; }
</style>"""


_CLOSE = pd.Timedelta(hours=15, minutes=30)


class StrategyBuilder(w.VBox):
    """Voila strategy-builder composite (see the module docstring)."""

    underlying = t.Unicode("")
    provider = t.Unicode("")
    instant = t.Unicode("")
    n_legs = t.Int(0)
    state = t.Unicode("idle")
    message = t.Unicode("")
    pin = t.Unicode("")
    run_id = t.Unicode("")

    def __init__(self, source: StrategySource, **kwargs: Any) -> None:
        self.source = source
        self.chain: pd.DataFrame | None = None
        self.specs: list[LegSpec] = []
        self.strategy: Strategy | None = None
        self.result: Any = None
        self._controls()
        self.figure = go.Figure()
        self.chart = PlotlyGrid(column_min_width="280px", layout=w.Layout(width="100%"))
        super().__init__(self._sections(), **kwargs)
        self.add_class("oi-app")
        self.reset()

    # -- layout ----------------------------------------------------------------------------
    def _controls(self) -> None:
        box = w.Layout(width="260px", max_width="100%")
        self.underlying_select = w.Dropdown(description="Underlying", layout=box)
        self.provider_select = w.Dropdown(description="Data", layout=box)
        self.instant_select = w.Dropdown(description="As of", layout=box)
        self.load_button = w.Button(description="Load chain", icon="download")
        self.underlying_select.observe(lambda _c: self._fill_providers(), "value")
        self.provider_select.observe(lambda _c: self._fill_instants(), "value")
        self.load_button.on_click(lambda _b: self.load_chain())
        self.expiry_select = w.Dropdown(description="Expiry", layout=box)
        self.expiry_select.observe(lambda _c: self._fill_strikes(), "value")
        self.template_select = w.Dropdown(description="Template", options=list(TEMPLATES),
                                          layout=box)  # fmt: skip
        self.width_input = w.BoundedIntText(2, min=1, max=20, description="Width", layout=box)
        self.lots_input = w.BoundedIntText(1, min=1, max=1000, description="Lots", layout=box)
        self.template_button = w.Button(description="Add template", icon="plus")
        self.template_button.on_click(lambda _b: self.add_template())
        self.type_select = w.ToggleButtons(options=["CE", "PE"], layout=w.Layout(width="auto"))
        self.side_select = w.ToggleButtons(options=["buy", "sell"], layout=w.Layout(width="auto"))
        self.strike_select = w.Dropdown(description="Strike", layout=box)
        self.leg_button = w.Button(description="Add leg", icon="plus")
        self.leg_button.on_click(lambda _b: self.add_leg())
        self.clear_button = w.Button(description="Clear legs", icon="trash")
        self.clear_button.on_click(lambda _b: self.clear_legs())
        self.days_slider = w.IntSlider(0, min=0, max=30, description="T+ days", layout=box)
        self.iv_slider = w.IntSlider(0, min=-10, max=10, description="IV ± pts", layout=box)
        for s in (self.days_slider, self.iv_slider):
            s.observe(lambda _c: self._redraw(), "value")
        self.name_input = w.Text(description="Name", placeholder="my condor", layout=box)
        self.save_button = w.Button(description="Save strategy", icon="save")
        self.save_button.on_click(lambda _b: self.save())
        self.start_input = w.Text(description="From", placeholder="YYYY-MM-DD", layout=box)
        self.end_input = w.Text(description="To", placeholder="YYYY-MM-DD", layout=box)
        self.stop_input = w.FloatText(0.0, description="Stop ₹", layout=box)
        self.backtest_button = w.Button(description="Backtest", icon="play",
                                        button_style="primary")  # fmt: skip
        self.backtest_button.on_click(lambda _b: self.backtest())
        self.progress = w.IntProgress(0, min=0, max=3, layout=w.Layout(width="260px"))
        self.status, self.legs_view, self.cards = w.HTML(), w.HTML(), w.HTML()
        self.greeks_view, self.save_message, self.bt_view = w.HTML(), w.HTML(), w.HTML()
        self.shortcuts = Shortcuts(STRATEGY_KEYS)
        days = self.days_slider  # an IntSlider clamps to its bounds
        for action, run in {
            "refresh": self.load_chain,
            "next_expiry": lambda: step_option(self.expiry_select, 1),
            "previous_expiry": lambda: step_option(self.expiry_select, -1),
            "time_forward": lambda: setattr(days, "value", days.value + 1),
            "time_back": lambda: setattr(days, "value", days.value - 1),
        }.items():
            self.shortcuts.on(action, run)  # fmt: skip

    def _sections(self) -> list[w.Widget]:
        wrap = w.Layout(flex_flow="row wrap", align_items="center", max_width="100%")
        h = lambda text: w.HTML(f"<h4>{html.escape(text)}</h4>")  # noqa: E731
        row = lambda *items: w.HBox(list(items), layout=wrap)  # noqa: E731
        return [
            w.HTML(panels.STYLE + STYLE),
            row(
                self.underlying_select, self.provider_select, self.instant_select, self.load_button
            ),
            self.status,
            self.shortcuts,
            h("Legs"),
            row(self.expiry_select, self.lots_input),
            row(self.template_select, self.width_input, self.template_button),
            row(
                self.type_select,
                self.side_select,
                self.strike_select,
                self.leg_button,
                self.clear_button,
            ),
            self.legs_view,
            h("Payoff"),
            row(self.days_slider, self.iv_slider),
            self.chart,
            self.cards,
            h("Greeks (per leg and net)"),
            self.greeks_view,
            h("Save and backtest"),
            row(self.name_input, self.save_button),
            self.save_message,
            row(self.start_input, self.end_input, self.stop_input, self.backtest_button),
            self.progress,
            self.bt_view,
        ]

    # -- state -----------------------------------------------------------------------------
    def _say(self, kind: str, text: str) -> None:
        self.state = {"error": "error", "info": "ok", "empty": "idle"}.get(kind, "ok")
        self.message = text
        self.status.value = f"<div class='oi-msg {kind}'>{html.escape(text)}</div>"

    def reset(self) -> None:
        """Back to the first underlying/provider/instant, no legs."""
        self.specs, self.strategy, self.chain, self.result = [], None, None, None
        self.n_legs, self.pin, self.run_id = 0, "", ""
        for view in (self.legs_view, self.cards, self.greeks_view, self.save_message,
                     self.bt_view):  # fmt: skip
            view.value = ""
        self.legs_view.value = _msg("empty", NO_LEGS)
        try:
            names = self.source.underlyings()
        except OptionsIntelError as exc:
            self._say("error", f"cannot list underlyings: {exc}")
            return
        if not names:
            self._say("empty", "no stored option chains: collect or import chains first")
            return
        self.underlying_select.options = names
        self.underlying_select.value = theme.pick_default(names) or names[0]
        self._fill_providers()
        self.load_chain()

    def _fill_providers(self) -> None:
        if not self.underlying_select.value:
            return
        self.underlying = self.underlying_select.value
        names = self.source.providers(self.underlying)
        self.provider_select.options = names
        if names and self.provider_select.value not in names:
            self.provider_select.value = names[0]
        self._fill_instants()

    def _fill_instants(self) -> None:
        if not self.provider_select.value:
            return
        self.provider = self.provider_select.value
        times = self.source.instants(self.underlying, self.provider)
        self.instant_select.options = [
            (ts.tz_convert("Asia/Kolkata").strftime("%Y-%m-%d %H:%M:%S"), ts) for ts in times
        ]  # fmt: skip
        if times:
            self.instant_select.value = times[0]

    # -- actions ---------------------------------------------------------------------------
    def load_chain(self) -> None:
        """Read the chain as of the chosen instant from the chosen provider."""
        at = self.instant_select.value
        if at is None:
            self._say("empty", f"no stored chain of {self.underlying} from {self.provider!r}")
            return
        self.state = "loading"
        try:
            self.chain = self.source.chain(self.underlying, self.provider, at)
        except OptionsIntelError as exc:
            self._say("error", str(exc))
            return
        self.instant = pd.Timestamp(at).tz_convert("Asia/Kolkata").isoformat()
        expiries = sorted(pd.to_datetime(self.chain["expiry"]).dt.date.unique())
        self.expiry_select.options = expiries
        close = pd.Timestamp(at).tz_convert("Asia/Kolkata")
        alive = [e for e in expiries if pd.Timestamp(e, tz="Asia/Kolkata") + _CLOSE > close]
        if alive:  # an expiry at/after its 15:30 close has no time value left to price
            self.expiry_select.value = alive[0]
        self._fill_strikes()
        spot = float(self.chain["underlying_price"].median())
        self._say("info", f"{self.underlying} chain as of {self.instant} (data: {self.provider}); "
                  f"spot {theme.fmt(spot)}; {len(self.chain)} rows")  # fmt: skip
        self.clear_legs()

    def _fill_strikes(self) -> None:
        if self.chain is None or self.expiry_select.value is None:
            return
        rows = self.chain[pd.to_datetime(self.chain["expiry"]).dt.date == self.expiry_select.value]
        strikes = sorted(rows["strike"].unique())
        self.strike_select.options = [(f"{k:g}", float(k)) for k in strikes]
        if strikes:
            self.strike_select.value = float(min(strikes, key=lambda k: abs(k - self._spot())))

    def _spot(self) -> float:
        return float(self.chain["underlying_price"].median()) if self.chain is not None else 0.0

    def _step(self) -> float:
        try:
            return float(strike_step(self.underlying, pd.Timestamp(self.instant).date()))
        except OptionsIntelError:
            strikes = [] if self.chain is None else sorted(self.chain["strike"].unique())
            diffs = np.diff(np.asarray(strikes, float))
            return float(pd.Series(diffs).mode().iloc[0]) if len(diffs) else 1.0

    def add_template(self) -> None:
        """Add the chosen template's legs at the chosen expiry (ATM from the spot)."""
        if self.expiry_select.value is None:
            self._say("error", "load a chain first")
            return
        atm = atm_strike(self._spot(), self._step())
        make = TEMPLATES[self.template_select.value]
        self._set_specs(self.specs + make(atm, self._step(), self.expiry_select.value,
                                          self.width_input.value))  # fmt: skip

    def add_leg(self) -> None:
        """Add one option leg from the chain (type, side, strike, expiry)."""
        if self.strike_select.value is None:
            self._say("error", "load a chain first")
            return
        leg = LegSpec(self.type_select.value, self.side_select.value, self.expiry_select.value,
                      float(self.strike_select.value))  # fmt: skip
        self._set_specs([*self.specs, leg])

    def clear_legs(self) -> None:
        """Remove every leg."""
        self._set_specs([])

    def _set_specs(self, specs: list[LegSpec]) -> None:
        previous = self.specs
        self.specs = specs
        self.n_legs = len(specs)
        if not specs:
            self.strategy = None
            self.cards.value = self.greeks_view.value = self.save_message.value = ""
            self.legs_view.value = _msg("empty", NO_LEGS)  # say what to do, not a blank page
            self.figure = go.Figure()
            self.chart.show([])
            return
        try:
            assert self.chain is not None
            at = pd.Timestamp(self.instant)
            self.strategy = build_from_chain(self.chain, self.underlying, at, specs,
                                             self.lots_input.value)  # fmt: skip
        except (OptionsIntelError, ValueError) as exc:
            self.specs, self.n_legs = previous, len(previous)
            self._say("error", f"cannot price that leg: {exc}")
            return
        self.legs_view.value = "<div class='oi-scroll'>" + table_html(
            legs_frame(self.strategy), "oi-legs") + "</div>"  # fmt: skip
        self._redraw()

    def _redraw(self) -> None:
        if self.strategy is None:
            return
        shift = self.iv_slider.value / 100.0
        analysis = analyse_strategy(self.strategy)
        fig = payoff_figure(self.strategy, analysis, float(self.days_slider.value), shift)
        self.figure = fig
        self.chart.show([fig], uirevision=f"{self.underlying}|{self.instant}")
        self.cards.value = cards_html(analysis)
        greeks = analysis.greeks.reset_index()
        self.greeks_view.value = "<div class='oi-scroll'>" + table_html(greeks, "oi-greeks", 3) \
            + "</div>"  # fmt: skip

    def save(self) -> None:
        """Save the legs (and their relative rules) as a new version of the named strategy."""
        if self.strategy is None:
            self.save_message.value = _msg("error", "add legs before saving")
            return
        name = self.name_input.value.strip() or "strategy"
        try:
            spec = relative_spec(self.strategy, name, self._step(), atm_strike(self._spot(),
                                 self._step()))  # fmt: skip
            from optionsintel.backtest.options import Execution, spec_settings

            saved, stored = self.source.save(name, self.underlying, spec_json(self.strategy),
                                             spec_settings(spec, Execution()))  # fmt: skip
        except (OptionsIntelError, ValueError) as exc:
            self.save_message.value = _msg("error", str(exc))
            return
        self.pin = saved.pin
        note = "saved as" if stored else "unchanged; newest version is"
        self.save_message.value = _msg("info", f"{note} {saved.pin}")

    def backtest(self) -> None:
        """Run the legs as relative rules over the provider's stored chains; store the run."""
        if self.strategy is None:
            self.bt_view.value = _msg("error", "add legs before backtesting")
            return
        self.progress.value = 1
        try:
            day = pd.Timestamp(self.instant).date()
            start = _date(self.start_input.value, day - dt.timedelta(days=30))
            end = _date(self.end_input.value, day)
            stop = self.stop_input.value if self.stop_input.value > 0 else None
            name = self.name_input.value.strip() or "builder"
            atm = atm_strike(self._spot(), self._step())
            spec = relative_spec(self.strategy, name, self._step(), atm, stop)
            self.result = self.source.backtest(spec, self.provider, start, end)
            self.progress.value = 2
            stored = self.source.store_run(self.result, self.pin or None)
        except (OptionsIntelError, ValueError) as exc:
            self.progress.value = 0
            self.bt_view.value = _msg("error", str(exc))
            return
        self.progress.value = 3
        self.run_id = stored.record.run_id
        self.bt_view.value = _result_html(self.result, self.provider, self.run_id)


NO_LEGS = "No legs yet: add a template or a leg to see the payoff, POP and greeks."


def _msg(kind: str, text: str) -> str:
    return f"<div class='oi-msg {kind}'>{html.escape(text)}</div>"


def _date(text: str, default: dt.date) -> dt.date:
    if not text.strip():
        return default
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a date; use YYYY-MM-DD") from exc


def _result_html(result: Any, provider: str, run_id: str) -> str:
    m = result.metrics
    head = (f"{int(m['n_trades'])} trades, {int(m['n_skipped'])} skipped; net P&L "
            f"₹{theme.fmt(m['total_pnl'], 0)} after ₹{theme.fmt(m['total_costs'], 0)} costs "
            f"(data: {provider}; stored as {run_id})")  # fmt: skip
    cols = ["entry_time", "status", "reason", "exit_reason", "pnl_gross", "costs", "pnl"]
    trades = result.trades[cols].head(50).astype({"entry_time": str})
    return _msg("info", head) + "<div class='oi-scroll'>" + table_html(trades, "oi-bt") + "</div>"


def build_strategy_builder(store: Store | None = None, user: str = "analyst") -> StrategyBuilder:
    """Build the strategy builder on ``store`` (the configured store when None)."""
    if store is None:
        from optionsintel.store import get_store

        store = get_store()
    prefs = theme.session(store)[1]  # the viewer's underlying, numbers, colours
    return theme.apply_app(StrategyBuilder(strategy_source(store, user)), prefs)
