"""The scanner app's data access: use cases of :mod:`optionsintel.services.scans`.

The app receives a :class:`ScannerSource` of plain callables (bound to a store by
:func:`scanner_source`), so tests inject their own and no SQL lives in widget code.
Also the pure helpers the table uses: sparklines as inline SVG and the link that opens
a symbol in the analytics report.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

import numpy as np
import pandas as pd

from optionsintel.exchange import Provenance, export_frame
from optionsintel.scans import DETECTOR_KINDS, ScanSpec
from optionsintel.services import bulk, saved_scans, scans, watchlists
from optionsintel.services.bulk import BulkStatus
from optionsintel.services.patterns import list_patterns
from optionsintel.store import Store, reads
from optionsintel.ui.pattern_data import daily_providers

SPARK_DAYS = 30
ANALYTICS_URL = "/voila/render/analytics_report.ipynb"


@dataclass(frozen=True)
class ScannerSource:
    """What the scanner may ask for, each a callable (see :func:`scanner_source`)."""

    providers: Callable[[], list[str]]
    pins: Callable[[], list[str]]
    """Pattern versions ``id@version`` (every version of every live pattern, newest first)."""
    watchlists: Callable[[], list[str]]
    """Watchlists as ``owner/name``."""
    run: Callable[..., str]
    """``(spec, progress=)`` -> run id (runs the scan in process, batch by batch)."""
    results: Callable[[str], pd.DataFrame]
    closes: Callable[[Sequence[str], str, str], dict[str, list[float]]]
    """``(symbols, provider, bar)`` -> the last closes up to the scan bar, per symbol."""
    cancel: Callable[[str], bool]
    save: Callable[..., Any]
    """``(owner, name, spec, schedule=)`` -> the saved scan."""
    status: Callable[[str], BulkStatus]
    detectors: tuple[str, ...] = DETECTOR_KINDS


def scanner_source(store: Store) -> ScannerSource:
    """Bind the scanner's data functions to ``store``."""

    def pins() -> list[str]:
        heads = [h for h in list_patterns(store) if not h.archived]
        return [f"{h.pattern_id}@{v}" for h in heads for v in range(h.latest_version, 0, -1)]

    def run(spec: ScanSpec, progress: Any = None) -> str:
        return scans.run_scan(store, spec, name="scanner", progress=progress, batch_size=250).run_id

    return ScannerSource(
        providers=lambda: daily_providers(store),
        pins=pins,
        watchlists=lambda: [f"{w.owner}/{w.name}" for w in watchlists.list_watchlists(store)],
        run=run,
        results=lambda run_id: scans.read_scan_results(store, run_id),
        closes=lambda symbols, provider, bar: recent_closes(store, symbols, provider, bar),
        cancel=lambda op_id: bulk.cancel_operation(store, op_id),
        save=lambda owner, name, spec, **kw: saved_scans.save_scan(store, owner, name, spec, **kw),
        status=lambda op_id: bulk.read_operation(store, op_id),
    )


def recent_closes(
    store: Store, symbols: Sequence[str], provider: str, bar: str, days: int = SPARK_DAYS
) -> dict[str, list[float]]:
    """The last ``days`` closes of each symbol up to the scan bar (one provider)."""
    if not symbols:
        return {}
    end = pd.Timestamp(bar).date()
    start = end - dt.timedelta(days=int(days * 1.6) + 7)
    rows = reads.read_daily_ohlc(store, provider=provider, symbols=list(symbols), start=start,
                                 end=end, columns=["symbol", "trade_date", "close"])  # fmt: skip
    tail = rows.sort_values("trade_date").groupby("symbol").tail(days)
    return {str(s): g["close"].astype(float).tolist() for s, g in tail.groupby("symbol")}


def sparkline_svg(values: Sequence[float], width: int = 90, height: int = 22) -> str:
    """An inline SVG polyline of ``values`` (green when the last is above the first)."""
    y = np.asarray([v for v in values if np.isfinite(v)], dtype=float)
    if len(y) < 2:
        return ""
    span = float(y.max() - y.min()) or 1.0
    xs = np.linspace(1, width - 1, len(y))
    ys = height - 1 - (y - y.min()) / span * (height - 2)
    points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(xs, ys, strict=True))
    colour = "#1a7f37" if y[-1] >= y[0] else "#cf222e"
    return (f'<svg class="oi-spark" width="{width}" height="{height}" role="img" '
            f'aria-label="last {len(y)} closes"><polyline fill="none" stroke="{colour}" '
            f'stroke-width="1.5" points="{points}"/></svg>')  # fmt: skip


def analytics_link(symbol: str, base: str = ANALYTICS_URL) -> str:
    """An anchor opening ``symbol`` in the analytics report (new tab)."""
    href = f"{base}?symbol={quote(symbol, safe='')}"
    return (f'<a href="{html.escape(href)}" target="_blank" rel="noopener" '
            f'title="Open {html.escape(symbol)} in the analytics report">'
            f"{html.escape(symbol)}</a>")  # fmt: skip


def query_symbols(query_string: str | None, limit: int = 10) -> tuple[str, ...]:
    """Symbols asked for in a Voila page's query string (``?symbol=A&symbol=B``).

    Only plain instrument names are kept (upper-case letters, digits, ``&_.-``).
    """
    values = parse_qs(query_string or "").get("symbol", [])
    keep = [v.strip().upper() for v in values if v.strip()]
    ok = [v for v in keep if len(v) <= 40 and all(c.isalnum() or c in "&_.-" for c in v)]
    return tuple(dict.fromkeys(ok))[:limit]


def export_results(frame: pd.DataFrame, path: str | Path, provider: str, as_of: str) -> Path:
    """Write scan results with provenance (format from the suffix: csv, xlsx, parquet...)."""
    prov = Provenance("scan_results", provider=provider, as_of=as_of)
    export_frame(frame, path, provenance=prov)
    return Path(path)
