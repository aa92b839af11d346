"""The market monitor: one underlying's option chain, OI, PCR/max pain, smile, levels, signals.

>>> app = build_market_monitor(get_store())   # doctest: +SKIP
>>> app                                        # doctest: +SKIP

Public interface (traitlets): ``underlying``, ``provider`` (the one provider every panel
of the view reads; by default resolved to the provider of the day's latest snapshot,
``provider_resolved`` then says so), ``expiry``, ``day`` (ISO dates), ``at``
(the displayed instant, ISO UTC), ``live`` (follow the latest snapshot and refresh every
``refresh_seconds`` while the market is open), ``strikes_each_side``, and the read-only
outcome ``state`` (``loading | ok | empty | error``), ``message`` and ``render_ms``.
The data come from an injected :class:`~optionsintel.ui.data.MonitorSource`.
"""

from __future__ import annotations

import asyncio
import html
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import ipywidgets as w
import pandas as pd
import plotly.graph_objects as go
import traitlets as t

from optionsintel.calendar import is_market_open
from optionsintel.chain import chain_summary, iv_smile
from optionsintel.transforms.sampling import sample_ticks
from optionsintel.tz import EXCHANGE_TZ
from optionsintel.ui import figures, panels, theme
from optionsintel.ui.chain_view import chain_html, trader_chain
from optionsintel.ui.data import EMPTY_STORE_HINT, MonitorSource, monitor_source
from optionsintel.ui.plotly_grid import PlotlyGrid
from optionsintel.ui.shortcuts import MONITOR_KEYS, Shortcuts, step_option

if TYPE_CHECKING:
    from optionsintel.store import Store

log = logging.getLogger(__name__)
IST = EXCHANGE_TZ
_COLUMNS = "repeat(auto-fit, minmax(min(100%, 520px), 1fr))"
_GRID = w.Layout(display="grid", grid_template_columns=_COLUMNS,
                 grid_gap="8px", width="100%")  # fmt: skip


class MarketMonitor(w.VBox):
    """Voila market monitor composite (see the module docstring)."""

    underlying = t.Unicode("")
    provider = t.Unicode("")
    provider_resolved = t.Bool(True)
    expiry = t.Unicode("")
    day = t.Unicode("")
    at = t.Unicode("")
    live = t.Bool(True)
    refresh_seconds = t.Float(15.0)
    strikes_each_side = t.Int(15)
    state = t.Unicode("loading")
    message = t.Unicode("")
    render_ms = t.Float(0.0)

    def __init__(
        self,
        source: MonitorSource,
        *,
        clock: Callable[[], pd.Timestamp] = lambda: pd.Timestamp.now(tz="UTC"),
        every_minutes: int = 10,
        **kwargs: Any,
    ) -> None:
        self.source, self.clock, self.every_minutes = source, clock, every_minutes
        self._syncing = False
        self._task: asyncio.Task[None] | None = None
        self._chain: tuple[tuple[str, str, str], pd.DataFrame] | None = None
        self._series: dict[tuple[str, ...], pd.DataFrame] = {}
        self._times = pd.DatetimeIndex([], tz="UTC")
        self._build_controls()
        self._build_views()
        super().__init__(children=self._layout(), **kwargs)
        self.add_class("oi-app")
        self._wire()

    # -- construction ------------------------------------------------------------------
    def _build_controls(self) -> None:
        auto = w.Layout(width="auto", min_width="150px")
        self.underlying_select = w.Dropdown(description="Underlying", layout=auto)
        self.expiry_select = w.Dropdown(description="Expiry", layout=auto)
        self.day_select = w.Dropdown(description="Day", layout=auto)
        self.provider_select = w.Dropdown(description="Provider", layout=auto)
        self.provider_note = w.HTML()
        self.live_toggle = w.ToggleButton(value=True, description="Live", icon="circle",
                                          tooltip="Follow the latest snapshot")  # fmt: skip
        self.refresh_button = w.Button(description="Refresh", icon="refresh")
        self.time_slider = w.SelectionSlider(options=[("–", "")], description="Time (IST)",
                                             continuous_update=False,
                                             layout=w.Layout(width="98%"))  # fmt: skip
        self.shortcuts = Shortcuts(MONITOR_KEYS)

    def _build_views(self) -> None:
        self.status = w.HTML()
        self.cards = w.HTML()
        self.oi_chart = figures.oi_figure("oi", "Open interest by strike")
        self.oi_change_chart = figures.oi_figure("oi_change", "OI change by strike")
        self.intraday_chart = figures.intraday_figure()
        self.smile_chart = figures.smile_figure()
        self.charts = PlotlyGrid(column_min_width="520px", layout=w.Layout(width="100%"))
        self.chain_table = w.HTML()
        self.levels_panel = w.HTML()
        self.signals_panel = w.HTML()
        self.levels_title = w.HTML("<b>Support / resistance</b>")
        self.signals_title = w.HTML("<b>Latest signals</b>")
        self._titles = [str(f.layout.title.text) for f in self._figures()]

    def _layout(self) -> list[w.Widget]:
        bar = w.HBox([self.underlying_select, self.day_select, self.provider_select,
                      self.expiry_select, self.live_toggle, self.refresh_button,
                      self.provider_note],
                     layout=w.Layout(flex_flow="row wrap", width="100%"))  # fmt: skip
        titled = [w.VBox([self.levels_title, self.levels_panel]),
                  w.VBox([self.signals_title, self.signals_panel])]  # fmt: skip
        return [w.HTML(panels.STYLE + "<h2>Market monitor</h2>"), bar, self.time_slider,
                self.shortcuts, self.status, self.cards, self.charts, self.chain_table,
                w.Box(titled, layout=_GRID)]  # fmt: skip

    def _wire(self) -> None:
        self.underlying_select.observe(self._on_control, "value")
        self.day_select.observe(self._on_control, "value")
        self.provider_select.observe(self._on_control, "value")
        self.expiry_select.observe(self._on_control, "value")
        self.time_slider.observe(self._on_control, "value")
        self.live_toggle.observe(self._on_control, "value")
        self.refresh_button.on_click(lambda _b: self.refresh())
        for action, run in {
            "refresh": self.refresh,
            "live": self._go_live,
            "next_expiry": lambda: step_option(self.expiry_select, 1),
            "previous_expiry": lambda: step_option(self.expiry_select, -1),
            "time_forward": lambda: step_option(self.time_slider, 1),
            "time_back": lambda: step_option(self.time_slider, -1),
        }.items():
            self.shortcuts.on(action, run)  # fmt: skip
        t.dlink((self, "live"), (self.live_toggle, "value"))
        self.observe(self._on_state, ["state", "message"])

    # -- public API --------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read lists and the displayed snapshot, keeping the user's selections."""
        self._guarded(self._refresh)

    def reset(self) -> None:
        """Forget caches and selections; go back to the latest snapshot, live."""
        self._chain, self._series = None, {}
        with self._sync():
            self.underlying = self.provider = self.expiry = self.day = self.at = ""
            self.live = self.provider_resolved = True
        for fig in self._figures():
            figures.clear(fig)
        self.charts.show(self._figures())
        self.refresh()

    def start(self) -> None:
        """Start the auto-refresh loop on the running event loop (the kernel's in Voila)."""
        if self._task is None or self._task.done():
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = asyncio.get_event_loop()
            self._task = loop.create_task(self._auto_refresh())

    def stop(self) -> None:
        """Stop the auto-refresh loop."""
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def tick(self) -> bool:
        """One auto-refresh step: refresh when live during market hours; True if it did."""
        now = self.clock()
        if not (self.live and bool(is_market_open(now))):
            return False
        self.refresh()
        return True

    async def _auto_refresh(self) -> None:
        while True:
            await asyncio.sleep(self.refresh_seconds)
            try:
                self.tick()
            except Exception:  # the loop must survive anything; refresh() shows errors
                log.exception("market monitor auto-refresh failed")

    # -- flow --------------------------------------------------------------------------
    def _refresh(self) -> None:
        names = self.source.underlyings()
        if not names:
            self._empty(EMPTY_STORE_HINT)
            return
        keep = self.underlying or theme.pick_default(names) or ""  # the viewer's default first
        self._set_options(self.underlying_select, [(n, n) for n in names], keep)
        self.underlying = self.underlying_select.value
        self._load_days()

    def _load_days(self) -> None:
        days = self.source.days(self.underlying)
        if not days:
            self._empty(f"No stored snapshots of {self.underlying}. {EMPTY_STORE_HINT}")
            return
        opts = [(pd.Timestamp(d).strftime("%a %d %b %Y"), d.isoformat()) for d in days[::-1]]
        keep = "" if self.live else self.day
        self._set_options(self.day_select, opts, keep)
        self.day = self.day_select.value
        self._load_providers()

    def _load_providers(self) -> None:
        choice = self.source.providers(self.underlying, self.day)
        if not choice.providers:
            self._empty(f"No snapshots of {self.underlying} on {self.day}.")
            return
        # a provider the user chose stays while the view offers it; otherwise resolve anew
        if self.provider_resolved or self.provider not in choice.providers:
            keep, self.provider_resolved = choice.latest, True
        else:
            keep = self.provider
        self._set_options(self.provider_select, [(p, p) for p in choice.providers], keep)
        self.provider = self.provider_select.value
        self.provider_note.value = panels.provider_note(
            self.provider, self.provider_resolved, choice.providers
        )
        self._load_times()

    def _load_times(self) -> None:
        self._times = self.source.times(self.underlying, self.provider, self.day)
        if self._times.empty:
            self._empty(f"No {self.provider} snapshots of {self.underlying} on {self.day}.")
            return
        labels = self._times.tz_convert(IST).strftime("%H:%M:%S")
        values = [ts.isoformat() for ts in self._times]
        keep = values[-1] if self.live or self.at not in values else self.at
        self._set_options(self.time_slider, list(zip(labels, values, strict=True)), keep)
        self.at = self.time_slider.value
        self._render()

    def _render(self) -> None:
        start = time.perf_counter()
        chain = self._chain_now()
        if chain.empty:
            self._empty(
                f"The store has no {self.provider} chain of {self.underlying} at {self.at}."
            )
            return
        exp = [
            d.date().isoformat() for d in pd.DatetimeIndex(chain["expiry"]).unique().sort_values()
        ]
        self._set_options(self.expiry_select, [(pd.Timestamp(e).strftime("%d %b %Y"), e)
                                               for e in exp], self.expiry)  # fmt: skip
        self.expiry = self.expiry_select.value
        sub = chain.loc[pd.to_datetime(chain["expiry"]) == pd.Timestamp(self.expiry)]
        summary = chain_summary(sub).iloc[0]
        self._show_chain(sub, summary)
        self._show_series()
        self._show_feeds()
        self._name_provider()
        self.charts.show(self._figures(), uirevision=f"{self.underlying}|{self.expiry}")
        self.state, self.message = "ok", ""
        self.render_ms = (time.perf_counter() - start) * 1e3

    def _figures(self) -> list[go.Figure]:
        return [self.oi_chart, self.oi_change_chart, self.intraday_chart, self.smile_chart]

    def _chain_now(self) -> pd.DataFrame:
        key = (self.underlying, self.provider, self.at)
        if self._chain is None or self._chain[0] != key:
            at = pd.Timestamp(self.at)
            self._chain = (key, self.source.chain(self.underlying, self.provider, at))
        return self._chain[1]

    def _name_provider(self) -> None:
        """Every panel names the provider it shows (synthetic never passes for real)."""
        name = html.escape(self.provider)  # plotly titles read HTML tags and entities too
        for fig, title in zip(self._figures(), self._titles, strict=True):
            fig.layout.title.text = f"{title} · provider: {name}"
        self.levels_title.value, self.signals_title.value = feed_titles(self.provider)

    def _show_chain(self, sub: pd.DataFrame, s: pd.Series) -> None:
        spot = float(s["spot"])
        table = trader_chain(sub, spot, self.strikes_each_side)
        lower = float(s["forward"] - s["expected_move"])
        upper = float(s["forward"] + s["expected_move"])
        marks = {"spot": spot, "max pain": float(s["max_pain"]), "move -1σ": lower,
                 "move +1σ": upper}  # fmt: skip
        figures.update_oi_figure(self.oi_chart, table, marks)
        figures.update_oi_figure(self.oi_change_chart, table, {"spot": spot})
        figures.update_smile_figure(self.smile_chart, iv_smile(sub), spot)
        self.chain_table.value = chain_table_html(
            table, self.underlying, self.expiry, pd.Timestamp(self.at), self.provider
        )
        f = panels.fmt_number
        self.cards.value = panels.cards([
            ("Provider", self.provider, "resolved (latest snapshot)" if self.provider_resolved
             else "chosen"),
            ("Spot", f(spot), panels.ist(pd.Timestamp(self.at), "%H:%M:%S IST")),
            ("PCR (OI)", f(s["pcr_oi"]), f"near-money {f(s['pcr_oi_ntm'])}"),
            ("Max pain", f(s["max_pain"], 0), f"{f(s['max_pain_distance_pct'], 2, '%')} vs spot"),
            ("ATM IV", f(s["atm_iv"], 2, "%"), f"ATM strike {f(s['atm_strike'], 0)}"),
            ("ATM straddle", f(s["straddle"]), f"{f(s['days_to_expiry'], 1)} days to expiry"),
            ("Expected move", f"±{f(s['expected_move'], 0)}", f"{f(lower, 0)} – {f(upper, 0)}"
             f" ({f(s['expected_move_pct'], 2, '%')})"),
        ])  # fmt: skip
        self._walls = {"support": float(s["support"]), "resistance": float(s["resistance"])}

    def _show_series(self) -> None:
        provider = self.provider
        key = (self.underlying, provider, self.expiry, self.day)
        at = pd.Timestamp(self.at)
        wanted = sample_ticks(self._times[self._times <= at], self.every_minutes)
        have = self._series.get(key)
        done = pd.DatetimeIndex([] if have is None else have["snapshot_ts"], tz="UTC")
        todo = wanted.difference(done)
        if len(todo):
            new = self.source.series(self.underlying, provider, self.expiry, todo)
            have = new if have is None or have.empty else pd.concat([have, new], ignore_index=True)
            self._series[key] = have
        if have is None or have.empty:
            figures.clear(self.intraday_chart)
            return
        shown = have.loc[pd.DatetimeIndex(have["snapshot_ts"]).isin(wanted)]
        figures.update_intraday_figure(self.intraday_chart, shown.sort_values("snapshot_ts"))

    def _show_feeds(self) -> None:
        stored = self.source.levels(self.underlying, self.provider, self.day)
        self.levels_panel.value = panels.levels_html(stored, self._walls)
        self.signals_panel.value = panels.signals_html(
            self.source.signals(self.underlying, self.provider, pd.Timestamp(self.at))
        )

    # -- events and helpers ------------------------------------------------------------
    def _go_live(self) -> None:
        if self.live:
            self.refresh()
        else:
            self.live_toggle.value = True  # its observer sets ``live`` and refreshes

    def _on_control(self, change: dict[str, Any]) -> None:
        if self._syncing or change["new"] is None:
            return
        owner = change["owner"]
        if owner is self.live_toggle:
            self.live = bool(change["new"])
            if self.live:
                self.refresh()
            return
        if owner is self.underlying_select:
            self.underlying, step = change["new"], self._load_days
        elif owner is self.day_select:
            self.day, step = change["new"], self._load_providers
            self.live = self.live and change["new"] == self.day_select.options[0][1]
        elif owner is self.provider_select:
            self.provider, self.provider_resolved = change["new"], False
            step = self._load_providers
        elif owner is self.expiry_select:
            self.expiry, step = change["new"], self._render
        else:
            self.at, step = change["new"], self._render
            self.live = self.live and change["new"] == self.time_slider.options[-1][1]
        self._guarded(step)

    def _on_state(self, _change: dict[str, Any]) -> None:
        kind = {"empty": "empty", "error": "error"}.get(self.state, "")
        self.status.value = panels.message(kind, self.message) if kind else ""

    def _set_options(self, widget: w.Widget, options: list[tuple[str, str]], keep: str) -> None:
        """Replace options only when they changed; keep ``keep`` selected if still offered."""
        values = [v for _, v in options]
        target = (
            keep if keep in values else values[0] if isinstance(widget, w.Dropdown) else values[-1]
        )
        with self._sync():
            if list(widget.options) != options:
                widget.options = options
            if widget.value != target:
                widget.value = target

    @contextmanager
    def _sync(self) -> Iterator[None]:
        """Silence the control observers while options are set programmatically."""
        self._syncing = True
        try:
            yield
        finally:
            self._syncing = False

    def _empty(self, text: str) -> None:
        self.state, self.message = "empty", text

    def _guarded(self, step: Callable[[], None]) -> None:
        try:
            step()
        except Exception as exc:  # shown in the page, never as a traceback
            log.exception("market monitor update failed")
            self.state, self.message = "error", f"{type(exc).__name__}: {exc}"


def build_market_monitor(
    store: Store | None = None,
    *,
    source: MonitorSource | None = None,
    autostart: bool = True,
    **kwargs: Any,
) -> MarketMonitor:
    """Build the market monitor on ``store`` (default :func:`optionsintel.store.get_store`).

    Loads the latest snapshot and, with ``autostart``, starts refreshing every
    ``refresh_seconds`` while the market is open. Errors (e.g. no database) are shown
    in the page.
    """
    if source is None:
        try:
            if store is None:
                from optionsintel.store import get_store

                store = get_store()
            source = monitor_source(store)
        except Exception as exc:  # e.g. no database: say so in the page
            source = _unavailable(exc)
    prefs = theme.session(store)[1]  # the viewer's settings: refresh, chart template, CSS
    kwargs.setdefault("refresh_seconds", float(prefs.refresh_seconds))
    app = MarketMonitor(source, **kwargs)
    for fig in app._figures():
        theme.apply_figure(fig, prefs)
    theme.apply_app(app, prefs)
    app.refresh()
    if autostart:
        app.start()
    return app


def feed_titles(provider: str) -> tuple[str, str]:
    """HTML titles of the levels and signals panels, naming the (escaped) provider."""
    name = html.escape(provider)
    return (f"<b>Support / resistance</b> <small>provider: {name}</small>",
            f"<b>Latest signals</b> <small>provider: {name}</small>")  # fmt: skip


def chain_table_html(
    table: pd.DataFrame, underlying: str, expiry: object, at: pd.Timestamp, provider: str
) -> str:
    """The chain table with its caption; :func:`chain_html` escapes the caption's text."""
    caption = f"{underlying} {expiry} as of {panels.ist(at)} — provider: {provider}"
    return chain_html(table, caption)


def _unavailable(exc: Exception) -> MonitorSource:
    """Return a source whose every call re-raises ``exc`` (the page shows it as an error)."""

    def fail(*_args: Any) -> Any:
        raise exc

    return MonitorSource(fail, fail, fail, fail, fail, fail, fail, fail)
