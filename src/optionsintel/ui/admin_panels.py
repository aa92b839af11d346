"""HTML of the admin dashboard's panels: escaped tables, number formats of the viewer."""

from __future__ import annotations

import base64
import datetime as dt
import html
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from optionsintel.services.user_settings import UserSettings
from optionsintel.ui.theme import apply_figure, format_number

__all__ = ["csv_link", "frame_html", "human_bytes", "link", "message", "provider_chart",
           "provider_health", "with_asset_links", "with_links", "with_run_links"]  # fmt: skip

STYLE = (
    "<style>.oi-admin-table{border-collapse:collapse;font-size:.9em;display:block;"
    "overflow-x:auto;max-width:100%}.oi-admin-table th,.oi-admin-table td{padding:2px 8px;"
    "border-bottom:1px solid #8884;text-align:left;white-space:nowrap}"
    ".oi-admin-msg{padding:.5rem;border-radius:4px;margin:.3rem 0}"
    ".oi-admin-error{background:#b0002022}.oi-admin-ok{background:#2e7d3222}"
    ".oi-admin-warn{background:#b26a0022}.oi-admin-bad td{background:#b0002033;font-weight:600}"
    ".oi-admin-info{background:#1e88e522}</style>"
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
    if isinstance(value, list | tuple):
        return _list(value, prefs)
    return html.escape(str(value))


def _list(values: list[Any] | tuple[Any, ...], prefs: UserSettings) -> str:
    """A list cell summarised: '16 Jul 2025, 17 Jul 2025 … 27 Nov 2026 (134)'.

    A coverage row's missing days were shown as the repr of 2,473 ``datetime.date``
    objects, one cell 650,000 px wide.
    """
    shown = [v.strftime("%d %b %Y") if isinstance(v, dt.date) else _cell(v, prefs) for v in values]
    if len(shown) <= 3:
        return ", ".join(shown)
    return f"{shown[0]}, {shown[1]} … {shown[-1]} ({len(shown)})"


def frame_html(
    frame: pd.DataFrame,
    prefs: UserSettings,
    empty: str = "nothing to show",
    raw: tuple[str, ...] = (),
    bad: list[bool] | None = None,
) -> str:
    """``frame`` as an escaped HTML table (numbers in the viewer's format).

    Columns named in ``raw`` hold HTML this module built from escaped parts
    (:func:`with_run_links`) and are not escaped again; rows flagged in ``bad``
    are highlighted (class ``oi-admin-bad``).
    """
    if frame is None or frame.empty:
        return f"<p><i>{html.escape(empty)}</i></p>"
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    keep = [c in raw for c in frame.columns]
    flags = [False] * len(frame) if bad is None else list(bad)
    body = "".join(
        ('<tr class="oi-admin-bad">' if flag else "<tr>")
        + "".join(f"<td>{v if k else _cell(v, prefs)}</td>"
                  for v, k in zip(row, keep, strict=True)) + "</tr>"
        for row, flag in zip(frame.itertuples(index=False), flags, strict=True)
    )  # fmt: skip
    return f'<table class="oi-admin-table"><tr>{head}</tr>{body}</table>'


def link(url: str, text: str) -> str:
    """``text`` linking to ``url`` in a new tab, both escaped (plain text without a URL)."""
    if not url:
        return html.escape(text)
    return f'<a href="{html.escape(url)}" target="_blank">{html.escape(text)}</a>'


def with_links(frame: pd.DataFrame, column: str, urls: list[str]) -> pd.DataFrame:
    """``frame`` with each ``column`` value a link to its URL in ``urls``.

    The column then holds escaped HTML: name it in :func:`frame_html`'s ``raw``.
    """
    if frame.empty:
        return frame
    texts = ["" if v is None else str(v) for v in frame[column]]
    return frame.assign(**{column: [link(u, t) for u, t in zip(urls, texts, strict=True)]})


def with_run_links(runs: pd.DataFrame, base: str) -> pd.DataFrame:
    """``runs`` with a ``run`` column linking each run to its Dagster UI page (escaped)."""
    from optionsintel.services.admin_health import run_url

    if runs.empty:
        return runs
    links = [link(run_url(base, str(r)), str(r)[:8]) for r in runs["run_id"]]
    return runs.drop(columns=["run_id"]).assign(run=links)


def with_asset_links(frame: pd.DataFrame, base: str, column: str = "asset",
                     query: str = "") -> pd.DataFrame:  # fmt: skip
    """``frame`` with its ``column`` of asset keys (``a/b``) linking to their Dagster UI pages."""
    from optionsintel.services.admin_health import dagster_ui_url

    keys = [] if frame.empty else [str(k).split("/") for k in frame["asset"]]
    return with_links(frame, column, [dagster_ui_url(base, "assets", *k, query=query)
                                      for k in keys])  # fmt: skip


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


#: (column, legend label, line style, mode, subplot row, hover-text column or None) of each
#: provider's traces.
_PROVIDER_TRACES: tuple[tuple[str, str, dict[str, str], str, int, str | None], ...] = (
    ("avg_latency_ms", "avg", {}, "lines", 1, None),
    ("p95_latency_ms", "p95", {"dash": "dot"}, "lines", 1, None),
    ("error_rate_%", "errors", {}, "lines+markers", 2, None),
    ("breaker_level", "breaker", {"shape": "hv"}, "lines", 3, "breaker_state"),
)


def provider_chart(timeline: pd.DataFrame, prefs: UserSettings) -> go.Figure:
    """Latency (average and p95), error rate and breaker state per provider over the day.

    ``timeline`` is :func:`optionsintel.services.admin_health.provider_timeline`; one colour
    per provider across the three stacked panels, in the viewer's template.
    """
    from plotly.colors import qualitative
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.07,
                        subplot_titles=("Latency (ms): average solid, p95 dotted",
                                        "Error rate (%)", "Circuit breaker"))  # fmt: skip
    palette = qualitative.Plotly
    for i, (provider, rows) in enumerate(timeline.groupby("provider", sort=True)):
        name, colour = str(provider), palette[i % len(palette)]
        for column, label, style, mode, row, text in _PROVIDER_TRACES:
            fig.add_scatter(x=rows["ts"], y=rows[column], name=f"{name} {label}",
                            legendgroup=name, line={"color": colour, **style}, mode=mode,
                            text=None if text is None else rows[text], row=row, col=1)  # fmt: skip
    fig.update_yaxes(tickvals=[0, 1, 2], ticktext=["closed", "half open", "open"],
                     range=[-0.3, 2.3], row=3, col=1)  # fmt: skip
    fig.update_layout(title={"text": "Provider health over the day"}, height=620)
    return apply_figure(fig, prefs)
