"""Export and import panels for the Voila apps: a download link; an upload with its report.

>>> display(ExportPanel(store), ImportPanel(store))  # doctest: +SKIP

Public interface (traitlets): ``dataset``, ``provider``, the outcome ``state`` (``idle |
ok | invalid | error``) and ``message``. Both panels call the use cases of
:mod:`optionsintel.services` (nothing here reads a file or the store by itself). The import
panel validates on upload (a dry run) and enables *Import* only for a valid file.
"""

from __future__ import annotations

import base64
import html
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as w
import traitlets as t

from optionsintel.errors import OptionsIntelError
from optionsintel.exchange.formats import FORMATS
from optionsintel.exchange.provenance import sidecar_path
from optionsintel.exchange.specs import DATASETS
from optionsintel.services.document_exports import (
    DOCUMENT_SETS,
    export_alert_history,
    export_documents,
)
from optionsintel.services.exports import export_dataset
from optionsintel.services.imports import ImportPlan, commit_import, plan_import
from optionsintel.ui import panels

if TYPE_CHECKING:
    from optionsintel.store import Store

_LINK_LIMIT = 50 * 1024 * 1024  # larger files are left on disk; the panel shows the path
_EXPORTABLE = ("daily_ohlc", "option_chain_snapshots", "eod_option_chain", "signals",
               "support_resistance_levels", "instruments", *DOCUMENT_SETS,
               "alert_history")  # fmt: skip


class ExportPanel(w.VBox):
    """Export a stored data set and offer it as a download link."""

    dataset = t.Unicode("daily_ohlc")
    provider = t.Unicode("")
    state = t.Unicode("idle")
    message = t.Unicode("")

    def __init__(self, store: Store, directory: str | Path | None = None, **kwargs: Any) -> None:
        self.store = store
        self.directory = Path(directory or tempfile.mkdtemp(prefix="oi_exports_"))
        self.dataset_box = w.Dropdown(options=_EXPORTABLE, description="Data set")
        self.provider_box = w.Text(description="Provider", placeholder="nse, synthetic, ...")
        self.format_box = w.Dropdown(options=FORMATS, value="csv", description="Format")
        self.export_button = w.Button(description="Export", button_style="primary")
        self.link = w.HTML()
        super().__init__([self.dataset_box, self.provider_box, self.format_box,
                          self.export_button, self.link], **kwargs)  # fmt: skip
        w.link((self.dataset_box, "value"), (self, "dataset"))
        w.link((self.provider_box, "value"), (self, "provider"))
        self.export_button.on_click(lambda _b: self.export())

    def export(self) -> Path | None:
        """Write the export and show its link; on failure show the one-line error."""
        path = self.directory / f"{self.dataset}.{self.format_box.value}"
        sidecar_path(path).unlink(missing_ok=True)  # never offer an earlier export's record
        try:
            if self.dataset in DOCUMENT_SETS:  # through their services, in the import's shape
                prov = export_documents(self.store, self.dataset, path)
            elif self.dataset == "alert_history":
                prov = export_alert_history(self.store, path)
            else:
                prov = export_dataset(
                    self.store, self.dataset, path, provider=self.provider or None
                )
        except OptionsIntelError as exc:
            self.state, self.message = "error", f"{type(exc).__name__}: {exc}"
            self.link.value = panels.message("error", self.message)
            return None
        self.state, self.message = "ok", f"{prov.row_count:,} rows of {self.dataset}"
        # Text formats carry their provenance in a sidecar: offer it next to the file.
        sidecar = sidecar_path(path)
        extra = _download_link(sidecar, "provenance") if sidecar.exists() else ""
        self.link.value = _download_link(path, self.message) + extra
        return path

    def reset(self) -> None:
        """Back to the initial state."""
        self.state, self.message, self.link.value = "idle", "", ""


class ImportPanel(w.VBox):
    """Upload a file, see its column mapping and every error, then import it."""

    dataset = t.Unicode("daily_bars")
    provider = t.Unicode("")
    state = t.Unicode("idle")
    message = t.Unicode("")

    def __init__(self, store: Store, **kwargs: Any) -> None:
        self.store = store
        self.plan: ImportPlan | None = None
        self.dataset_box = w.Dropdown(
            options=sorted(DATASETS), value="daily_bars", description="Data set"
        )
        self.provider_box = w.Text(description="Provider", placeholder="your source name")
        self.upload = w.FileUpload(
            accept=".csv,.json,.jsonl,.xlsx,.parquet,.gz,.zip,.zst", multiple=False
        )
        self.import_button = w.Button(description="Import", button_style="success", disabled=True)
        self.report = w.HTML()
        super().__init__([self.dataset_box, self.provider_box, self.upload, self.import_button,
                          self.report], **kwargs)  # fmt: skip
        w.link((self.dataset_box, "value"), (self, "dataset"))
        w.link((self.provider_box, "value"), (self, "provider"))
        self.upload.observe(self._on_upload, "value")
        self.import_button.on_click(lambda _b: self.commit())

    def _on_upload(self, change: dict[str, Any]) -> None:
        files = change["new"]
        if files:
            item = files[0]
            self.validate(item["name"], bytes(item["content"]))

    def validate(self, name: str, data: bytes) -> ImportPlan | None:
        """Dry-run the uploaded bytes and show the mapping and every error."""
        self.plan, self.import_button.disabled = None, True
        try:
            plan = plan_import(
                self.store, data, self.dataset, provider=self.provider or None, name=name
            )
        except OptionsIntelError as exc:
            self.state, self.message = "error", f"{type(exc).__name__}: {exc}"
            self.report.value = panels.message("error", self.message)
            return None
        mapping = ", ".join(f"{t} ← {s}" for t, s in plan.report.mapping.columns.items())
        errors = plan.report.errors_frame().head(200)
        table = errors.to_html(index=False, escape=True) if len(errors) else ""
        self.state = "ok" if plan.report.ok else "invalid"
        self.message = plan.report.summary(limit=0).splitlines()[0]
        kind = "info" if plan.report.ok else "error"
        columns = f"<p><small>columns: {html.escape(mapping)}</small></p>"
        self.report.value = panels.message(kind, self.message) + columns + table
        self.plan, self.import_button.disabled = plan, not plan.report.ok
        return plan

    def commit(self) -> None:
        """Import the validated file (all or nothing)."""
        if self.plan is None:
            return
        try:
            result = commit_import(self.store, self.plan)
        except OptionsIntelError as exc:
            self.state, self.message = "error", f"{type(exc).__name__}: {exc}"
        else:
            self.state = "ok"
            self.message = (
                f"imported {result.rows:,} rows: {result.inserted:,} new, "
                f"{result.updated:,} changed, {result.unchanged:,} unchanged"
            )
        self.report.value = panels.message("info" if self.state == "ok" else "error", self.message)
        self.import_button.disabled = True

    def reset(self) -> None:
        """Forget the upload and its report."""
        self.plan, self.state, self.message, self.report.value = None, "idle", "", ""
        self.import_button.disabled = True


def exchange_tab(store: Store | None) -> w.VBox:
    """The apps' *Export / import* tab: both panels on ``store`` (or why there are none)."""
    if store is None:
        return w.VBox([w.HTML(panels.message("info", "Export and import need the store."))])
    return w.VBox([w.HTML("<h3>Export</h3>"), ExportPanel(store),
                   w.HTML("<h3>Import (dry run first)</h3>"), ImportPanel(store)])  # fmt: skip


def _download_link(path: Path, label: str) -> str:
    size = path.stat().st_size
    if size > _LINK_LIMIT:
        return f"<p>{html.escape(label)}: written to <code>{html.escape(str(path))}</code></p>"
    data = base64.b64encode(path.read_bytes()).decode()
    name = html.escape(path.name)
    href = f"data:application/octet-stream;base64,{data}"
    return (
        f'<p><a download="{name}" href="{href}">Download {name}</a> '
        f"({html.escape(label)}, {size:,} bytes)</p>"
    )
