"""HTML of the admin dashboard's panels: escaped tables, number formats of the viewer."""

from __future__ import annotations

import base64
import html
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from optionsintel.services.user_settings import UserSettings
from optionsintel.ui.theme import apply_figure, format_number

__all__ = ["csv_link", "frame_html", "human_bytes", "message", "provider_chart", "provider_health"]

STYLE = (
    "<style>.oi-admin-table{border-collapse:collapse;font-size:.9em;display:block;"
    "overflow-x:auto;max-width:100%}.oi-admin-table th,.oi-admin-table td{padding:2px 8px;"
    "border-bottom:1px solid #8884;text-align:left;white-space:nowrap}"
    ".oi-admin-msg{padding:.5rem;border-radius:4px;margin:.3rem 0}"
    ".oi-admin-error{background:#b0002022}.oi-admin-ok{background:#2e7d3222}"
    ".oi-admin-warn{background:#b26a0022}</style>"
)


def message(kind: str, text: str) -> str:
    """A status line (``ok``, ``warn`` or ``error``), escaped."""
    return f'<div class="oi-admin-msg oi-admin-{kind}" role="status">{html.escape(text)}</div>'


def _cell(value: Any, prefs: UserSettings) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return format_number(value, prefs, 0 if isinstance(value, int) else None)
    if isinstance(value, pd.Timestamp):
        return (
            value.tz_convert("Asia/Kolkata").strftime("%d %b %H:%M:%S") if value.tz else str(value)
        )
    return html.escape(str(value))


def frame_html(frame: pd.DataFrame, prefs: UserSettings, empty: str = "nothing to show") -> str:
    """``frame`` as an escaped HTML table (numbers in the viewer's format)."""
    if frame is None or frame.empty:
        return f"<p><i>{html.escape(empty)}</i></p>"
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(v, prefs)}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f'<table class="oi-admin-table"><tr>{head}</tr>{body}</table>'


def human_bytes(n: float) -> str:
    """1536 -> '1.5 KiB'."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


def csv_link(frame: pd.DataFrame, filename: str) -> str:
    """A download link carrying ``frame`` as CSV (no server round trip)."""
    data = base64.b64encode(frame.to_csv(index=False).encode()).decode()
    return (f'<a download="{html.escape(filename)}" href="data:text/csv;base64,{data}">'
            f"Download {html.escape(filename)} ({len(frame)} rows)</a>")  # fmt: skip


def provider_health(metrics: pd.DataFrame) -> pd.DataFrame:
    """Per provider over ``metrics``: requests, error rate, latency, last breaker state."""
    if metrics.empty:
        return pd.DataFrame()
    m = metrics.sort_values("ts")
    out = m.groupby("provider").agg(
        requests=("requests", "sum"), failures=("failures", "sum"),
        avg_latency_ms=("avg_latency_ms", "mean"), p95_latency_ms=("p95_latency_ms", "max"),
        breaker=("breaker_state", "last"), last_seen=("ts", "last"),
    ).reset_index()  # fmt: skip
    out.insert(
        3, "error_rate_%", 100.0 * out["failures"] / out["requests"].where(out["requests"] > 0)
    )
    return out


def provider_chart(metrics: pd.DataFrame, prefs: UserSettings) -> go.Figure:
    """p95 latency per provider over the window, in the viewer's template."""
    fig = go.Figure(layout={"title": {"text": "Provider p95 latency (ms)"}, "height": 320})
    for provider, rows in metrics.sort_values("ts").groupby("provider"):
        fig.add_scatter(x=rows["ts"], y=rows["p95_latency_ms"], name=str(provider), mode="lines")
    return apply_figure(fig, prefs)
