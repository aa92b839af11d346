"""The analytics report as a PDF: the dashboard's metric cards and charts, for stakeholders.

The page is HTML (the same cards as :mod:`optionsintel.ui.analytics_report`) printed to PDF
by headless Chromium through Playwright. Each plotly figure becomes a static PNG image
inside that browser with ``Plotly.toImage`` (the engine kaleido itself drives), so the
charts in the PDF are exactly the dashboard's figures. Chromium is the Debian package
(``/usr/bin/chromium``); nothing is downloaded.

>>> report_pdf(report, "report.pdf", providers={"NIFTY": "nse"})  # doctest: +SKIP
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from optionsintel.errors import ExportError
from optionsintel.research import Report
from optionsintel.ui import panels
from optionsintel.ui.analytics_report import _day, _symbol_cards
from optionsintel.ui.figures import REPORT_FIGURES, report_figures

CHROMIUM = "/usr/bin/chromium"
_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_PRINT_CSS = """
<style>
@page { size: A4; margin: 14mm 12mm; }
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 11px; color: #1f2937; }
h1 { font-size: 20px; margin: 0 0 4px; } h4 { margin: 14px 0 6px; }
.chart { page-break-inside: avoid; margin: 8px 0; } .chart img { width: 100%; }
.oi-cards { page-break-inside: avoid; }
</style>
"""
_TO_IMAGES = """
<script>
(async () => {
  for (const holder of document.querySelectorAll('.chart')) {
    const fig = JSON.parse(holder.dataset.figure);
    const url = await Plotly.toImage(fig, {format: 'png', width: 1000, height: 380, scale: 2});
    const img = document.createElement('img');
    img.src = url; img.alt = holder.dataset.title;
    holder.removeAttribute('data-figure'); holder.appendChild(img);
  }
  document.body.dataset.ready = '1';
})().catch(e => { document.body.dataset.error = String(e); });
</script>
"""


def report_html(
    report: Report, *, providers: Mapping[str, str] | None = None, title: str = "Analytics report"
) -> str:
    """The report page: period, provider, one block of metric cards per symbol, the charts."""
    used = dict(providers or {})
    m = report.metrics
    cards = "".join(
        _symbol_cards(s, m.loc[s], str(report.risk_level.get(s, "")), used.get(s, "unknown"))
        for s in report.symbols
    )
    period = f"{_day(report.start)} – {_day(report.end)} ({report.timeframe})"
    source = ", ".join(f"{s}: {p}" for s, p in used.items()) or "unknown"
    figures = report_figures(report)
    charts = "".join(_chart(name, figures[name]) for name in REPORT_FIGURES if name in figures)
    notes = "".join(f"<p><small>{html.escape(n)}</small></p>" for n in report.notes)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'>{panels.STYLE}{_PRINT_CSS}"
        f"<script>{get_plotlyjs()}</script></head><body class='oi-app'>"
        f"<h1>{html.escape(title)}</h1><p><b>Period</b> {period} · <b>Prices</b> provider "
        f"{html.escape(source)}</p>{cards}{notes}{charts}{_TO_IMAGES}</body></html>"
    )


def _chart(name: str, figure: go.Figure) -> str:
    fig = go.Figure(figure)
    fig.update_layout(template="plotly_white", margin={"l": 48, "r": 16, "t": 40, "b": 36})
    text = html.escape(pio.to_json(fig, validate=False), quote=True)
    return f"<div class='chart' data-title='{html.escape(name)}' data-figure=\"{text}\"></div>"


def html_to_pdf(
    page: str, path: str | Path, *, chromium: str = CHROMIUM, timeout_s: float = 90
) -> Path:
    """Print an HTML page to PDF with headless Chromium, after its charts became images.

    Raises
    ------
    ExportError
        When Playwright or Chromium is missing, or the page fails to render.
    """
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise ExportError("PDF export needs playwright: pip install 'optionsintel[dev]'") from None
    if not Path(chromium).exists():
        raise ExportError(f"PDF export needs Chromium at {chromium}: apt-get install -y chromium")
    target = Path(path)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=_ARGS)
            try:
                tab = browser.new_page()
                tab.set_content(page, wait_until="load", timeout=timeout_s * 1000)
                tab.wait_for_function(
                    "document.body.dataset.ready === '1' || document.body.dataset.error",
                    timeout=timeout_s * 1000,
                )
                error = tab.evaluate("document.body.dataset.error || ''")
                if error:
                    raise ExportError(f"a chart failed to render: {error}")
                tab.pdf(path=str(target), format="A4", print_background=True)
            finally:
                browser.close()
    except PlaywrightError as exc:
        raise ExportError(
            f"Chromium could not print the report: {str(exc).splitlines()[0]}"
        ) from None
    return target


def report_pdf(
    report: Report,
    path: str | Path,
    *,
    providers: Mapping[str, str] | None = None,
    title: str = "Analytics report",
    chromium: str = CHROMIUM,
) -> Path:
    """Render ``report`` (from :func:`optionsintel.research.build_report`) to a PDF at ``path``."""
    return html_to_pdf(
        report_html(report, providers=providers, title=title), path, chromium=chromium
    )


__all__ = ["html_to_pdf", "report_html", "report_pdf"]
