"""The scanner app: pick patterns/detectors and a universe, run, sort, export, save.

>>> app = build_scanner(get_store())   # doctest: +SKIP

Public interface (traitlets): ``state`` (``idle | running | ok | empty | cancelled |
error``), ``message`` and ``run_id``. The scan runs in a background thread so the page
stays live: the progress bar advances batch by batch and *Cancel* stops the run after
the current batch (the matches found so far are kept). Results are one row per match:
rank, symbol (a link opening it in the analytics report), score, the values a trader
sorts by, a 30-day sparkline and the explanation; sort and filter act on the stored
results, export writes them with provenance, *Save* stores the scan and its schedule.
"""

from __future__ import annotations

import html
import tempfile
import threading
from pathlib import Path
from typing import Any

import ipywidgets as w
import pandas as pd
import traitlets as t

from optionsintel.errors import OptionsIntelError
from optionsintel.scans import ScanSpec, scan_spec
from optionsintel.store import Store
from optionsintel.ui import theme
from optionsintel.ui.bulk_progress import BulkProgress
from optionsintel.ui.scanner_data import ScannerSource, scanner_source
from optionsintel.ui.scanner_table import ResultsTable, download_link

UNIVERSES = [("All F&O underlyings", "fno"), ("Equity universe", "equity"),
             ("Sector…", "sector"), ("Explicit symbols…", "symbols")]  # fmt: skip
SCHEDULES = [("On demand", ""), ("End of day (15:45 IST)", "45 15 * * 1-5"),
             ("Every 15 min in session", "*/15 9-15 * * 1-5"),
             ("Every 5 min in session", "*/5 9-15 * * 1-5")]  # fmt: skip
_SIGNALS_DEFAULT = 0.7
#: The scanner universe of a person's ``default_universe`` setting (indices are F&O names).
_UNIVERSE_OF = {"index": "fno", "all": "fno", "equity": "equity"}


class Scanner(w.VBox):
    """The scanner composite (see the module docstring)."""

    state = t.Unicode("idle")
    message = t.Unicode("")
    run_id = t.Unicode("")

    def __init__(self, source: ScannerSource, owner: str = "analyst", **kwargs: Any) -> None:
        self.source = source
        self._thread: threading.Thread | None = None
        self._provider = ""
        self._bar = ""
        self.patterns = w.SelectMultiple(description="Patterns", rows=5)
        self.detectors = w.SelectMultiple(options=list(source.detectors), description="Detectors",
                                          rows=5)  # fmt: skip
        self.confidence = w.FloatSlider(value=_SIGNALS_DEFAULT, min=0.0, max=1.0, step=0.05,
                                        description="Min conf.")  # fmt: skip
        self.match = w.ToggleButtons(options=["any", "all"], description="Match")
        self.universe = w.Dropdown(description="Universe")
        self.universe_arg = w.Text(placeholder="IT  or  INFY, TCS", description="Sector/list")
        self.as_of = w.Text(placeholder="now, or 2025-07-16 15:45 (IST)", description="As of")
        self.provider = w.Dropdown(description="Provider")
        self.run_button = w.Button(description="Run scan", button_style="primary", icon="play")
        self.progress = BulkProgress("scan", on_cancel=self._cancel)
        self.status = w.HTML("")
        self.table = ResultsTable()
        self.export_format = w.Dropdown(options=["csv", "xlsx", "parquet", "json"], value="csv",
                                        description="Format")  # fmt: skip
        self.export_button = w.Button(description="Export", icon="download", disabled=True)
        self.export_link = w.HTML("")
        self.owner = w.Text(value=owner, description="Owner")
        self.save_name = w.Text(placeholder="my-scan", description="Name")
        self.schedule = w.Dropdown(options=SCHEDULES, value="", description="Schedule")
        self.save_button = w.Button(description="Save scan", icon="save")
        self.save_status = w.HTML("")
        self.run_button.on_click(lambda _b: self.run())
        self.export_button.on_click(lambda _b: self.export())
        self.save_button.on_click(lambda _b: self.save())
        self.universe.observe(self._universe_changed, "value")
        layout = w.Layout(flex_flow="row wrap", max_width="100%")
        pick = w.Box([w.VBox([self.patterns, self.match]),
                      w.VBox([self.detectors, self.confidence])], layout=layout)  # fmt: skip
        where = w.VBox([self.universe, self.universe_arg, self.as_of, self.provider])
        self.progress.children[0].layout.flex_flow = "row wrap"  # Cancel wraps on phones
        super().__init__([
            w.HTML("<h3>Scanner</h3>"), w.Box([pick, where], layout=layout),
            w.Box([self.run_button, self.progress], layout=layout), self.status, self.table,
            w.Box([self.export_format, self.export_button, self.export_link], layout=layout),
            w.Box([self.owner, self.save_name, self.schedule, self.save_button], layout=layout),
            self.save_status,
        ], **kwargs)  # fmt: skip
        self.add_class("oi-scanner")
        self.load()

    # -- choices ----------------------------------------------------------------------

    def load(self) -> None:
        """(Re)read patterns, watchlists and providers."""
        try:
            self.patterns.options = self.source.pins()
            lists = [(f"Watchlist {n}", f"watchlist:{n}") for n in self.source.watchlists()]
            chosen = self.universe.value
            self.universe.options = [*UNIVERSES, *lists]
            values = [v for _, v in self.universe.options]
            self.universe.value = chosen if chosen in values else "fno"  # not a blank box
            providers = self.source.providers()
            current = self.provider.value
            self.provider.options = providers
            if providers:  # ipywidgets leaves the value empty when options change
                self.provider.value = current if current in providers else providers[0]
        except Exception as exc:  # no database: say so in the page
            self._fail(exc)
        self._universe_changed()

    def _universe_changed(self, _change: Any = None) -> None:
        self.universe_arg.disabled = self.universe.value not in ("sector", "symbols")

    def spec(self) -> ScanSpec:
        """The scan the controls describe (:class:`~optionsintel.errors.ScanSpecError`)."""
        kind = self.universe.value or "fno"
        if kind in ("sector", "symbols"):
            universe = f"{kind}:{self.universe_arg.value.strip()}"
        else:
            universe = kind
        detectors = [d if d == "ANOMALY" else f"{d}:{self.confidence.value:g}"
                     for d in self.detectors.value]  # fmt: skip
        return scan_spec(universe=universe, patterns=list(self.patterns.value),
                         detectors=detectors, as_of=self.as_of.value.strip() or None,
                         provider=self.provider.value or None, match=self.match.value)  # fmt: skip

    # -- run --------------------------------------------------------------------------

    def run(self, wait: bool = False) -> None:
        """Start the scan in a background thread (``wait`` joins it: tests, notebooks)."""
        if self.state == "running":
            return
        try:
            spec = self.spec()
        except OptionsIntelError as exc:
            self._fail(exc)
            return
        self.progress.reset()
        self.table.reset()
        self.export_link.value = ""
        self.state, self.message, self.run_id = "running", "Running…", ""
        self._show_status()
        self.run_button.disabled = True
        self._thread = threading.Thread(target=self._work, args=(spec,), daemon=True)
        self._thread.start()
        if wait:
            self.wait()

    def wait(self, timeout: float | None = None) -> None:
        """Block until the running scan has finished."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _work(self, spec: ScanSpec) -> None:
        try:
            run_id = self.source.run(spec, progress=self.progress.update)
            self._finished(run_id)
        except Exception as exc:  # shown in the page, never lost
            self._fail(exc)
        finally:
            self.run_button.disabled = False

    def _finished(self, run_id: str) -> None:
        status = self.source.status(run_id)
        self.progress.update(status)
        results = self.source.results(run_id)
        self.run_id = run_id
        self._provider = str(status.params.get("provider", ""))
        self._bar = str(status.params.get("at", ""))
        closes = self.source.closes(results["symbol"].tolist(), self._provider, self._bar)
        self.table.show(results, closes)
        self.export_button.disabled = results.empty
        errors = f", {status.failed} symbols without data" if status.failed else ""
        where = f"{self._provider}, bar {self._bar[:10]}"
        if status.status == "CANCELLED":
            self.state = "cancelled"
            self.message = f"Cancelled: {len(results)} matches in the symbols scanned ({where})."
        else:
            self.state = "ok" if len(results) else "empty"
            self.message = f"{len(results)} matches of {status.total} symbols ({where}){errors}."
        self._show_status()

    def _cancel(self, operation_id: str) -> None:
        self.source.cancel(operation_id)
        self.message = "Cancelling after the current batch…"
        self._show_status()

    def _fail(self, exc: BaseException) -> None:
        self.state = "error"
        self.message = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
        self._show_status()

    def _show_status(self) -> None:
        colour = {"error": "#cf222e", "cancelled": "#9a6700"}.get(self.state, "inherit")
        self.status.value = (f'<p class="oi-scan-status" style="color:{colour}">'
                             f"{html.escape(self.message)}</p>")  # fmt: skip

    # -- export and save --------------------------------------------------------------

    def export(self, directory: str | Path | None = None) -> Path | None:
        """Write the (filtered, sorted) results; a download link appears below."""
        frame = self.table.visible()
        if frame.empty:
            self.export_link.value = "<p>Nothing to export.</p>"
            return None
        from optionsintel.ui.scanner_data import export_results

        folder = Path(directory or tempfile.mkdtemp(prefix="oi_scan_"))
        path = folder / f"{self.run_id or 'scan'}.{self.export_format.value}"
        try:
            export_results(frame, path, self._provider, self._bar)
        except Exception as exc:
            self.export_link.value = f"<p>Export failed: {html.escape(str(exc)[:200])}</p>"
            return None
        self.export_link.value = download_link(path, f"{len(frame)} rows, {self._provider}")
        return path

    def save(self) -> None:
        """Save the scan the controls describe, with its schedule."""
        try:
            saved = self.source.save(self.owner.value.strip(), self.save_name.value.strip(),
                                     self.spec(), schedule=self.schedule.value or None)  # fmt: skip
        except Exception as exc:
            self.save_status.value = f"<p style='color:#cf222e'>{html.escape(str(exc)[:300])}</p>"
            return
        when = saved.schedule or "on demand"
        self.save_status.value = html.escape(f"Saved {saved.owner}/{saved.name} ({when}).")

    def reset(self) -> None:
        """Clear selections, results and messages; re-read the choices."""
        self.patterns.value, self.detectors.value = (), ()
        self.as_of.value = self.universe_arg.value = ""
        self.table.reset()
        self.progress.reset()
        self.export_link.value = self.save_status.value = ""
        self.state, self.message, self.run_id = "idle", "", ""
        self._show_status()
        self.load()


def build_scanner(
    store: Store | None = None, *, source: ScannerSource | None = None, **kwargs: Any
) -> Scanner:
    """Build the scanner on ``store`` (default :func:`optionsintel.store.get_store`)."""
    if source is None:
        if store is None:
            from optionsintel.store import get_store

            store = get_store()
        source = scanner_source(store)
    prefs = theme.session(store)[1]  # the viewer's universe, numbers, colours
    app = Scanner(source, **kwargs)
    app.universe.value = _UNIVERSE_OF.get(prefs.default_universe, "fno")
    return theme.apply_app(app, prefs)


def results_frame(app: Scanner) -> pd.DataFrame:
    """The results the table holds (all rows, rank order)."""
    return app.table.results
