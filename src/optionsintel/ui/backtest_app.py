"""The backtest Voila app: choose a source, universe, period, costs, exits and sizing; run.

>>> app = build_backtest_app(get_store())   # doctest: +SKIP

Public interface (traitlets): ``state`` (``idle | running | ok | cancelled | error``),
``message``, ``progress`` (0-1), ``provider`` (the one provider of the run shown),
``run_id`` (the stored run shown). Results: metric cards with the cost breakdown, equity
and drawdown, trades, a sweep's heatmap and best-by-metric table (with the number of
combinations tried), walk-forward in- vs out-of-sample metrics, Monte Carlo bands, a
comparison of two stored runs and an .xlsx export. A sweep runs as a bulk operation in a
background thread (:meth:`BacktestApp.wait` joins it): its bar advances per combination
and *Cancel* stops it after the current one, showing the best of those that finished.
Data comes from an injected :class:`~optionsintel.ui.backtest_data.BacktestServices`.
"""

from __future__ import annotations

import html
import threading
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import ipywidgets as w
import traitlets as t

from optionsintel.errors import OptionsIntelError
from optionsintel.ui import backtest_views as views
from optionsintel.ui import panels, theme
from optionsintel.ui.backtest_data import BacktestServices, backtest_services
from optionsintel.ui.backtest_form import BacktestForm
from optionsintel.ui.backtest_walkforward import WalkForwardPanel
from optionsintel.ui.bulk_progress import BulkProgress
from optionsintel.ui.exchange_panels import _download_link
from optionsintel.ui.plotly_grid import PlotlyGrid

if TYPE_CHECKING:
    from optionsintel.store import Store


class BacktestApp(w.VBox):
    """Voila backtest composite (see the module docstring)."""

    state = t.Unicode("idle")
    message = t.Unicode("")
    progress = t.Float(0.0)
    provider = t.Unicode("")
    run_id = t.Unicode("")

    def __init__(self, services: BacktestServices, **kwargs: Any) -> None:
        self.services = services
        self.record: Any = None
        self.sweep_result: Any = None
        self._thread: threading.Thread | None = None
        self.form = BacktestForm(services)
        self.run_button = w.Button(description="Run backtest", button_style="primary",
                                   icon="play")  # fmt: skip
        self.sweep_button = w.Button(description="Run sweep", icon="th")
        self.run_button.on_click(lambda _b: self.run())
        self.sweep_button.on_click(lambda _b: self.run_sweep())
        self.sweep_progress = BulkProgress("sweep", on_cancel=self._cancel_sweep)
        self.walk_forward = WalkForwardPanel(self.form, services, self._progress)
        self.walk_forward.button.on_click(lambda _b: self.run_walk_forward())
        self.progress_bar = w.FloatProgress(0.0, min=0.0, max=1.0)
        t.dlink((self, "progress"), (self.progress_bar, "value"))
        self.status, self.cards, self.trades, self.sweep_view = (w.HTML() for _ in range(4))
        self.charts = PlotlyGrid(column_min_width="340px", layout=w.Layout(width="100%"))
        self._build_tools()
        super().__init__(self._sections(), **kwargs)
        self.add_class("oi-app")
        self.reset()

    def _build_tools(self) -> None:
        methods = [("trades", "trades"), ("daily blocks", "daily_block")]
        self.mc_method = w.Dropdown(description="Monte Carlo", options=methods)
        self.mc_paths = w.BoundedIntText(1000, min=100, max=20000, description="Paths")
        self.mc_seed = w.IntText(7, description="Seed")
        self.mc_button = w.Button(description="Monte Carlo", icon="random")
        self.mc_button.on_click(lambda _b: self.monte_carlo())
        self.mc_view = w.HTML()
        self.stored = w.Dropdown(description="Stored run")
        self.load_button = w.Button(description="Show", icon="folder-open")
        self.load_button.on_click(lambda _b: self.show_run(self.stored.value or ""))
        self.compare_a, self.compare_b = (
            w.Dropdown(description="Compare"),
            w.Dropdown(description="with"),
        )
        self.compare_button = w.Button(description="Compare", icon="exchange")
        self.compare_button.on_click(lambda _b: self.compare())
        self.compare_view = w.HTML()
        self.export_button = w.Button(description="Export .xlsx", icon="download")
        self.export_button.on_click(lambda _b: self.export())
        self.export_view = w.HTML()

    def _sections(self) -> list[w.Widget]:
        wrap = w.Layout(flex_flow="row wrap", align_items="center")
        h = lambda text: w.HTML(f"<h4>{html.escape(text)}</h4>")  # noqa: E731
        return [
            w.HTML(panels.STYLE + views.STYLE),
            self.form,
            w.HBox([self.run_button, self.sweep_button], layout=wrap),
            self.progress_bar,
            self.status,
            self.cards,
            self.charts,
            h("Sweep"),
            self.sweep_progress,
            self.sweep_view,
            h("Walk-forward (grid above; in- vs out-of-sample)"),
            self.walk_forward,
            h("Trades"),
            self.trades,
            w.HBox([self.mc_method, self.mc_paths, self.mc_seed, self.mc_button], layout=wrap),
            self.mc_view,
            h("Stored runs"),
            w.HBox([self.stored, self.load_button, self.export_button], layout=wrap),
            self.export_view,
            w.HBox([self.compare_a, self.compare_b, self.compare_button], layout=wrap),
            self.compare_view,
        ]

    # -- state -----------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to the initial state: no run shown, form defaults, stored runs reloaded."""
        self.record = self.sweep_result = None
        self.form.reset()
        self.walk_forward.reset()
        self.sweep_progress.reset()
        for view in (self.cards, self.trades, self.sweep_view, self.mc_view,
                     self.compare_view, self.export_view):  # fmt: skip
            view.value = ""
        self.charts.show([])
        self.progress, self.run_id, self.provider = 0.0, "", ""
        self._status("idle", "Choose a source and a universe, then run.")
        self._refresh_runs()

    def _status(self, state: str, text: str) -> None:
        self.state, self.message = state, text
        classes = {"error": "error", "ok": "info", "running": "info", "cancelled": "info"}
        cls = classes.get(state, "empty")
        self.status.value = f'<div class="oi-msg {cls}">{html.escape(text)}</div>'

    def _refresh_runs(self) -> None:
        try:
            runs = self.services.runs()
        except OptionsIntelError as exc:
            self._status("error", str(exc))
            return
        options = [(f"{r.run_id} · {r.name or r.kind} · {r.provider}", r.run_id)
                   for r in runs.itertuples()]  # fmt: skip
        for box in (self.stored, self.compare_a, self.compare_b):
            box.options = options
            box.value = options[0][1] if options else None
        if len(options) > 1:
            self.compare_b.value = options[1][1]

    def _progress(self, fraction: float, what: str) -> None:
        self.progress = float(fraction)
        self._status("running", what)

    # -- actions ---------------------------------------------------------------------------
    def run(self) -> None:
        """Run the backtest of the form and show (and store) it."""
        try:
            args = self.form.arguments()
            self._status("running", "starting")
            done = self.services.run(args.pop("source"), progress=self._progress, **args)
            self.show_run(done.run_id or "")
        except OptionsIntelError as exc:
            self._status("error", str(exc))

    def run_sweep(self, wait: bool = False) -> None:
        """Run the form's sweep grid as a bulk operation in a background thread.

        Shows the heatmap and the best-by-metric table when it ends; *Cancel* on the
        sweep's progress bar stops it after the current combination. ``wait`` blocks
        until it has ended (as :meth:`wait`).
        """
        try:
            args = self.form.arguments()
            grid = self.form.grid()
        except OptionsIntelError as exc:
            self._status("error", str(exc))
            return
        args.pop("benchmark")
        self.sweep_progress.reset()
        self._status("running", f"sweep of {_count(grid)} combinations")
        self.sweep_button.disabled = self.run_button.disabled = True
        self._thread = threading.Thread(target=self._sweep_work, args=(args, grid),
                                        daemon=True, name="backtest-sweep")  # fmt: skip
        self._thread.start()
        if wait:
            self.wait()

    def wait(self, timeout: float | None = None) -> None:
        """Block until the running sweep has ended."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _sweep_work(self, args: dict[str, Any], grid: dict[str, list[Any]]) -> None:
        try:
            out = self.services.sweep(
                args.pop("source"), grid, metric=self.form.metric.value,
                progress=lambda d, n: self._progress(d / n, f"combination {d}/{n}"),
                on_status=self.sweep_progress.update, **args,
            )  # fmt: skip
            self._sweep_done(out)
        except OptionsIntelError as exc:
            if self.sweep_progress.status == "CANCELLED":
                self._status("cancelled", "sweep cancelled before any combination finished")
            else:
                self._status("error", str(exc))
        except Exception as exc:  # shown in the page, never lost in the thread
            self._status("error", f"{type(exc).__name__}: {str(exc)[:300]}")
        finally:
            self.sweep_button.disabled = self.run_button.disabled = False

    def _sweep_done(self, out: Any) -> None:
        self.sweep_result = out.sweep
        self.sweep_progress.update(out.operation)
        self.show_run(out.best.run_id or "")
        self.sweep_view.value = views.sweep_html(out.sweep.best_table(10), out.sweep.warning)
        self._show_charts()
        op = out.operation
        if op.status == "CANCELLED":
            self._status("cancelled", f"sweep cancelled after {op.done + op.failed} of "
                         f"{op.total} combinations: {out.sweep.warning} (operation "
                         f"{op.operation_id})")  # fmt: skip
        else:
            self._status("ok", f"{out.sweep.warning} (operation {op.operation_id}: "
                               f"{op.status})")  # fmt: skip

    def _cancel_sweep(self, operation_id: str) -> None:
        try:
            self.services.cancel(operation_id)
        except OptionsIntelError as exc:
            self._status("error", str(exc))
            return
        self._status("running", "cancelling the sweep after the current combination")

    def run_walk_forward(self) -> None:
        """Walk-forward of the form's grid: in- vs out-of-sample metrics per window."""
        try:
            self._status("running", "walk-forward")
            line, figure = self.walk_forward.run()
        except OptionsIntelError as exc:
            self._status("error", str(exc))
            return
        self.progress = 1.0
        self.charts.show([figure], uirevision="walk-forward")
        self._status("ok", line)

    def show_run(self, run_id: str) -> None:
        """Show a stored run: cards, costs, equity/drawdown, trades."""
        if not run_id:
            self._status("error", "choose a stored run")
            return
        try:
            stored = self.services.read(run_id)
        except OptionsIntelError as exc:
            self._status("error", str(exc))
            return
        rec = self.record = stored.record
        self.run_id, self.provider = rec.run_id, rec.provider
        caption = (f"run {rec.run_id} · data: {rec.provider} · {rec.period_start:%Y-%m-%d} .. "
                   f"{rec.period_end:%Y-%m-%d} · {len(rec.universe)} symbols · cost table "
                   f"{rec.cost_table_version or 'none'}")  # fmt: skip
        self.cards.value = views.metric_cards(rec.metrics, rec.costs, caption)
        self.trades.value = views.table_html(rec.trades, "oi-bt-trades")
        self.mc_view.value = ""
        self._show_charts()
        self.progress = 1.0
        self._status("ok", f"{_trade_count(rec)} (data: {rec.provider})")
        self._refresh_runs()
        self.stored.value = rec.run_id

    def _show_charts(self, extra: list[Any] | None = None) -> None:
        figs = []
        if self.record is not None:
            figs.append(views.equity_figure(self.record.equity, f"Equity · {self.record.run_id}"))
        sweep = self.sweep_result
        if sweep is not None and self.record is not None and "sweep" in self.record.extra:
            params = list(sweep.parameters)
            if len(params) >= 2:
                figs.append(views.heatmap_figure(sweep.heatmap(params[0], params[1]),
                                                 sweep.metric, params[0], params[1]))  # fmt: skip
            else:
                figs.append(views.sweep_line_figure(sweep.table, sweep.metric, params[0]))
        self.charts.show(figs + (extra or []), uirevision=self.run_id)

    def monte_carlo(self) -> None:
        """Bootstrap the shown run's trades (or daily returns) into confidence bands."""
        from optionsintel.backtest import monte_carlo

        if self.record is None:
            self._status("error", "run or show a backtest first")
            return
        rec = self.record
        view = SimpleNamespace(equity=rec.equity["equity"], returns=rec.equity["returns"],
                               trades=rec.trades)  # fmt: skip
        try:
            mc = monte_carlo(view, method=self.mc_method.value, n_paths=self.mc_paths.value,  # type: ignore[arg-type]
                             seed=self.mc_seed.value)  # fmt: skip
        except OptionsIntelError as exc:
            self._status("error", str(exc))
            return
        title = f"Monte Carlo ({mc.method}, {len(mc.final_equity)} paths, seed {mc.seed})"
        self.mc_view.value = views.table_html(mc.summary(), "oi-bt-mc", index=True)
        self._show_charts([views.monte_carlo_figure(mc.bands, mc.quantiles, title)])
        self._status("ok", title)

    def compare(self) -> None:
        """Compare the two chosen stored runs."""
        a, b = self.compare_a.value, self.compare_b.value
        if not a or not b or a == b:
            self._status("error", "choose two different stored runs to compare")
            return
        try:
            cmp = self.services.compare(a, b)
        except OptionsIntelError as exc:
            self._status("error", str(exc))
            return
        self.compare_view.value = views.comparison_html(cmp.metrics, cmp.inputs)
        self.charts.show([views.equities_figure(cmp.equity, f"{a} vs {b}")], uirevision=f"{a}|{b}")
        self._status("ok", f"compared {a} with {b}")

    def export(self) -> None:
        """Write the shown (or chosen) stored run to .xlsx and offer it for download."""
        run_id = self.run_id or (self.stored.value or "")
        if not run_id:
            self._status("error", "run or choose a stored run to export")
            return
        try:
            path = self.services.export(run_id)
        except OptionsIntelError as exc:
            self._status("error", str(exc))
            return
        self.export_view.value = _download_link(path, f"backtest run {run_id}")
        self._status("ok", f"exported {run_id}")


def _count(grid: dict[str, list[Any]]) -> int:
    n = 1
    for values in grid.values():
        n *= len(values)
    return n


def build_backtest_app(
    store: Store | None = None, user: str = "analyst", warm: bool = True
) -> BacktestApp:
    """The backtest app on ``store`` (default: the configured store).

    With ``warm`` the vectorbt kernels are loaded in a background thread while the page
    renders, so the first run does not wait for them.
    """
    if store is None:
        from optionsintel.store import get_store

        store = get_store()
    if warm:
        from optionsintel.backtest import warm_up

        threading.Thread(target=warm_up, daemon=True, name="backtest-warm-up").start()
    prefs = theme.session(store)[1]  # the viewer's underlying, numbers, colours
    return theme.apply_app(BacktestApp(backtest_services(store, user)), prefs)


def _trade_count(rec: Any) -> str:
    """Closed trades, and the positions still open at the last bar (metrics count closed ones)."""
    closed = int(rec.metrics.get("n_trades") or 0)
    trades = rec.trades
    still = 0 if "closed" not in trades else int((~trades["closed"].astype(bool)).sum())
    text = f"{closed} closed trade{'s' if closed != 1 else ''}"
    return text + (f", {still} position{'s' if still != 1 else ''} still open" if still else "")
